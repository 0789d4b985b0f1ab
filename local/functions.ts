import { fallback, functionName, routes, scheduledWorkers, workers } from '#routes';

/** Every deployable function by its short name (`get-health`), with its handler module. */
export function allFunctions(): Map<string, string> {
  const all = new Map<string, string>();
  for (const handler of [
    ...routes.map((r) => r.handler),
    fallback.handler,
    ...workers.map((w) => w.handler),
    ...scheduledWorkers.map((w) => w.handler),
  ]) {
    all.set(functionName(handler), handler);
  }
  return all;
}
