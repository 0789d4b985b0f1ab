import { randomBytes } from 'node:crypto';
import { relative } from 'node:path';
import { DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { createTable, localTableName } from '#local/resources';
import { type BenchContext, type Benchmark, writeResults } from './benchmark.ts';
import { concurrentGroups } from './calls.ts';
import {
  type ApiRequest,
  completeOnSandbox,
  createPayment,
  createPaymentRequest,
  getMeRequest,
  invokePrepared,
  mapLimit,
  openShop,
  prepare,
  sandboxAccount,
  type Shop,
} from './fixtures.ts';
import { markdownTable } from './format.ts';
import { bareFetch, type CallRecord, recorder } from './instrument.ts';
import { type BenchStack, benchStack, loadAverage, reportProblems } from './local-stack.ts';
import { logTallies } from './product-logs.ts';
import { type Latency, latency, ms2 } from './percentiles.ts';

/**
 * Warm overhead: what the handler wrapper and our code add to a warm invocation
 * beyond the AWS and provider calls themselves. For each route, every iteration
 * invokes the real handler in-process with an API Gateway HTTP API event (as
 * Lambda would, warm: modules loaded, clients built, API key cached), records the
 * calls it makes (DynamoDB and SQS through the shared clients' middleware,
 * provider calls through `fetch`), then replays exactly those calls, with the
 * same inputs and the same concurrency, on bare clients (a plain document client
 * with the same marshalling options, a plain SQS client, plain fetch). The
 * difference is the overhead: middy, Powertools logging, authentication (cached),
 * zod validation, routing, error mapping, response shaping, domain code.
 *
 * The replay goes to a mirror table, a copy of the table made before the
 * measurement: writes then succeed or fail exactly as they did for the handler
 * (a create-payment's conditional puts find no item; its reads find the
 * provider configuration), and the table the handler uses stays untouched.
 */

/** Goal: at most this many milliseconds added at p99. */
export const goalMs = 1;

const mirrorTable = `${localTableName}-bench-mirror`;

interface RouteCase {
  readonly name: string;
  /** A fresh request per iteration (create-payment needs a new idempotency key each time). */
  readonly request: () => ApiRequest;
  readonly status: number;
}

interface Pair {
  readonly handlerMs: number;
  readonly bareMs: number;
  /** The handler's time minus the time its own calls took (each group of concurrent calls once). */
  readonly inRunMs: number;
}

export interface RouteResult {
  readonly name: string;
  readonly calls: string;
  readonly handler: Latency;
  readonly bare: Latency;
  /** p50 and p99 of the handler minus p50 and p99 of the bare replay. */
  readonly addedP50: number;
  readonly addedP99: number;
  /** Median of the per-iteration difference (handler − its replay). */
  readonly pairedP50: number;
  /** Handler time minus the time spent in its own calls, in the same invocation. */
  readonly inRun: Latency;
  /** Replayed calls whose outcome (success/failure) differed from the handler's. */
  readonly mismatches: number;
  readonly meetsGoal: boolean;
}

const dynamoCommands: Record<string, new (input: never) => unknown> = {
  GetItem: GetCommand,
  PutItem: PutCommand,
  UpdateItem: UpdateCommand,
  DeleteItem: DeleteCommand,
  Query: QueryCommand,
  Scan: ScanCommand,
  TransactWriteItems: TransactWriteCommand,
  DescribeTable: DescribeTableCommand,
};
const sqsCommands: Record<string, new (input: never) => unknown> = {
  GetQueueAttributes: GetQueueAttributesCommand,
  SendMessage: SendMessageCommand,
  SendMessageBatch: SendMessageBatchCommand,
};

/** The same input aimed at the mirror table (top level and inside transaction items). */
function toMirror(input: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input };
  if (out.TableName === localTableName) out.TableName = mirrorTable;
  if (Array.isArray(out.TransactItems)) {
    out.TransactItems = (out.TransactItems as Record<string, Record<string, unknown>>[]).map((item) =>
      Object.fromEntries(
        Object.entries(item).map(([op, body]) => [
          op,
          body.TableName === localTableName ? { ...body, TableName: mirrorTable } : body,
        ]),
      ),
    );
  }
  return out;
}

