import { type ScheduledWorker } from '#routes';
import { type AnyHandler, lambdaContext, loadHandler } from './lambda.ts';

export interface ScheduledRun {
  stop(): Promise<void>;
}

/** The local stand-in for EventBridge's period: `RECONCILE_INTERVAL_SECONDS` (default 60). */
export function reconcileIntervalMs(): number {
  const raw = Number(process.env.RECONCILE_INTERVAL_SECONDS ?? 60);
  return Number.isFinite(raw) && raw > 0 ? raw * 1000 : 60_000;
}

/**
 * Runs a scheduled function's handler with a scheduled event every `intervalMs`
 * (`npm start` passes `reconcileIntervalMs()`), as EventBridge would in the cloud:
 * the same handler, one run at a time (a slow run delays the next rather than
 * overlapping it). Errors are reported and the schedule goes on. `load` finds the
 * handler by its module (a test passes its own).
 */
export function startScheduledWorker(
  worker: Pick<ScheduledWorker, 'handler' | 'timeoutSeconds'>,
  intervalMs: number,
  onError?: (error: unknown) => void,
  load: (module: string) => Promise<AnyHandler> = loadHandler,
): ScheduledRun {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let handler: Promise<AnyHandler> | undefined;
  const tick = () => {
    running = (async () => {
      try {
        handler ??= load(worker.handler);
        await (
          await handler
        )(
          {
            version: '0',
            id: crypto.randomUUID(),
            'detail-type': 'Scheduled Event',
            source: 'aws.events',
            time: new Date().toISOString(),
            resources: [],
            detail: {},
          },
          lambdaContext(worker.handler, worker.timeoutSeconds),
        );
      } catch (error) {
        onError?.(error);
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    })();
  };
  timer = setTimeout(tick, intervalMs);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
