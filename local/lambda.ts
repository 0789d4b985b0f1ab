import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { logger } from '#runtime/logger';
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

/** Functions invoked at least once in this process. */
const warm = new Set<string>();
/** The contexts of each function's first invocation in this process. */
const coldContexts = new WeakSet<Context>();

/**
 * `cold_start` in the logs. Powertools takes it from a flag on the logger that the
 * first `addContext` clears, and only when the runtime set AWS_LAMBDA_INITIALIZATION_TYPE
 * to on-demand: right for Lambda, one process per function, but here one process and one
 * logger serve every function, so the flag was always false. Locally a context is cold
 * when it is its function's first invocation in this process, as `lambdaContext` records.
 */
const addContext = logger.addContext.bind(logger);
let addingColdContext = false;
Object.assign(logger, {
  getColdStart: (): boolean => addingColdContext,
  addContext: (context: Context): void => {
    addingColdContext = coldContexts.has(context);
    try {
      addContext(context);
    } finally {
      addingColdContext = false;
    }
  },
});

/**
 * A Lambda context for one invocation, shaped like the runtime's. The first one made
 * for a function in this process is its cold start (`cold_start: true` in its logs).
 */
export function lambdaContext(module: string, timeoutSeconds = 30): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const name = `paybridge-local-${functionName(module)}`;
  const context: Context = {
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
  if (!warm.has(module)) {
    warm.add(module);
    coldContexts.add(context);
  }
  return context;
}
