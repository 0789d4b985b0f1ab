import { relative } from 'node:path';
import { functionName, routes, workers } from '#routes';
import { type BenchContext, type Benchmark, writeResults } from './benchmark.ts';
import { classOf, concurrentGroups, describeCall, resolveUnits, unitsOf } from './calls.ts';
import {
  completeOnSandbox,
  createKey,
  createPaymentRequest,
  expectStatus,
  getMeRequest,
  ingestRequest,
  invoke,
  openShop,
  paystackWebhook,
  paymentAmount,
  type Shop,
  verifyPaymentRequest,
} from './fixtures.ts';
import { markdownTable } from './format.ts';
import { type CallRecord, recorder } from './instrument.ts';
import { type BenchStack, benchStack, loadAverage, reportProblems } from './local-stack.ts';
import { logsSince, logTallies } from './product-logs.ts';
import { type Latency, latency, ms2 } from './percentiles.ts';
import { cloudLatencyMs, lambdaFullVcpuMb, platformLogBytesPerInvocation, prices } from './prices.ts';

/**
 * Cost per 1M successful payments, from what the other benchmarks measure, on
 * a run of its own: N payments, each the full story on the local stack —
 *
 *   create (POST /v1/payments, API key) → the customer pays on the sandbox →
 *   Paystack's webhook (POST /hooks/paystack/{token}) → verify worker → one
 *   delivery to the merchant's endpoint → the merchant's verify call
 *   (POST /v1/payments/{id}/verify, after the webhook: the payment is settled)
 *
 * — counting per function the DynamoDB requests and the capacity DynamoDB Local
 * reports, SQS requests, provider calls, log bytes, and each invocation's
 * duration. Prices: bench/prices.ts (us-east-1, with their date).
 *
 * Two caching scenarios:
 * - A, few busy merchants: every API key and secret is in its function's cache
 *   (5 s for keys, 5 min for secrets), so authentication costs no request and
 *   opening a secret no KMS call;
 * - B, many small merchants: every API call authenticates (GetItem + the
 *   conditional lastUsedAt write) and every secret open is a KMS Decrypt.
 *
 * Lambda duration is billed on Lambda, where DynamoDB, SQS, providers and
 * merchants answer slower than the local emulators and a 512 MB function gets
 * about 0.29 of a vCPU: the local duration minus the time spent waiting on calls,
 * scaled for the CPU share (bench/prices.ts `lambdaFullVcpuMb`), plus the calls
 * at the assumed cloud latencies (`cloudLatencyMs`), per group of concurrent calls.
 */

/** Functions one payment runs through, with how many times each is invoked. */
const story: readonly { readonly fn: string; readonly invocations: number; readonly apiCall: boolean }[] = [
  { fn: 'create-payment', invocations: 1, apiCall: true },
  { fn: 'receive-provider-webhook', invocations: 1, apiCall: true },
  { fn: 'verify-provider-events', invocations: 1, apiCall: false },
  { fn: 'deliver-webhooks', invocations: 1, apiCall: false },
  { fn: 'verify-payment', invocations: 1, apiCall: true },
];

/** Functions that authenticate with the API key on each call (scenario B pays for it). */
const authenticated = new Set(['create-payment', 'verify-payment']);

/**
 * Secrets a function opens per payment when none is cached (scenario B: one KMS
 * Decrypt each). create-payment and the verify worker open the provider's secret
 * key (functions/store/providers.ts `credentials()`; the verify worker opens it
 * twice, the second from its cache), the deliver worker the endpoint's signing
 * secret (core/webhook-endpoints.ts `signingSecrets`). verify-payment after
 * the webhook finds the payment settled and calls no provider.
 */
const secretsOpened: Readonly<Record<string, number>> = {
  'create-payment': 1,
  'verify-provider-events': 1,
  'deliver-webhooks': 1,
};

function memoryOf(fn: string): number {
  const route = routes.find((r) => functionName(r.handler) === fn);
  const worker = workers.find((w) => functionName(w.handler) === fn);
  return route?.memoryMb ?? worker?.memoryMb ?? 512;
}

/** How much longer CPU-bound work takes on Lambda at this memory size than on one full core. */
const cpuScale = (memoryMb: number): number => Math.max(1, lambdaFullVcpuMb / memoryMb);

