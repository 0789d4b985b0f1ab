import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { functionName } from '#routes';

export const functionsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'functions');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers take many event types; callers narrow.
export type AnyHandler = (event: any, context: Context) => Promise<any>;

const loaded = new Map<string, Promise<AnyHandler>>();

/** Imports a handler module under functions/ once, as Lambda would at cold start. */
export function loadHandler(module: string): Promise<AnyHandler> {
  let handler = loaded.get(module);
  if (!handler) {
    handler = import(pathToFileURL(join(functionsDir, module)).href).then((m: { handler?: AnyHandler }) => {
      if (typeof m.handler !== 'function') throw new Error(`${module} does not export a handler`);
      return m.handler;
    });
    loaded.set(module, handler);
  }
  return handler;
}

/** A Lambda context for one invocation, shaped like the runtime's. */
export function lambdaContext(module: string, timeoutSeconds = 30): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const name = `paybridge-local-${functionName(module)}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