/**
 * A provider call again. A create-payment's initialize names a reference the
 * provider has just seen (a duplicate is refused before any work), so the replay
 * sends a fresh one: the same request the provider handles in full.
 */
function freshBody(body: unknown): unknown {
  if (typeof body !== 'string' || !body.includes('"reference"')) return body;
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    if (typeof parsed.reference === 'string') parsed.reference = `bench${randomBytes(8).toString('hex')}`;
    return JSON.stringify(parsed);
  } catch {
    return body;
  }
}

async function replayOne(stack: BenchStack, call: CallRecord): Promise<boolean> {
  try {
    if (call.service === 'dynamodb') {
      const Command = dynamoCommands[call.command];
      if (!Command) throw new Error(`no bare replay for DynamoDB ${call.command}`);
      await stack.bare.dynamo.send(new Command(toMirror(call.input) as never) as never);
    } else if (call.service === 'sqs') {
      const Command = sqsCommands[call.command];
      if (!Command) throw new Error(`no bare replay for SQS ${call.command}`);
      await stack.bare.sqs.send(new Command(call.input as never) as never);
    } else {
      const { url, init } = call.input as { url: string; init: RequestInit };
      const body =
        init.body === undefined || init.body === null
          ? {}
          : { body: freshBody(init.body) as NonNullable<RequestInit['body']> };
      const response = await bareFetch()(url, { ...init, ...body, signal: AbortSignal.timeout(10_000) });
      await response.text();
    }
    return true;
  } catch (error) {
    if ((error as Error).message.startsWith('no bare replay')) throw error;
    return false;
  }
}

/** Replays the calls group by group (calls that overlapped in the handler run concurrently). */
async function replay(
  stack: BenchStack,
  calls: readonly CallRecord[],
): Promise<{ ms: number; mismatches: number }> {
  const groups = concurrentGroups(calls);
  let mismatches = 0;
  const started = performance.now();
  for (const group of groups) {
    const outcomes = await Promise.all(group.map((call) => replayOne(stack, call)));
    outcomes.forEach((ok, i) => {
      if (ok !== group[i]?.ok) mismatches += 1;
    });
  }
  return { ms: performance.now() - started, mismatches };
}

interface Iteration {
  readonly pair: Pair;
  readonly calls: readonly CallRecord[];
  readonly mismatches: number;
}

async function iterate(stack: BenchStack, route: RouteCase): Promise<Iteration> {
  const call = prepare(route.request());
  recorder.reset();
  recorder.mode = 'capture';
  let answer;
  try {
    answer = await invokePrepared(call);
  } finally {
    recorder.mode = 'off';
  }
  if (answer.status !== route.status) {
    throw new Error(
      `${route.name}: expected ${route.status}, got ${answer.status} ${JSON.stringify(answer.body)}`,
    );
  }
  // Calls the handler started and saw finish; a fire-and-forget write still running
  // when it returned (the API key's lastUsedAt) is not on its critical path.
  const calls = recorder
    .take()
    .filter((r) => r.fn === call.fn && r.phase === 'handler' && r.endedAt !== undefined);
  const bare = await replay(stack, calls);
  const waited = concurrentGroups(calls).reduce(
    (total, group) =>
      total +
      Math.max(...group.map((c) => c.endedAt ?? c.startedAt)) -
      Math.min(...group.map((c) => c.startedAt)),
    0,
  );
  return {
    pair: { handlerMs: answer.ms, bareMs: bare.ms, inRunMs: answer.ms - waited },
    calls,
    mismatches: bare.mismatches,
  };
}

function callList(calls: readonly CallRecord[]): string {
  const counts = new Map<string, number>();
  for (const call of calls) {
    const name = call.service === 'http' ? 'provider' : call.command;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([name, n]) => (n > 1 ? `${n}× ${name}` : name)).join(' + ') || 'none';
}

