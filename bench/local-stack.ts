import { loadavg } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { lambdaContext, loadHandler } from '#local/lambda';
import { type QueueWorker, type SqsHandler, startQueueWorker } from '#local/queue-workers';
import { type LocalStack, startLocalStack } from '#local/stack';
import { dynamoClient, sqsClient } from '#runtime/clients';
import { functionName, workers } from '#routes';
import type { BenchContext } from './benchmark.ts';
import type { ItemReader } from './calls.ts';
import {
  instrumentDynamo,
  instrumentFetch,
  instrumentSqs,
  recorder,
  restoreFetch,
  tags,
} from './instrument.ts';
import {
  captureProductLogs,
  type LogTally,
  logsSince,
  recentLogProblems,
  releaseProductLogs,
} from './product-logs.ts';
import { type Receiver, startReceiver } from './receiver.ts';

/**
 * One local stack for every benchmark of a run (`startLocalStack` writes the
 * stack's endpoints into `process.env`, and handlers read their configuration
 * and build their clients once, so a second stack in the same process would not
 * be seen). `npm run bench` stops it after the last benchmark (`stopBenchStack`).
 *
 * It is `startLocalStack({ api, sandboxes })` plus the queue workers started
 * here, exactly as `startLocalStack({ workers: true })` starts them (same
 * `startQueueWorker`, same handlers, batch size and 20 s long poll), with one
 * addition: each worker's loop and each handler invocation run under a tag naming
 * the function, so calls can be attributed to ingest, verify or deliver.
 */

export interface Invocation {
  readonly fn: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly records: number;
  /** Records the handler reported as failed (retried by SQS). */
  readonly failed: number;
}

export interface BenchStack {
  readonly local: LocalStack;
  readonly apiUrl: string;
  readonly sandboxUrl: string;
  readonly dynamoEndpoint: string;
  readonly sqsEndpoint: string;
  readonly receiver: Receiver;
  /** Clients of the bench's own, not instrumented: polling for outcomes, bare replays, raw rates. */
  readonly bare: { readonly dynamo: DynamoDBDocumentClient; readonly sqs: SQSClient };
  /** Reads an item as it is now (strongly consistent, bare client): sizes transaction items. */
  readonly readItem: ItemReader;
  /** Every queue-worker handler invocation so far (the list is cleared by `clearInvocations`). */
  readonly invocations: readonly Invocation[];
  clearInvocations(): void;
  /** Waits until no recorded call and no worker invocation has been running for `quietMs`. */
  settle(quietMs?: number, timeoutMs?: number): Promise<void>;
  /** Queue-worker errors and sandbox log lines since the last call (empty when all went well). */
  takeProblems(): string[];
}

let starting: Promise<BenchStack> | undefined;
let stopStack: (() => Promise<void>) | undefined;

/** Environment the bench sets before anything reads configuration. */
function prepareEnvironment(): void {
  // Every bench request comes from 127.0.0.1 or a handful of made-up addresses; the
  // per-IP sign-up/sign-in limit (20 a minute) is not what is measured. The rate-limit
  // write still happens on every auth request, so the counts are unchanged.
  process.env.AUTH_RATE_LIMIT_PER_MINUTE ??= '100000';
  process.env.CALLER_RATE_LIMIT_PER_MINUTE ??= '100000';
  process.env.IP_RATE_LIMIT_PER_MINUTE ??= '100000';
  process.env.WEBHOOK_RATE_LIMIT_PER_MINUTE ??= '100000';
}

