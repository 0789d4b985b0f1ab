/**
 * `npm run demo`: against a running `npm start`, walks the whole story — a
 * merchant, a test key, each provider's sandbox credentials, a payment per
 * provider completed on the sandbox checkout, and the signed `payment.succeeded`
 * arriving at a local receiver that verifies it — then prints the event and its
 * attempt log.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, verifyWebhook, WebhookVerificationError } from '#client';
import type { ProviderName } from '#core/provider-adapter';
import { readStackState } from './state.ts';

const stackFile = readStackState();
const api = process.env.PAYBRIDGE_URL ?? stackFile.api ?? 'http://127.0.0.1:3000';
const sandbox = process.env.SANDBOX_URL ?? stackFile.sandboxes ?? 'http://127.0.0.1:4010';

// Bold step titles on a terminal only: a file or a pipe gets plain text.
const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const step = (n: number, text: string) => console.log(`\n${bold(`${n}. ${text}`)}`);
const ok = (text: string) => console.log(`   ✓ ${text}`);

async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const res = await fetch(path.startsWith('http') ? path : `${api}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

const plans: {
  provider: ProviderName;
  amount: number;
  currency: string;
  credentials: () => { secretKey: string; webhookSecret?: string };
}[] = [
  {
    provider: 'paystack',
    amount: 1075000,
    currency: 'NGN',
    credentials: () => ({ secretKey: `sk_test_${hex()}` }),
  },
  {
    provider: 'flutterwave',
    amount: 250000,
    currency: 'KES',
    credentials: () => ({ secretKey: `FLWSECK_TEST-${hex()}-X`, webhookSecret: `demo-hash-${hex()}` }),
  },
  {
    provider: 'stripe',
    amount: 1999,
    currency: 'USD',
    credentials: () => ({
      secretKey: `sk_test_${hex()}`,
      webhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
    }),
  },
  {
    provider: 'chapa',
    amount: 150000,
    currency: 'ETB',
    credentials: () => ({ secretKey: `CHASECK_TEST-${hex()}`, webhookSecret: `demo-hash-${hex()}` }),
  },
];
const hex = () => randomBytes(10).toString('hex');

async function main(): Promise<void> {
  const anonymous = createClient({ baseUrl: api });
  try {
    await anonymous.health();
  } catch {
    console.error(`PayBridge is not answering at ${api}. Start it first: npm start`);
    process.exit(1);
  }
  console.log(`PayBridge demo against ${api} (provider sandboxes at ${sandbox})`);

  // A merchant's receiver: verifies every delivery with the endpoint secret.
  let secret = '';
  const received = new Map<string, { type: string; paymentId: string; webhookId: string }>();
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let event: { type: string; data: { object: unknown } };
      try {
        event = verifyWebhook(secret, body, req.headers);
      } catch (error) {
        const reason = error instanceof WebhookVerificationError ? error.reason : String(error);
        console.log(`   ✗ receiver rejected a delivery: ${reason}`);
        res.writeHead(400).end();
        return;
      }
      const object = event.data.object as { id: string };
      received.set(object.id, {
        type: event.type,
        paymentId: object.id,
        webhookId: String(req.headers['webhook-id']),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/paybridge`;

  step(1, 'Register a merchant');
  const email = `demo-${randomUUID().slice(0, 8)}@example.com`;
  const account = await anonymous.auth.register({
    email,
    password: `demo ${randomUUID()}`,
    businessName: 'Demo Store',
  });
  ok(`${account.merchant.id} (${email})`);
  const dashboard = anonymous.with({ accessToken: account.accessToken });

  step(2, 'Create a test-mode API key');
  const key = await dashboard.apiKeys.create({ name: 'demo', mode: 'test', scope: 'full' });
  ok(`${key.id} ${key.prefix}… (the full key is shown once)`);
  const client = anonymous.with({ apiKey: key.key });

  step(3, 'Subscribe a local receiver to every event');
  const endpoint = await client.webhookEndpoints.create({ url: receiverUrl, events: ['*'] });
  secret = endpoint.secret;
  ok(`${endpoint.id} → ${receiverUrl} (signing secret ${secret.slice(0, 10)}…)`);

  step(4, 'Configure each provider with sandbox credentials');
  for (const plan of plans) {
    const credentials = plan.credentials();
    const config = await client.providers.configure(plan.provider, { mode: 'test', ...credentials });
    // What a merchant does in the provider's dashboard: paste the webhook URL (and secret hash).
    await call('PUT', `${sandbox}/_sandbox/${plan.provider}/accounts`, {
      ...credentials,
      webhookUrl: config.webhookUrl,
    });
    ok(`${plan.provider}: webhooks to ${config.webhookUrl}`);
  }

  step(5, 'Create a payment per provider, pay on the sandbox checkout, wait for the signed webhook');
  const ids: string[] = [];
  for (const plan of plans) {
    const payment = await client.payments.create(
      {
        amount: plan.amount,
        currency: plan.currency,
        provider: plan.provider,
        customer: { email: 'buyer@example.com', name: 'Ada Buyer' },
        redirectUrl: 'https://demo.example/thanks',
      },
      { idempotencyKey: `demo-${randomUUID()}` },
    );
    ids.push(payment.id);
    await fetch(payment.checkoutUrl); // the customer opens the checkout page
    await call('POST', `${payment.checkoutUrl}/complete`, { outcome: 'success' });
    const deadline = Date.now() + 20_000;
    while (!received.has(payment.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const got = received.get(payment.id);
    if (!got) throw new Error(`no webhook for ${payment.id} (${plan.provider}) within 20 s`);
    ok(
      `${plan.provider}: ${payment.id} ${plan.amount} ${plan.currency} → ${got.type}, verified (webhook-id ${got.webhookId})`,
    );
  }

  step(6, 'Refund half of each payment, wait for the signed refund.succeeded webhook, read the balance');
  for (const [i, plan] of plans.entries()) {
    const paymentId = ids[i] as string;
    const refund = await client.refunds.create(
      paymentId,
      { amount: Math.floor(plan.amount / 2), reason: 'requested_by_customer' },
      { idempotencyKey: `demo-refund-${paymentId}` },
    );
    const deadline = Date.now() + 20_000;
    // Refunds finish asynchronously at every provider: a webhook (or, for Flutterwave, which sends none,
    // the sweeper) completes it; `verify` is the "ask the provider now" button, used here to be quick.
    while (received.get(refund.id)?.type !== 'refund.succeeded' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      if (received.get(refund.id)?.type !== 'refund.succeeded') await client.payments.verify(paymentId);
    }
    const got = received.get(refund.id);
    if (got?.type !== 'refund.succeeded') throw new Error(`no refund.succeeded for ${refund.id} within 20 s`);
    const payment = await client.payments.get(paymentId);
    ok(
      `${plan.provider}: ${refund.id} ${refund.amount} ${refund.currency} → refund.succeeded, payment ${payment.status}`,
    );
  }
  const balance = await client.balance.get();
  for (const row of balance.balances) {
    ok(
      `balance ${row.provider} ${row.currency}: available ${row.available}, pending refunds ${row.pendingRefunds}`,
    );
  }

  step(7, 'The event and its attempt log');
  const events = await client.events.list({ paymentId: ids[0] as string });
  const event = events.data[0];
  if (event) {
    console.log(JSON.stringify(await client.events.get(event.id), null, 2));
    console.log(JSON.stringify((await client.events.attempts(event.id)).data, null, 2));
  }
  receiver.close();
  console.log('\nDone: four providers, one API, one webhook format, refunds and a balance.');
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