async function measureRoute(
  stack: BenchStack,
  route: RouteCase,
  warmup: number,
  iterations: number,
  context: BenchContext,
): Promise<RouteResult> {
  context.progress.update(`warm-overhead: ${route.name}: ${warmup} warm-up + ${iterations} iterations`, true);
  for (let i = 0; i < warmup; i++) await iterate(stack, route);
  const pairs: Pair[] = [];
  let mismatches = 0;
  let last: Iteration | undefined;
  for (let i = 0; i < iterations; i++) {
    if (i % 100 === 0) context.progress.update(`warm-overhead: ${route.name}: ${i}/${iterations}`);
    last = await iterate(stack, route);
    pairs.push(last.pair);
    mismatches += last.mismatches;
  }
  const handler = latency(pairs.map((p) => p.handlerMs));
  const bare = latency(pairs.map((p) => p.bareMs));
  const addedP99 = handler.p99 - bare.p99;
  return {
    name: route.name,
    calls: callList(last?.calls ?? []),
    handler,
    bare,
    addedP50: handler.p50 - bare.p50,
    addedP99,
    pairedP50: latency(pairs.map((p) => p.handlerMs - p.bareMs)).p50,
    inRun: latency(pairs.map((p) => p.inRunMs)),
    mismatches,
    meetsGoal: addedP99 <= goalMs,
  };
}

/** A merchant with 20 payments (10 settled by webhooks, so 10 events) and an endpoint. */
async function seed(stack: BenchStack, context: BenchContext): Promise<{ shop: Shop; paymentId: string }> {
  context.progress.update('warm-overhead: seeding a merchant with payments and events', true);
  const shop = await openShop(stack, { endpointPath: '/warm-overhead', sandboxWebhooks: true });
  const settled = await mapLimit(Array.from({ length: 10 }), 5, () => createPayment(shop.key));
  for (const payment of settled) await completeOnSandbox(stack, shop.paystack, payment.providerReference);
  const missing = await stack.receiver.waitForAll(
    settled.map((p) => p.id),
    30_000,
  );
  if (missing > 0) throw new Error(`${missing} of 10 seed payments were not settled by their webhooks`);
  await sandboxAccount(stack, shop.paystack, false);
  await mapLimit(Array.from({ length: 10 }), 5, () => createPayment(shop.key));
  await stack.settle();
  return { shop, paymentId: (settled[0] as { id: string }).id };
}

/** Creates the mirror table and copies every item of the table into it. */
async function mirror(stack: BenchStack): Promise<number> {
  await createTable(stack.dynamoEndpoint, mirrorTable);
  let copied = 0;
  let start: Record<string, unknown> | undefined;
  for (let page = 0; page < 1000; page++) {
    const out = await stack.bare.dynamo.send(
      new ScanCommand({ TableName: localTableName, ExclusiveStartKey: start, Limit: 500 }),
    );
    const items = out.Items ?? [];
    for (let i = 0; i < items.length; i += 25) {
      let requests: Record<string, unknown>[] | undefined = items
        .slice(i, i + 25)
        .map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests && requests.length > 0 && attempt < 20; attempt++) {
        const written: BatchWriteCommandOutput = await stack.bare.dynamo.send(
          new BatchWriteCommand({ RequestItems: { [mirrorTable]: requests } }),
        );
        requests = written.UnprocessedItems?.[mirrorTable];
      }
      if (requests && requests.length > 0) throw new Error('could not copy the table to its mirror');
    }
    copied += items.length;
    start = out.LastEvaluatedKey;
    if (!start) break;
  }
  return copied;
}