const isAuthRefresh = (record: CallRecord): boolean => {
  const text = describeCall(record);
  return text.startsWith('GetItem api-key-by-hash') || text.startsWith('UpdateItem api-key');
};

interface Sample {
  readonly localMs: number;
  /** Local time spent waiting on calls (groups of concurrent calls counted once). */
  readonly waitedMs: number;
  /** The same calls at cloud latencies. */
  readonly cloudCallsMs: number;
  readonly dynamoRequests: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly sqsRequests: number;
  readonly providerCalls: number;
  readonly logBytes: number;
}

export interface FunctionCost {
  readonly fn: string;
  readonly memoryMb: number;
  readonly invocations: number;
  readonly localMs: Latency;
  /** Median modelled duration on Lambda, scenario A. */
  readonly cloudMs: number;
  readonly dynamoRequests: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly sqsRequests: number;
  readonly providerCalls: number;
  readonly logBytes: number;
  readonly secretsOpened: number;
}

const cloudLatencyOf = (call: CallRecord): number => {
  if (call.service === 'http') return cloudLatencyMs.provider;
  if (call.service === 'sqs') return cloudLatencyMs.sqs;
  return call.command === 'TransactWriteItems' ? cloudLatencyMs.dynamodbTransaction : cloudLatencyMs.dynamodb;
};

function sample(fn: string, localMs: number, records: readonly CallRecord[], logBytes: number): Sample {
  const mine = records.filter((r) => r.fn === fn && !isAuthRefresh(r));
  const inHandler = mine.filter((r) => r.phase === 'handler' && r.endedAt !== undefined);
  let waitedMs = 0;
  let cloudCallsMs = fn === 'deliver-webhooks' ? cloudLatencyMs.merchantEndpoint : 0;
  for (const group of concurrentGroups(inHandler)) {
    waitedMs +=
      Math.max(...group.map((c) => c.endedAt ?? c.startedAt)) - Math.min(...group.map((c) => c.startedAt));
    cloudCallsMs += Math.max(...group.map(cloudLatencyOf));
  }
  const dynamo = mine.filter((r) => r.service === 'dynamodb' && classOf(r) !== 'control');
  const sqs = mine.filter(
    (r) => r.service === 'sqs' && (r.command !== 'ReceiveMessage' || (r.messages ?? 0) > 0),
  );
  return {
    localMs,
    waitedMs,
    cloudCallsMs,
    dynamoRequests: dynamo.length,
    readUnits: dynamo.filter((r) => classOf(r) === 'read').reduce((n, r) => n + unitsOf(r), 0),
    writeUnits: dynamo.filter((r) => classOf(r) === 'write').reduce((n, r) => n + unitsOf(r), 0),
    sqsRequests: sqs.length,
    providerCalls: mine.filter((r) => r.service === 'http').length,
    logBytes,
  };
}

const median = (values: readonly number[]): number => latency(values).p50;

interface Measured {
  readonly functions: FunctionCost[];
  /** One uncached API-key authentication: requests and units. */
  readonly auth: { readonly requests: number; readonly readUnits: number; readonly writeUnits: number };
  /** Cache refills that happened during the run (left out of scenario A). */
  readonly authRefreshesSeen: number;
}

/** One API call with a key no function has cached yet (a second key of the same merchant). */
async function measureAuth(stack: BenchStack, shop: Shop): Promise<Measured['auth']> {
  const key = await createKey(shop.account);
  await stack.settle();
  recorder.reset();
  expectStatus(await invoke(getMeRequest(key)), 200, 'GET /v1/me');
  await stack.settle();
  const records = recorder.take();
  await resolveUnits(records, stack.readItem);
  const calls = records.filter(isAuthRefresh);
  return {
    requests: calls.length,
    readUnits: calls.filter((c) => classOf(c) === 'read').reduce((n, c) => n + unitsOf(c), 0),
    writeUnits: calls.filter((c) => classOf(c) === 'write').reduce((n, c) => n + unitsOf(c), 0),
  };
}

