import { cpus } from 'node:os';
import { relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createTable, localTableName } from '#local/resources';
import { type BenchContext, type Benchmark, writeResults } from './benchmark.ts';
import {
  completeOnSandbox,
  createPayment,
  mapLimit,
  openShop,
  type Payment,
  paystackWebhook,
  type Shop,
  type SignedWebhook,
} from './fixtures.ts';
import { markdownTable } from './format.ts';
import { bareFetch } from './instrument.ts';
import { type BenchStack, benchStack, type Invocation, loadAverage, reportProblems } from './local-stack.ts';
import { logTallies } from './product-logs.ts';
import { type Latency, latency, ms2, percent, perSecond } from './percentiles.ts';

/**
 * Pipeline: provider webhooks per second through ingest → verify → deliver on
 * the local stack, from the provider's POST to the merchant receiver's receipt.
 *
 * Each webhook is Paystack's `charge.success` for its own pending payment, which
 * the sandbox has already settled (so the verify worker's call to the sandbox's
 * verify API says paid and the payment moves: one state change, one event, one
 * delivery each). The sandbox account has no webhook URL, so only the bench's
 * senders post webhooks, signed as Paystack signs them.
 *
 * Senders are closed loops: each posts a webhook (waiting for our 200, as a
 * provider does) and posts the next once the merchant's receiver has the first,
 * so N senders keep N webhooks in the pipeline. In the same run, with the same concurrency, the emulators' raw rates:
 * SendMessage and ReceiveMessage on fauxqs, and TransactWriteItems (four items,
 * the size of the verify worker's transaction) on DynamoDB Local. Then an open-loop
 * run at a fixed 100 webhooks/s checks the latency goal.
 */

export const goals = { shareOfRaw: 0.5, p99Ms: 250, atRate: 100 } as const;

interface Level {
  readonly concurrency: number;
  readonly count: number;
}

const levelsFull: readonly Level[] = [
  { concurrency: 1, count: 200 },
  { concurrency: 10, count: 500 },
  { concurrency: 100, count: 500 },
];
const levelsQuick: readonly Level[] = [
  { concurrency: 1, count: 20 },
  { concurrency: 10, count: 50 },
  { concurrency: 100, count: 100 },
];

const rawQueueName = 'paybridge-bench-raw';
const rawTable = `${localTableName}-bench-raw`;

interface Machine {
  /** Event-loop utilisation of this process (API, handlers, workers, fauxqs, sandboxes, senders). */
  readonly eventLoop: number;
  /** CPU time of this process over wall time, in cores. */
  readonly nodeCores: number;
  /** CPU time of this process, ms. */
  readonly nodeCpuMs: number;
  /** Busy share of all cores of the machine (DynamoDB Local's JVM included). */
  readonly machineBusy: number;
}

interface WorkerLoad {
  readonly invocations: number;
  readonly meanBatch: number;
  /** Share of the run the worker's handler was running. */
  readonly busy: number;
  readonly meanHandlerMs: number;
}

export interface LevelResult {
  readonly concurrency: number;
  readonly count: number;
  readonly delivered: number;
  readonly ingestFailures: number;
  readonly seconds: number;
  /** Webhooks delivered to the receiver per second (first POST to last receipt). */
  readonly pipelinePerSecond: number;
  readonly ack: Latency;
  readonly endToEnd: Latency;
  readonly raw: {
    readonly sendPerSecond: number;
    readonly receivePerSecond: number;
    readonly transactPerSecond: number;
  };
  /** Pipeline rate over the slowest raw rate. */
  readonly shareOfRaw: number;
  readonly machine: Machine;
  readonly verify: WorkerLoad;
  readonly deliver: WorkerLoad;
}

export interface RateResult {
  readonly targetPerSecond: number;
  readonly count: number;
  readonly ingestFailures: number;
  readonly sentPerSecond: number;
  readonly delivered: number;
  readonly pipelinePerSecond: number;
  readonly endToEnd: Latency;
  readonly meetsGoal: boolean;
  readonly machine: Machine;
  readonly verify: WorkerLoad;
  readonly deliver: WorkerLoad;
}