function resultsTable(results: readonly RouteResult[]): string {
  return markdownTable(
    [
      'route',
      'calls replayed',
      'handler p50',
      'handler p99',
      'bare p50',
      'bare p99',
      'added p50',
      'added p99',
      'in-run p50',
      'in-run p99',
      'goal',
    ],
    results.map((r) => [
      r.name,
      r.calls,
      ms2(r.handler.p50),
      ms2(r.handler.p99),
      ms2(r.bare.p50),
      ms2(r.bare.p99),
      ms2(r.addedP50),
      ms2(r.addedP99),
      ms2(r.inRun.p50),
      ms2(r.inRun.p99),
      r.meetsGoal ? 'ok' : `over (≤ ${goalMs} ms)`,
    ]),
    [false, false, true, true, true, true, true, true, true, true, false],
  );
}

/** Iterations per route: `--runs N` × 200 (3000 by default), 200 with `--quick`. */
export const iterationsFor = (context: BenchContext): number => (context.quick ? 200 : context.runs * 200);

async function run(context: BenchContext): Promise<void> {
  const stack = await benchStack(context);
  const logsAtStart = logTallies();
  const loadAtStart = loadAverage();
  const { shop, paymentId } = await seed(stack, context);
  const copied = await mirror(stack);
  const iterations = iterationsFor(context);
  const warmup = context.quick ? 20 : 100;
  const key = shop.key;
  const withKey = { authorization: `Bearer ${key}` };
  const routes: RouteCase[] = [
    { name: 'get-health', request: () => ({ method: 'GET', path: '/health' }), status: 200 },
    { name: 'get-me', request: () => getMeRequest(key), status: 200 },
    {
      name: 'list-payments',
      request: () => ({ method: 'GET', path: '/v1/payments', query: { limit: '20' }, headers: withKey }),
      status: 200,
    },
    {
      name: 'get-payment',
      request: () => ({ method: 'GET', path: `/v1/payments/${paymentId}`, headers: withKey }),
      status: 200,
    },
    { name: 'create-payment', request: () => createPaymentRequest(key), status: 201 },
    {
      name: 'list-events',
      request: () => ({ method: 'GET', path: '/v1/events', query: { limit: '20' }, headers: withKey }),
      status: 200,
    },
  ];
  const results: RouteResult[] = [];
  try {
    for (const route of routes) results.push(await measureRoute(stack, route, warmup, iterations, context));
  } finally {
    recorder.mode = 'off';
    recorder.reset();
    await stack.bare.dynamo.send(new DeleteTableCommand({ TableName: mirrorTable })).catch(() => undefined);
  }
  context.progress.done();

  console.log(
    `\nWarm overhead per route: ${iterations} warm invocations each (after ${warmup} warm-up), in-process,`,
  );
  console.log('handler vs the same calls replayed on bare clients. Milliseconds. added = handler − bare');
  console.log('(p50 − p50, p99 − p99: the goal); in-run = handler time minus the time its own calls took in');
  console.log(
    'the same invocation (middleware timestamps), which leaves out run-to-run noise of the emulators.\n',
  );
  console.log(resultsTable(results));
  const loadAtEnd = loadAverage();
  console.log(
    `\nMachine load average (1 min): ${loadAtStart} at the start, ${loadAtEnd} at the end (2 cores).`,
  );
  const over = results.filter((r) => !r.meetsGoal);
  console.log(
    `\nGoal: ≤ ${goalMs} ms added at p99 (handler p99 − bare p99). ` +
      (over.length === 0 ? 'Every route meets it.' : `Over: ${over.map((r) => r.name).join(', ')}.`),
  );
  const mismatched = results.filter((r) => r.mismatches > 0);
  if (mismatched.length > 0) {
    console.log(
      `Replays whose outcome differed from the handler's: ${mismatched.map((r) => `${r.name} ${r.mismatches}`).join(', ')}.`,
    );
  }

  reportProblems(stack, logsAtStart);
  const path = await writeResults(context, 'warm-overhead', {
    goalMs,
    iterations,
    warmup,
    mirroredItems: copied,
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    results,
  });
  console.log(`\nResults: ${relative(context.root, path)}`);
}

export const warmOverhead: Benchmark = {
  name: 'warm-overhead',
  title: 'Warm overhead: handler vs bare calls per route',
  run,
};