async function start(context: BenchContext): Promise<BenchStack> {
  prepareEnvironment();
  captureProductLogs();
  context.progress.update('local stack: starting DynamoDB Local, fauxqs, sandboxes, API', true);
  const sandboxLog: string[] = [];
  let local: LocalStack;
  try {
    local = await startLocalStack({
      api: true,
      workers: false,
      sandboxes: true,
      log: (line) => {
        sandboxLog.push(line);
        if (sandboxLog.length > 50) sandboxLog.shift();
      },
    });
  } catch (error) {
    releaseProductLogs();
    throw error;
  }
  const stops: (() => Promise<void>)[] = [local.stop];
  try {
    if (!local.api || !local.sandboxes)
      throw new Error('the local stack started without its API or sandboxes');
    instrumentDynamo(dynamoClient());
    instrumentSqs(sqsClient());
    instrumentFetch();
    stops.push(async () => restoreFetch());

    const receiver = await startReceiver();
    stops.push(receiver.stop);

    const invocations: Invocation[] = [];
    let busy = 0;
    const workerSqs = new SQSClient({});
    instrumentSqs(workerSqs);
    const running: QueueWorker[] = [];
    for (const worker of workers) {
      const fn = functionName(worker.handler);
      const handler = (await loadHandler(worker.handler)) as SqsHandler;
      const tagged: SqsHandler = (event: SQSEvent, ctx: Context) =>
        tags.run({ fn, phase: 'handler' }, async (): Promise<SQSBatchResponse | undefined> => {
          busy += 1;
          const startedAt = performance.now();
          let failed = event.Records.length;
          try {
            const result = await handler(event, ctx);
            failed = result?.batchItemFailures?.length ?? 0;
            return result;
          } finally {
            busy -= 1;
            invocations.push({
              fn,
              startedAt,
              endedAt: performance.now(),
              records: event.Records.length,
              failed,
            });
          }
        });
      running.push(
        tags.run({ fn, phase: 'poll' }, () =>
          startQueueWorker({
            sqs: workerSqs,
            queueUrl: local.queues[worker.queue],
            handler: tagged,
            batchSize: worker.batchSize,
            context: () => lambdaContext(worker.handler),
            onError: (error) => {
              sandboxLog.push(`worker ${fn}: ${String(error)}`);
            },
          }),
        ),
      );
    }
    stops.push(async () => {
      await Promise.all(running.map((w) => w.stop()));
      workerSqs.destroy();
    });

    const bare = {
      dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({}), {
        marshallOptions: { removeUndefinedValues: true },
      }),
      sqs: new SQSClient({}),
    };
    stops.push(async () => {
      bare.dynamo.destroy();
      bare.sqs.destroy();
    });

    const stack: BenchStack = {
      local,
      apiUrl: local.api.url,
      sandboxUrl: local.sandboxes.url,
      dynamoEndpoint: local.dynamo.endpoint,
      sqsEndpoint: local.sqs.endpoint,
      receiver,
      bare,
      readItem: async (TableName, Key) =>
        (await bare.dynamo.send(new GetCommand({ TableName, Key, ConsistentRead: true }))).Item,
      invocations,
      clearInvocations: () => {
        invocations.length = 0;
      },
      takeProblems: () => sandboxLog.splice(0, sandboxLog.length),
      async settle(quietMs = 150, timeoutMs = 15_000) {
        const deadline = Date.now() + timeoutMs;
        let quietSince = Date.now();
        while (Date.now() < deadline) {
          if (recorder.inFlight > 0 || busy > 0) quietSince = Date.now();
          else if (Date.now() - quietSince >= quietMs) return;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        throw new Error(
          `the local stack did not go quiet within ${timeoutMs} ms (${recorder.inFlight} calls, ${busy} worker invocations running)`,
        );
      },
    };
    stopStack = async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      releaseProductLogs();
    };
    return stack;
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    releaseProductLogs();
    throw error;
  }
}

/** The run's local stack, started on first use. */
export function benchStack(context: BenchContext): Promise<BenchStack> {
  starting ??= start(context);
  return starting;
}

/** Stops the local stack if a benchmark started one (run.ts calls this once, at the end). */
export async function stopBenchStack(): Promise<void> {
  const stop = stopStack;
  starting = undefined;
  stopStack = undefined;
  await stop?.();
}

/**
 * The machine's 1-minute load average: the bench shares its 2 cores with whatever
 * else runs (and with DynamoDB Local's JVM), and the figures move with it.
 */
export const loadAverage = (): number => Math.round((loadavg()[0] ?? 0) * 100) / 100;

/** Prints what went wrong in the stack during a benchmark, if anything: worker errors, sandbox notes, handler errors. */
export function reportProblems(stack: BenchStack, logsBefore: ReadonlyMap<string, LogTally>): void {
  const problems = stack.takeProblems();
  const logs = [...logsSince(logsBefore)].filter(([, t]) => t.errors > 0 || t.warnings > 0);
  if (problems.length === 0 && logs.length === 0) return;
  console.log('\nProblems seen in the stack during this benchmark:');
  for (const line of problems.slice(-10)) console.log(`- ${line}`);
  for (const [fn, t] of logs) console.log(`- ${fn}: ${t.errors} error and ${t.warnings} warning log lines`);
  for (const line of recentLogProblems().slice(-5)) console.log(`  ${line.slice(0, 300)}`);
}
