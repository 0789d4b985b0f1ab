import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '#local/lambda';
import { logger } from '#runtime/logger';

/** A handler wrapped as ours are: Powertools' middleware adds the context, then one log line. */
const handler = middy(async (_event: unknown, _context: Context) => {
  logger.setLogLevel('INFO'); // the middleware restores the tests' SILENT on every invocation
  logger.info('invoked');
}).use(injectLambdaContext(logger, { resetKeys: true }));

describe('the local runner’s Lambda context', () => {
  let lines: string[];
  beforeEach(() => {
    lines = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    logger.setLogLevel('SILENT');
  });

  /** Invokes the handler as `module` would be, and returns its log line's cold_start and function name. */
  async function invoke(module: string): Promise<{ cold_start: unknown; function_name: unknown }> {
    lines.length = 0;
    await handler({}, lambdaContext(module));
    const line = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.message === 'invoked');
    return { cold_start: line?.cold_start, function_name: line?.function_name };
  }

  it('reports cold_start true on each function’s first invocation in the process, false afterwards', async () => {
    expect(await invoke('api/first-fn.ts')).toEqual({
      cold_start: true,
      function_name: 'paybridge-local-first-fn',
    });
    expect(await invoke('api/first-fn.ts')).toMatchObject({ cold_start: false });
    // Another function in the same process (and with the same logger) has its own cold start.
    expect(await invoke('workers/second-fn.ts')).toEqual({
      cold_start: true,
      function_name: 'paybridge-local-second-fn',
    });
    expect(await invoke('workers/second-fn.ts')).toMatchObject({ cold_start: false });
    expect(await invoke('api/first-fn.ts')).toMatchObject({ cold_start: false });
  });

  it('marks only the first context made for a function, even when invocations overlap', async () => {
    const first = lambdaContext('api/overlap-fn.ts');
    const second = lambdaContext('api/overlap-fn.ts');
    lines.length = 0;
    await Promise.all([handler({}, second), handler({}, first)]);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const coldOf = (c: Context) => logged.find((l) => l.function_request_id === c.awsRequestId)?.cold_start;
    expect(coldOf(first)).toBe(true);
    expect(coldOf(second)).toBe(false);
  });
});