interface Prepared {
  readonly payments: readonly Payment[];
  readonly hooks: readonly SignedWebhook[];
}

/** Pending payments the sandbox has settled, and their signed webhooks (untimed). */
async function preparePayments(
  stack: BenchStack,
  shop: Shop,
  count: number,
  label: string,
  context: BenchContext,
): Promise<Prepared> {
  context.progress.update(`pipeline: ${label}: creating and settling ${count} payments`, true);
  const payments = await mapLimit(Array.from({ length: count }), 8, async (_, i) => {
    if (i % 50 === 0) context.progress.update(`pipeline: ${label}: payment ${i}/${count}`);
    return createPayment(shop.key);
  });
  await mapLimit(payments, 8, (p) => completeOnSandbox(stack, shop.paystack, p.providerReference));
  await stack.settle();
  return { payments, hooks: payments.map((p) => paystackWebhook(shop.paystack, p)) };
}

function machineMeter(): () => Machine {
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const cores = cpus();
  const wallStart = performance.now();
  const busyOf = (list: ReturnType<typeof cpus>) =>
    list.reduce(
      (acc, c) => {
        const { user, nice, sys, irq, idle } = c.times;
        acc.busy += user + nice + sys + irq;
        acc.total += user + nice + sys + irq + idle;
        return acc;
      },
      { busy: 0, total: 0 },
    );
  const before = busyOf(cores);
  return () => {
    const wall = performance.now() - wallStart;
    const used = process.cpuUsage(cpu);
    const after = busyOf(cpus());
    const total = after.total - before.total;
    return {
      eventLoop: performance.eventLoopUtilization(elu).utilization,
      nodeCores: (used.user + used.system) / 1000 / wall,
      nodeCpuMs: (used.user + used.system) / 1000,
      machineBusy: total > 0 ? (after.busy - before.busy) / total : Number.NaN,
    };
  };
}

function workerLoad(invocations: readonly Invocation[], fn: string, wallMs: number): WorkerLoad {
  const mine = invocations.filter((i) => i.fn === fn);
  const records = mine.reduce((n, i) => n + i.records, 0);
  const busyMs = mine.reduce((n, i) => n + (i.endedAt - i.startedAt), 0);
  return {
    invocations: mine.length,
    meanBatch: mine.length > 0 ? records / mine.length : 0,
    busy: wallMs > 0 ? busyMs / wallMs : 0,
    meanHandlerMs: mine.length > 0 ? busyMs / mine.length : 0,
  };
}

async function post(url: string, hook: SignedWebhook): Promise<number> {
  const response = await bareFetch()(url, { method: 'POST', headers: hook.headers, body: hook.body });
  await response.text();
  return response.status;
}

const waitBudgetMs = (count: number): number => Math.min(180_000, 30_000 + count * 200);
/** A webhook not at the receiver after this long is counted missing (the queues' visibility timeout is 60 s). */
const perWebhookTimeoutMs = 90_000;

/**
 * Closed-loop senders: `concurrency` of them share the webhooks; each posts one,
 * and posts the next once the merchant's receiver has it, so `concurrency`
 * webhooks are in the pipeline at any time.
 */
async function runLevel(
  stack: BenchStack,
  shop: Shop,
  level: Level,
  prepared: Prepared,
  context: BenchContext,
) {
  context.progress.update(`pipeline: ${level.concurrency} senders, ${level.count} webhooks`, true);
  stack.clearInvocations();
  const sentAt: number[] = new Array<number>(prepared.hooks.length);
  const ackMs: number[] = [];
  let failures = 0;
  let missing = 0;
  let next = 0;
  const meter = machineMeter();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: level.concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= prepared.hooks.length) return;
        const t0 = performance.now();
        sentAt[i] = t0;
        const status = await post(shop.paystack.webhookUrl, prepared.hooks[i] as SignedWebhook);
        ackMs.push(performance.now() - t0);
        if (status !== 200) failures += 1;
        // At most `concurrency` webhooks in the pipeline: the next goes when this one has arrived.
        await stack.receiver
          .waitFor((prepared.payments[i] as Payment).id, perWebhookTimeoutMs)
          .catch(() => (missing += 1));
      }
    }),
  );
  const machine = meter();
  const ids = prepared.payments.map((p) => p.id);
  const arrived = ids
    .map((id, i) => ({ at: stack.receiver.arrivals.get(id), sent: sentAt[i] as number }))
    .filter((a): a is { at: number; sent: number } => a.at !== undefined);
  if (arrived.length === 0) throw new Error('no webhook reached the receiver: is the pipeline running?');
  const wall = Math.max(...arrived.map((a) => a.at)) - started;
  await stack.settle(200, 60_000);
  return {
    delivered: arrived.length,
    missing,
    failures,
    pipelinePerSecond: (arrived.length / wall) * 1000,
    seconds: wall / 1000,
    ack: latency(ackMs),
    endToEnd: latency(arrived.map((a) => a.at - a.sent)),
    machine,
    verify: workerLoad(stack.invocations, 'verify-provider-events', wall),
    deliver: workerLoad(stack.invocations, 'deliver-webhooks', wall),
  };
}

