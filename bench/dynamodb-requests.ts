import { relative } from 'node:path';
import { apiKeyCacheMs } from '#edge/auth';
import { listEvents } from '#store/webhooks';
import { type BenchContext, type Benchmark, writeResults } from './benchmark.ts';
import { type CallSummary, describeCall, resolveUnits, summarizeDynamo, summarizeSqs } from './calls.ts';
import {
  type Account,
  completeOnSandbox,
  configurePaystackRequest,
  createEndpointRequest,
  createKey,
  createPayment,
  createPaymentRequest,
  expectStatus,
  getMeRequest,
  invoke,
  loginRequest,
  newPaystackSecret,
  paymentAmount,
  type Paystack,
  paystackWebhook,
  register,
  registerRequest,
  sandboxAccount,
  verifyPaymentRequest,
} from './fixtures.ts';
import { bareFetch, type CallRecord, recorder } from './instrument.ts';
import { type BenchStack, benchStack, reportProblems } from './local-stack.ts';
import { logTallies } from './product-logs.ts';
import { markdownTable } from './format.ts';

/**
 * DynamoDB requests per operation: every DynamoDB (and SQS) command the real
 * handlers send for one operation on the local stack, counted by a middleware on
 * the shared client with `ReturnConsumedCapacity: 'TOTAL'`, so each command's
 * capacity comes from DynamoDB Local. Handlers run as API Gateway would run them
 * (an HTTP API event), and the provider webhook takes the real path: the
 * sandbox's checkout completes, the sandbox POSTs its signed webhook to the local
 * API server, ingest puts it on the queue, the verify worker reconciles and
 * records it, the deliver worker posts the event to a local receiver.
 */

/** Goals from the bench issue, in DynamoDB requests (reads + writes). */
export const goals = { createPayment: 2, providerWebhook: 4 } as const;

export interface Operation {
  readonly name: string;
  /** The functions whose calls these are. */
  readonly functions: readonly string[];
  readonly dynamo: CallSummary;
  readonly sqs: { readonly requests: number; readonly commands: readonly string[] };
  readonly goal?: number;
  readonly note?: string;
}

const webhookTimeoutMs = 30_000;

/** Runs `action` with the recorder counting, after and until the stack is quiet; answers what it sent. */
async function window(stack: BenchStack, action: () => Promise<void>): Promise<CallRecord[]> {
  await stack.settle();
  recorder.reset();
  await action();
  await stack.settle();
  const records = recorder.take();
  await resolveUnits(records, stack.readItem);
  return records;
}

function operation(
  name: string,
  records: readonly CallRecord[],
  extra: { goal?: number; note?: string } = {},
): Operation {
  const functions = [...new Set(records.map((r) => r.fn))];
  return {
    name,
    functions: functions.map((fn) =>
      fn === 'untagged' ? 'receive-provider-webhook (via the API server)' : fn,
    ),
    dynamo: summarizeDynamo(records),
    sqs: summarizeSqs(records),
    ...extra,
  };
}