async function onePayment(
  stack: BenchStack,
  shop: Shop,
): Promise<{ samples: Map<string, Sample>; refreshes: number }> {
  await stack.settle();
  stack.clearInvocations();
  recorder.reset();
  const logsBefore = logTallies();
  const created = expectStatus(
    await invoke<{ id: string; providerReference: string }>(createPaymentRequest(shop.key)),
    201,
    'create payment',
  );
  const payment = {
    id: created.body.id,
    providerReference: created.body.providerReference,
    amount: paymentAmount,
  };
  await completeOnSandbox(stack, shop.paystack, payment.providerReference);
  const ingest = expectStatus(
    await invoke(ingestRequest(shop.paystack, paystackWebhook(shop.paystack, payment))),
    200,
    'webhook ingest',
  );
  await stack.receiver.waitFor(payment.id, 30_000);
  await stack.settle();
  const verify = expectStatus(
    await invoke<{ status: string }>(verifyPaymentRequest(shop.key, payment.id)),
    200,
    'verify payment',
  );
  if (verify.body.status !== 'succeeded') throw new Error(`payment ended ${verify.body.status}`);
  await stack.settle();
  const records = recorder.take();
  await resolveUnits(records, stack.readItem);
  const logs = logsSince(logsBefore);
  const durations = new Map<string, number>([
    ['create-payment', created.ms],
    ['receive-provider-webhook', ingest.ms],
    ['verify-payment', verify.ms],
  ]);
  for (const invocation of stack.invocations) {
    if (durations.has(invocation.fn)) throw new Error(`${invocation.fn} ran twice for one payment`);
    durations.set(invocation.fn, invocation.endedAt - invocation.startedAt);
  }
  const samples = new Map<string, Sample>();
  for (const { fn } of story) {
    const ms = durations.get(fn);
    if (ms === undefined) throw new Error(`${fn} did not run for the payment`);
    samples.set(fn, sample(fn, ms, records, logs.get(fn)?.bytes ?? 0));
  }
  return { samples, refreshes: records.filter(isAuthRefresh).length };
}

async function measure(stack: BenchStack, context: BenchContext, payments: number): Promise<Measured> {
  const shop = await openShop(stack, { endpointPath: '/cost', sandboxWebhooks: false });
  recorder.mode = 'count';
  const perFunction = new Map<string, Sample[]>(story.map(({ fn }) => [fn, []]));
  let refreshes = 0;
  let auth: Measured['auth'];
  try {
    auth = await measureAuth(stack, shop);
    const warmup = 2;
    for (let i = 0; i < warmup + payments; i++) {
      context.progress.update(
        `cost: payment ${i + 1}/${warmup + payments}${i < warmup ? ' (warm-up)' : ''}`,
        true,
      );
      const { samples, refreshes: seen } = await onePayment(stack, shop);
      if (i < warmup) continue;
      refreshes += seen;
      for (const [fn, s] of samples) perFunction.get(fn)?.push(s);
    }
  } finally {
    recorder.mode = 'off';
    recorder.reset();
  }
  const functions = story.map(({ fn, invocations }): FunctionCost => {
    const samples = perFunction.get(fn) ?? [];
    const mean = (pick: (s: Sample) => number) => samples.reduce((n, s) => n + pick(s), 0) / samples.length;
    return {
      fn,
      memoryMb: memoryOf(fn),
      invocations,
      localMs: latency(samples.map((s) => s.localMs)),
      cloudMs: median(
        samples.map((s) => Math.max(0, s.localMs - s.waitedMs) * cpuScale(memoryOf(fn)) + s.cloudCallsMs),
      ),
      dynamoRequests: mean((s) => s.dynamoRequests),
      readUnits: mean((s) => s.readUnits),
      writeUnits: mean((s) => s.writeUnits),
      sqsRequests: mean((s) => s.sqsRequests),
      providerCalls: mean((s) => s.providerCalls),
      logBytes: mean((s) => s.logBytes),
      secretsOpened: secretsOpened[fn] ?? 0,
    };
  });
  return { functions, auth, authRefreshesSeen: refreshes };
}

interface LineItem {
  readonly item: string;
  readonly quantity: string;
  readonly a: number;
  readonly b: number;
}

export interface CostModel {
  readonly lines: readonly LineItem[];
  readonly totalA: number;
  readonly totalB: number;
  /** Lambda duration at the local (emulator) durations, for comparison. */
  readonly lambdaDurationLocal: number;
}