/** Open loop: one webhook every 1000/rate ms, whatever the answers, for the latency goal. */
async function runRate(
  stack: BenchStack,
  shop: Shop,
  rate: number,
  prepared: Prepared,
  context: BenchContext,
): Promise<RateResult> {
  const count = prepared.hooks.length;
  context.progress.update(`pipeline: open loop at ${rate}/s, ${count} webhooks`, true);
  stack.clearInvocations();
  const interval = 1000 / rate;
  const sentAt: number[] = new Array<number>(count);
  const sends: Promise<number>[] = [];
  const meter = machineMeter();
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    sentAt[i] = performance.now();
    sends.push(post(shop.paystack.webhookUrl, prepared.hooks[i] as SignedWebhook));
  }
  const lastSent = performance.now();
  const statuses = await Promise.all(sends);
  const ids = prepared.payments.map((p) => p.id);
  await stack.receiver.waitForAll(ids, waitBudgetMs(count));
  const machine = meter();
  const arrived = ids
    .map((id, i) => ({ at: stack.receiver.arrivals.get(id), sent: sentAt[i] as number }))
    .filter((a): a is { at: number; sent: number } => a.at !== undefined);
  if (arrived.length === 0) throw new Error('no webhook reached the receiver: is the pipeline running?');
  const wall = Math.max(...arrived.map((a) => a.at)) - started;
  await stack.settle(200, 60_000);
  const endToEnd = latency(arrived.map((a) => a.at - a.sent));
  const failures = statuses.filter((s) => s !== 200).length;
  return {
    targetPerSecond: rate,
    count,
    ingestFailures: failures,
    sentPerSecond: ((count - 1) / (lastSent - started)) * 1000,
    delivered: arrived.length,
    pipelinePerSecond: (arrived.length / wall) * 1000,
    endToEnd,
    meetsGoal: arrived.length === count && endToEnd.p99 <= goals.p99Ms,
    machine,
    verify: workerLoad(stack.invocations, 'verify-provider-events', wall),
    deliver: workerLoad(stack.invocations, 'deliver-webhooks', wall),
  };
}

/** `count` calls spread over `concurrency` closed loops; answers calls per second. */
async function rawRate(
  concurrency: number,
  count: number,
  call: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        await call(i);
      }
    }),
  );
  return (count / (performance.now() - started)) * 1000;
}

/** An ingest message of the real size: the provider-events queue's body for one Paystack webhook. */
function rawMessage(hook: SignedWebhook): string {
  return JSON.stringify({
    provider: 'paystack',
    token: 'x'.repeat(43),
    headers: { ...hook.headers, 'user-agent': 'Paystack/1.0', host: '127.0.0.1' },
    body: Buffer.from(hook.body).toString('base64'),
    sourceIp: '52.31.139.75',
    receivedAt: new Date().toISOString(),
  });
}

let rawCounter = 0;