/** Every operation in order; each one's calls are recorded alone on a quiet stack. */
async function measureAll(stack: BenchStack, context: BenchContext): Promise<Operation[]> {
  const ops: Operation[] = [];
  const step = (name: string) => context.progress.update(`dynamodb-requests: ${name}`, true);

  step('register, login');
  let account: Account | undefined;
  const registering = registerRequest();
  ops.push(
    operation(
      'register (POST /v1/auth/register)',
      await window(stack, async () => {
        account = await register(registering);
      }),
    ),
  );
  if (!account) throw new Error('register did not answer');
  const owner: Account = account;
  ops.push(
    operation(
      'login (POST /v1/auth/login)',
      await window(stack, async () => {
        expectStatus(await invoke(loginRequest(owner)), 200, 'login');
      }),
    ),
  );

  step('API keys');
  let key = '';
  ops.push(
    operation(
      'create API key (dashboard token)',
      await window(stack, async () => {
        key = await createKey(owner);
      }),
    ),
  );
  ops.push(
    operation(
      'API-key authentication, first call (GET /v1/me, key not cached)',
      await window(stack, async () => {
        expectStatus(await invoke(getMeRequest(key)), 200, 'GET /v1/me');
      }),
      { note: 'includes the awaited lastUsedAt write (at most once per 5 min per key and container)' },
    ),
  );
  ops.push(
    operation(
      'API-key authentication, cached (GET /v1/me again)',
      await window(stack, async () => {
        expectStatus(await invoke(getMeRequest(key)), 200, 'GET /v1/me');
      }),
    ),
  );

  // Past the 5 s cache: a second authentication, with lastUsedAt written under a minute ago.
  await new Promise((resolve) => setTimeout(resolve, apiKeyCacheMs + 200));
  ops.push(
    operation(
      'API-key authentication, cache expired (GET /v1/me 5 s later)',
      await window(stack, async () => {
        expectStatus(await invoke(getMeRequest(key)), 200, 'GET /v1/me');
      }),
      { note: 'no lastUsedAt write: this container wrote it under 5 min ago' },
    ),
  );

  step('provider and endpoint');
  const secretKey = newPaystackSecret();
  let webhookUrl = '';
  ops.push(
    operation(
      'configure Paystack (PUT /v1/providers/paystack)',
      await window(stack, async () => {
        const answer = expectStatus(
          await invoke<{ webhookUrl: string }>(configurePaystackRequest(key, secretKey)),
          200,
          'configure Paystack',
        );
        webhookUrl = answer.body.webhookUrl;
      }),
    ),
  );
  const paystack: Paystack = { secretKey, webhookUrl, token: webhookUrl.split('/').pop() ?? '' };
  await sandboxAccount(stack, paystack, false);
  const endpointUrl = `${stack.receiver.url}/dynamodb-requests`;
  ops.push(
    operation(
      'create webhook endpoint (POST /v1/webhook-endpoints)',
      await window(stack, async () => {
        expectStatus(await invoke(createEndpointRequest(key, endpointUrl)), 201, 'create endpoint');
      }),
    ),
  );

  step('payments');
  // Make sure the key is in the authentication cache (5 s) right before the measured call.
  expectStatus(await invoke(getMeRequest(key)), 200, 'GET /v1/me');
  let pendingId = '';
  let pendingReference = '';
  // The merchant's first payment in 5 s: its amount limits and enabled configurations are read (in
  // parallel) into the per-container routing cache that the next one uses.
  ops.push(
    operation(
      'create payment, limits and routing not cached (first in 5 s)',
      await window(stack, async () => {
        expectStatus(await invoke(createPaymentRequest(key)), 201, 'create payment');
      }),
    ),
  );
  ops.push(
    operation(
      'create payment (POST /v1/payments, API key, limits and routing cached)',
      await window(stack, async () => {
        const answer = expectStatus(
          await invoke<{ id: string; providerReference: string }>(createPaymentRequest(key)),
          201,
          'create payment',
        );
        pendingId = answer.body.id;
        pendingReference = answer.body.providerReference;
      }),
      { goal: goals.createPayment },
    ),
  );
  ops.push(
    operation(
      'verify payment, provider says not paid yet (POST /v1/payments/{id}/verify)',
      await window(stack, async () => {
        expectStatus(await invoke(verifyPaymentRequest(key, pendingId)), 200, 'verify');
      }),
    ),
  );
  await completeOnSandbox(stack, paystack, pendingReference);
  ops.push(
    operation(
      'verify payment, provider says paid: the payment settles',
      await window(stack, async () => {
        const answer = expectStatus(
          await invoke<{ status: string }>(verifyPaymentRequest(key, pendingId)),
          200,
          'verify',
        );
        if (answer.body.status !== 'succeeded')
          throw new Error(`verify left the payment ${answer.body.status}`);
      }),
    ),
  );
  const eventsOfVerified = (await listEvents(owner.merchantId, 'test', { paymentId: pendingId }, 10)).data
    .length;
  // Paystack's webhook for that payment arrives afterwards: the verify worker finds nothing to change.
  const late = paystackWebhook(paystack, {
    id: pendingId,
    providerReference: pendingReference,
    amount: paymentAmount,
  });
  const lateAnswer = await bareFetch()(paystack.webhookUrl, {
    method: 'POST',
    headers: late.headers,
    body: late.body,
  });
  await lateAnswer.text();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await stack.settle();
  const eventsAfterWebhook = (await listEvents(owner.merchantId, 'test', { paymentId: pendingId }, 10)).data
    .length;

  step('provider webhook through ingest → queue → verify → deliver');
  await sandboxAccount(stack, paystack, true);
  const paid = await createPayment(key);
  const webhookRecords = await window(stack, async () => {
    await completeOnSandbox(stack, paystack, paid.providerReference);
    await stack.receiver.waitFor(paid.id, webhookTimeoutMs);
  });
  const inbound = webhookRecords.filter((r) => r.fn === 'untagged' || r.fn === 'verify-provider-events');
  const outbound = webhookRecords.filter((r) => r.fn === 'deliver-webhooks');
  const elsewhere = webhookRecords.filter((r) => !inbound.includes(r) && !outbound.includes(r));
  ops.push(
    operation('provider webhook: ingest + verify (sandbox checkout → API → queue → verify worker)', inbound, {
      goal: goals.providerWebhook,
    }),
  );
  ops.push(operation('deliver one event (deliver worker → local receiver)', outbound));
  if (elsewhere.length > 0) {
    throw new Error(`unattributed calls during the webhook: ${elsewhere.map(describeCall).join(', ')}`);
  }

  step('the same provider webhook again');
  await sandboxAccount(stack, paystack, false);
  const again = paystackWebhook(paystack, paid);
  ops.push(
    operation(
      'provider webhook, duplicate (same event posted again)',
      await window(stack, async () => {
        const response = await bareFetch()(paystack.webhookUrl, {
          method: 'POST',
          headers: again.headers,
          body: again.body,
        });
        await response.text();
        if (response.status !== 200) throw new Error(`duplicate webhook answered ${response.status}`);
        // The verify worker picks it up from the queue: give it until the stack is quiet.
        await new Promise((resolve) => setTimeout(resolve, 300));
      }),
    ),
  );

  settledByVerify = {
    eventsAfterVerify: eventsOfVerified,
    eventsAfterItsWebhook: eventsAfterWebhook,
    deliveredToMerchant: stack.receiver.arrivals.has(pendingId),
  };
  return ops;
}