const million = 1_000_000;

/** Dollars per 1M payments, scenarios A and B. */
export function costModel(measured: Measured): CostModel {
  const fns = measured.functions;
  const apiCalls = story.filter((s) => s.apiCall).length;
  const invocations = fns.reduce((n, f) => n + f.invocations, 0);
  const authCalls = fns.filter((f) => authenticated.has(f.fn)).length;
  const gbSeconds = (msOf: (f: FunctionCost) => number) =>
    fns.reduce((n, f) => n + f.invocations * (Math.ceil(msOf(f)) / 1000) * (f.memoryMb / 1024), 0);
  const gbsA = gbSeconds((f) => f.cloudMs);
  const gbsB = gbSeconds(
    (f) =>
      f.cloudMs +
      (authenticated.has(f.fn) ? cloudLatencyMs.dynamodb : 0) +
      f.secretsOpened * cloudLatencyMs.kmsDecrypt,
  );
  const gbsLocal = gbSeconds((f) => f.localMs.p50);
  const rru = fns.reduce((n, f) => n + f.readUnits, 0);
  const wru = fns.reduce((n, f) => n + f.writeUnits, 0);
  const rruB = rru + authCalls * measured.auth.readUnits;
  const wruB = wru + authCalls * measured.auth.writeUnits;
  const sqs = fns.reduce((n, f) => n + f.sqsRequests, 0);
  const decrypts = fns.reduce((n, f) => n + f.secretsOpened, 0);
  const logBytes = fns.reduce((n, f) => n + f.logBytes, 0) + invocations * platformLogBytesPerInvocation;
  const p = prices;
  const lines: LineItem[] = [
    {
      item: 'API Gateway HTTP API requests',
      quantity: `${apiCalls} per payment`,
      a: apiCalls * p.apiGatewayHttpPerMillion,
      b: apiCalls * p.apiGatewayHttpPerMillion,
    },
    {
      item: 'Lambda requests',
      quantity: `${invocations} per payment (workers: batches of 1)`,
      a: invocations * p.lambdaRequestsPerMillion,
      b: invocations * p.lambdaRequestsPerMillion,
    },
    {
      item: 'Lambda duration (arm64, cloud-latency model)',
      quantity: `${gbsA.toFixed(3)} / ${gbsB.toFixed(3)} GB-s per payment`,
      a: gbsA * million * p.lambdaArmPerGbSecond,
      b: gbsB * million * p.lambdaArmPerGbSecond,
    },
    {
      item: 'DynamoDB reads (on-demand)',
      quantity: `${rru.toFixed(1)} / ${rruB.toFixed(1)} RRU per payment`,
      a: rru * p.dynamoReadUnitsPerMillion,
      b: rruB * p.dynamoReadUnitsPerMillion,
    },
    {
      item: 'DynamoDB writes (on-demand, transactions 2×)',
      quantity: `${wru.toFixed(1)} / ${wruB.toFixed(1)} WRU per payment`,
      a: wru * p.dynamoWriteUnitsPerMillion,
      b: wruB * p.dynamoWriteUnitsPerMillion,
    },
    {
      item: 'SQS requests',
      quantity: `${sqs.toFixed(1)} per payment`,
      a: sqs * p.sqsRequestsPerMillion,
      b: sqs * p.sqsRequestsPerMillion,
    },
    {
      item: 'KMS Decrypt',
      quantity: `0 / ${decrypts} per payment (A: cached; see fixed costs)`,
      a: 0,
      b: ((decrypts * million) / 10_000) * p.kmsRequestsPer10k,
    },
    {
      item: 'CloudWatch Logs ingestion',
      quantity: `${(logBytes / 1024).toFixed(1)} KiB per payment`,
      a: ((logBytes * million) / 1e9) * p.logsIngestionPerGb,
      b: ((logBytes * million) / 1e9) * p.logsIngestionPerGb,
    },
  ];
  return {
    lines,
    totalA: lines.reduce((n, l) => n + l.a, 0),
    totalB: lines.reduce((n, l) => n + l.b, 0),
    lambdaDurationLocal: gbsLocal * million * p.lambdaArmPerGbSecond,
  };
}