/** The verify worker's transaction, in shape and size: payment, provider event, event, delivery. */
function rawTransaction() {
  const n = rawCounter++;
  const put = (sk: string, bytes: number) => ({
    Put: {
      TableName: rawTable,
      Item: { pk: `RAW#${n}`, sk, filler: 'x'.repeat(bytes) },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  });
  return new TransactWriteCommand({
    TransactItems: [put('PAY', 900), put('PEVT', 250), put('EVT', 1100), put('DLV', 400)],
  });
}

async function rawRates(
  stack: BenchStack,
  queueUrl: string,
  concurrency: number,
  count: number,
  sample: SignedWebhook,
) {
  const body = rawMessage(sample);
  const sendPerSecond = await rawRate(concurrency, count, () =>
    stack.bare.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body })),
  );
  let received = 0;
  let empty = 0;
  const receiveStarted = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (received < count && empty < 3 * concurrency) {
        const out = await stack.bare.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            VisibilityTimeout: 600,
          }),
        );
        const n = out.Messages?.length ?? 0;
        received += n;
        if (n === 0) empty += 1;
      }
    }),
  );
  const receivePerSecond = (received / (performance.now() - receiveStarted)) * 1000;
  await stack.bare.sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
  const transactPerSecond = await rawRate(concurrency, count, () => stack.bare.dynamo.send(rawTransaction()));
  return { sendPerSecond, receivePerSecond, transactPerSecond };
}

function levelTable(results: readonly LevelResult[]): string {
  return markdownTable(
    [
      'senders',
      'webhooks',
      'delivered',
      'pipeline /s',
      'e2e p50 ms',
      'e2e p99 ms',
      'ingest 200 p50 ms',
      'raw Send /s',
      'raw Receive msg/s',
      'raw TransactWrite /s',
      'pipeline ÷ slowest raw',
    ],
    results.map((r) => [
      String(r.concurrency),
      String(r.count),
      String(r.delivered),
      perSecond(r.pipelinePerSecond),
      ms2(r.endToEnd.p50),
      ms2(r.endToEnd.p99),
      ms2(r.ack.p50),
      perSecond(r.raw.sendPerSecond),
      perSecond(r.raw.receivePerSecond),
      perSecond(r.raw.transactPerSecond),
      percent(r.shareOfRaw),
    ]),
    [true, true, true, true, true, true, true, true, true, true, true],
  );
}

function loadTable(
  rows: readonly {
    label: string;
    delivered: number;
    machine: Machine;
    verify: WorkerLoad;
    deliver: WorkerLoad;
  }[],
): string {
  return markdownTable(
    [
      'run',
      'event loop busy',
      'node CPU (cores)',
      'node CPU ms / webhook',
      'machine CPU busy',
      'verify: batches, mean size',
      'verify busy',
      'deliver: batches, mean size',
      'deliver busy',
    ],
    rows.map((r) => [
      r.label,
      percent(r.machine.eventLoop),
      r.machine.nodeCores.toFixed(2),
      ms2(r.machine.nodeCpuMs / r.delivered),
      percent(r.machine.machineBusy),
      `${r.verify.invocations}, ${r.verify.meanBatch.toFixed(1)} (${ms2(r.verify.meanHandlerMs)} ms each)`,
      percent(r.verify.busy),
      `${r.deliver.invocations}, ${r.deliver.meanBatch.toFixed(1)} (${ms2(r.deliver.meanHandlerMs)} ms each)`,
      percent(r.deliver.busy),
    ]),
    [false, true, true, true, true, false, true, false, true],
  );
}