/** Events of the payment the verify API settled: after the call, and after its webhook came too. */
let settledByVerify = { eventsAfterVerify: -1, eventsAfterItsWebhook: -1, deliveredToMerchant: false };

const units = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(1));

function verdict(op: Operation): string {
  if (op.goal === undefined) return '';
  return op.dynamo.requests <= op.goal ? `ok (≤ ${op.goal})` : `missed (goal ≤ ${op.goal})`;
}

function resultsTable(ops: readonly Operation[]): string {
  return markdownTable(
    ['operation', 'DynamoDB requests', 'reads', 'writes', 'RCU', 'WCU', 'SQS requests', 'goal'],
    ops.map((op) => [
      op.name,
      String(op.dynamo.requests),
      String(op.dynamo.reads),
      String(op.dynamo.writes),
      `${units(op.dynamo.rcu)}${op.dynamo.unitNotes.includes('minimum') ? '‡' : ''}`,
      `${units(op.dynamo.wcu)}${op.dynamo.unitNotes.includes('computed') ? '†' : ''}${op.dynamo.unitNotes.includes('estimated') ? '*' : ''}`,
      String(op.sqs.requests),
      verdict(op),
    ]),
    [false, true, true, true, true, true, true, false],
  );
}

async function run(context: BenchContext): Promise<void> {
  const stack = await benchStack(context);
  const logsAtStart = logTallies();
  recorder.mode = 'count';
  let ops: Operation[];
  try {
    ops = await measureAll(stack, context);
  } finally {
    recorder.mode = 'off';
    recorder.reset();
  }
  context.progress.done();

  console.log('\nDynamoDB requests per operation on the local stack (real handlers, DynamoDB Local).');
  console.log('RCU/WCU: read/write request units DynamoDB would bill, as DynamoDB Local reported them');
  console.log(
    '(ReturnConsumedCapacity=TOTAL; index writes included), except: † TransactWriteItems, computed as',
  );
  console.log(
    '2 × item size in KB per item and index (Local reports far too little for transactions); ‡ an empty',
  );
  console.log(
    'read Local reported as 0, billed at the 0.5/1 minimum; * a write refused by its condition, billed',
  );
  console.log('but with no figure: 1 WCU. Each command shows its units. DescribeTable is not counted.\n');
  console.log(resultsTable(ops));
  console.log('\nCommands per operation, in the order they started:\n');
  for (const op of ops) {
    console.log(`- ${op.name} [${op.functions.join(', ')}]`);
    console.log(`  DynamoDB: ${op.dynamo.commands.join('; ') || 'none'}`);
    if (op.sqs.commands.length > 0) console.log(`  SQS: ${op.sqs.commands.join('; ')}`);
    if (op.note) console.log(`  (${op.note})`);
  }
  const missed = ops.filter((op) => op.goal !== undefined && op.dynamo.requests > op.goal);
  console.log(
    `\nGoals: create payment ≤ ${goals.createPayment}, provider webhook (ingest + verify) ≤ ${goals.providerWebhook} ` +
      `DynamoDB requests. ${missed.length === 0 ? 'Both met.' : `Missed: ${missed.map((m) => `${m.name.split(' (')[0]} (${m.dynamo.requests})`).join(', ')}.`}`,
  );
  console.log(
    `Events recorded for the payment the verify API settled: ${settledByVerify.eventsAfterVerify} after the call, ` +
      `${settledByVerify.eventsAfterItsWebhook} after its Paystack webhook arrived too (expected: 1 and 1); ` +
      `the merchant's endpoint ${settledByVerify.deliveredToMerchant ? 'received it' : 'never received it'}.`,
  );

  reportProblems(stack, logsAtStart);
  const path = await writeResults(context, 'dynamodb-requests', {
    goals,
    paymentSettledByVerify: settledByVerify,
    operations: ops,
  });
  console.log(`\nResults: ${relative(context.root, path)}`);
}

export const dynamodbRequests: Benchmark = {
  name: 'dynamodb-requests',
  title: 'DynamoDB requests per operation',
  run,
};