const dollars = (value: number): string => `$${value.toFixed(2)}`;
const num = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(1));

function functionTable(fns: readonly FunctionCost[]): string {
  return markdownTable(
    [
      'function',
      'memory',
      'local p50 ms',
      'local p90 ms',
      'cloud model ms',
      'DynamoDB req',
      'RRU',
      'WRU',
      'SQS req',
      'provider calls',
      'log bytes',
      'secrets opened',
    ],
    fns.map((f) => [
      f.fn,
      `${f.memoryMb} MB`,
      ms2(f.localMs.p50),
      ms2(f.localMs.p90),
      ms2(f.cloudMs),
      num(f.dynamoRequests),
      num(f.readUnits),
      num(f.writeUnits),
      num(f.sqsRequests),
      num(f.providerCalls),
      num(Math.round(f.logBytes)),
      String(f.secretsOpened),
    ]),
    [false, true, true, true, true, true, true, true, true, true, true, true],
  );
}

function costTable(model: CostModel): string {
  return markdownTable(
    ['per 1M payments', 'quantity (A / B)', 'A: few busy merchants', 'B: many small merchants'],
    [
      ...model.lines.map((l) => [l.item, l.quantity, dollars(l.a), dollars(l.b)]),
      ['total', '', dollars(model.totalA), dollars(model.totalB)],
    ],
    [false, false, true, true],
  );
}

async function run(context: BenchContext): Promise<void> {
  const stack = await benchStack(context);
  const logsAtStart = logTallies();
  const loadAtStart = loadAverage();
  const payments = context.runs;
  const measured = await measure(stack, context, payments);
  const model = costModel(measured);
  context.progress.done();

  console.log(
    `\nCost per 1M successful payments, us-east-1 prices of ${prices.asOf}. One payment = create + Paystack webhook`,
  );
  console.log(
    '+ verify worker + one delivery + one verify call by the merchant. Per function, measured over ' +
      `${payments} payments on the local stack (medians; counts are means):\n`,
  );
  console.log(functionTable(measured.functions));
  console.log(
    `\ncloud model = (local − time waiting on calls) × ${lambdaFullVcpuMb}/memory (CPU share) + each group of ` +
      `concurrent calls at DynamoDB ${cloudLatencyMs.dynamodb} ms (transaction ${cloudLatencyMs.dynamodbTransaction}), ` +
      `SQS ${cloudLatencyMs.sqs}, provider ${cloudLatencyMs.provider}, merchant endpoint ${cloudLatencyMs.merchantEndpoint} ms (assumed).`,
  );
  console.log(
    `\nAn uncached API-key authentication adds ${measured.auth.requests} requests ` +
      `(${num(measured.auth.readUnits)} RRU + ${num(measured.auth.writeUnits)} WRU); ` +
      `${measured.authRefreshesSeen} cache refills happened during the run and are left out of A.\n`,
  );
  console.log(costTable(model));
  console.log(
    `\nPer payment: A $${(model.totalA / million).toFixed(7)}, B $${(model.totalB / million).toFixed(7)}. ` +
      `Lambda duration at the local (emulator) durations would be ${dollars(model.lambdaDurationLocal)} per 1M instead.`,
  );
  console.log(
    'Not included: free tiers, storage (DynamoDB GB-month, SQS retention), data transfer, fixed monthly costs ' +
      '(KMS key, Secrets Manager secret, the SQS pollers of the two event source mappings, alarms), cold starts.',
  );

  const loadAtEnd = loadAverage();
  console.log(
    `\nMachine load average (1 min): ${loadAtStart} at the start, ${loadAtEnd} at the end (2 cores).`,
  );
  reportProblems(stack, logsAtStart);
  const path = await writeResults(context, 'cost', {
    prices,
    cloudLatencyMs,
    lambdaFullVcpuMb,
    platformLogBytesPerInvocation,
    payments,

    loadAverage: { start: loadAtStart, end: loadAtEnd },
    ...measured,
    model,
  });
  console.log(`\nResults: ${relative(context.root, path)}`);
}

export const cost: Benchmark = {
  name: 'cost',
  title: 'Cost per 1M successful payments',
  run,
};