async function run(context: BenchContext): Promise<void> {
  const stack = await benchStack(context);
  const logsAtStart = logTallies();
  const loadAtStart = loadAverage();
  const levels = context.quick ? levelsQuick : levelsFull;
  const rateCount = context.quick ? 100 : 500;
  context.progress.update('pipeline: merchant, raw queue and table', true);
  const shop = await openShop(stack, { endpointPath: '/pipeline', sandboxWebhooks: false });
  const queue = await stack.bare.sqs.send(new CreateQueueCommand({ QueueName: rawQueueName }));
  const queueUrl = queue.QueueUrl as string;
  await createTable(stack.dynamoEndpoint, rawTable);
  const results: LevelResult[] = [];
  let rate: RateResult;
  try {
    for (const level of levels) {
      const prepared = await preparePayments(
        stack,
        shop,
        level.count,
        `${level.concurrency} senders`,
        context,
      );
      const measured = await runLevel(stack, shop, level, prepared, context);
      if (measured.missing > 0) {
        console.log(
          `\n${measured.missing} of ${level.count} webhooks did not reach the receiver within ${waitBudgetMs(level.count) / 1000} s.`,
        );
      }
      context.progress.update(`pipeline: raw rates at ${level.concurrency}`, true);
      const raw = await rawRates(
        stack,
        queueUrl,
        level.concurrency,
        Math.max(level.count, 200),
        prepared.hooks[0] as SignedWebhook,
      );
      const slowest = Math.min(raw.sendPerSecond, raw.receivePerSecond, raw.transactPerSecond);
      results.push({
        concurrency: level.concurrency,
        count: level.count,
        delivered: measured.delivered,
        ingestFailures: measured.failures,
        seconds: measured.seconds,
        pipelinePerSecond: measured.pipelinePerSecond,
        ack: measured.ack,
        endToEnd: measured.endToEnd,
        raw,
        shareOfRaw: measured.pipelinePerSecond / slowest,
        machine: measured.machine,
        verify: measured.verify,
        deliver: measured.deliver,
      });
    }
    const prepared = await preparePayments(stack, shop, rateCount, `${goals.atRate}/s`, context);
    rate = await runRate(stack, shop, goals.atRate, prepared, context);
  } finally {
    await stack.bare.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    await stack.bare.dynamo.send(new DeleteTableCommand({ TableName: rawTable })).catch(() => undefined);
  }
  context.progress.done();

  console.log('\nPipeline: Paystack webhooks through ingest → provider-events queue → verify worker →');
  console.log(
    'deliveries queue → deliver worker → local receiver, on the local stack. Each webhook settles its own',
  );
  console.log('payment. e2e = provider POST to receipt. Raw rates: the emulators alone, same concurrency.\n');
  console.log(levelTable(results));
  console.log(
    `\nIngest answer (provider's POST → 200), p50/p99 ms: ${results.map((r) => `${r.concurrency} senders ${ms2(r.ack.p50)}/${ms2(r.ack.p99)}`).join(', ')}.`,
  );
  console.log(
    `\nOpen loop at ${rate.targetPerSecond}/s (${rate.count} webhooks, sent at ${perSecond(rate.sentPerSecond)}/s): ` +
      `${rate.delivered} delivered at ${perSecond(rate.pipelinePerSecond)}/s, e2e p50 ${ms2(rate.endToEnd.p50)} ms, ` +
      `p99 ${ms2(rate.endToEnd.p99)} ms, max ${ms2(rate.endToEnd.max)} ms.`,
  );
  console.log(
    '\nWhere the time went (this process runs the API, handlers, workers, fauxqs, sandboxes and senders;',
  );
  console.log(
    'DynamoDB Local is a separate JVM; the workers are one long-polling loop per queue, as in npm start):\n',
  );
  console.log(
    loadTable([
      ...results.map((r) => ({ label: `${r.concurrency} senders`, ...r })),
      { label: `${rate.targetPerSecond}/s open loop`, ...rate },
    ]),
  );
  const loadAtEnd = loadAverage();
  console.log(
    `\nMachine load average (1 min): ${loadAtStart} at the start, ${loadAtEnd} at the end (2 cores).`,
  );
  const shareMet = results.filter((r) => r.shareOfRaw >= goals.shareOfRaw).map((r) => r.concurrency);
  console.log(
    `\nGoals: pipeline ≥ ${percent(goals.shareOfRaw)} of the slowest raw rate — met at ${shareMet.length === 0 ? 'no level' : `${shareMet.join(', ')} senders`}; ` +
      `p99 ≤ ${goals.p99Ms} ms at ${goals.atRate}/s — ${rate.meetsGoal ? 'met' : 'missed'} (${ms2(rate.endToEnd.p99)} ms).`,
  );

  reportProblems(stack, logsAtStart);
  const path = await writeResults(context, 'pipeline', {
    goals,
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    levels: results,
    openLoop: rate,
  });
  console.log(`\nResults: ${relative(context.root, path)}`);
}

export const pipeline: Benchmark = {
  name: 'pipeline',
  title: 'Pipeline: provider webhook → ingest → verify → deliver',
  run,
};
