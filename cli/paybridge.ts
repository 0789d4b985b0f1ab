/**
 * `paybridge` (`npx paybridge …`): a merchant's daily tools, like the Stripe and Svix CLIs.
 *
 *   receive  --port 9000 --secret whsec_…        a local receiver that verifies Standard Webhooks signatures
 *   listen   --forward-to URL [--events payment.*]  forwards this merchant's events to a local URL,
 *                                                   re-signed with a local secret it prints
 *   trigger  payment.succeeded --provider paystack a real, signed event from the local stack's sandboxes
 *   env                                            `API=… SANDBOX=…` of the running `npm start`, for a shell
 *
 * The API is `--api`, else `PAYBRIDGE_URL`, else the running `npm start`'s, else http://127.0.0.1:3000;
 * the key is `--key`, else `PAYBRIDGE_API_KEY`. `listen` needs no inbound connectivity: it polls the
 * events API, so it works against a deployed stack as well as the local one.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createClient, type Event, PayBridgeError, verifyWebhook, WebhookVerificationError } from '#client';
import { type ProviderName, providerNames } from '#core/provider-adapter';
import { newEndpointSecret, signWebhook } from '#core/webhook-signature';
import { readStackState } from '../local/state.ts';

const usage = `usage: paybridge <command> [options]
  receive  [--port 9000] --secret whsec_…           verify and print the events a PayBridge endpoint sends
  listen   --forward-to URL [--events payment.*]    forward this merchant's events, re-signed, to URL
           [--secret whsec_…] [--interval 1]
  trigger  payment.succeeded|payment.failed [--provider paystack]
                                                    a test payment completed on the local sandbox
  env                                               print API=… SANDBOX=… of the running npm start
                                                    (eval "$(npx paybridge env)")
common: --api URL (or PAYBRIDGE_URL), --key sk_test_… (or PAYBRIDGE_API_KEY)`;

class UsageError extends Error {}

type Client = ReturnType<typeof createClient>;

// The one provider list (functions/core/provider-adapter.ts).
const providers = providerNames;
type Provider = ProviderName;

/** What `trigger` pays with, per provider: a currency each sandbox takes, and sandbox credentials. */
const triggerPlans: Record<
  Provider,
  { amount: number; currency: string; credentials: () => { secretKey: string; webhookSecret?: string } }
> = {
  paystack: { amount: 500000, currency: 'NGN', credentials: () => ({ secretKey: `sk_test_${hex()}` }) },
  flutterwave: {
    amount: 250000,
    currency: 'KES',
    credentials: () => ({ secretKey: `FLWSECK_TEST-${hex()}-X`, webhookSecret: `cli-hash-${hex()}` }),
  },
  stripe: {
    amount: 1999,
    currency: 'USD',
    credentials: () => ({
      secretKey: `sk_test_${hex()}`,
      webhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
    }),
  },
  chapa: {
    amount: 150000,
    currency: 'ETB',
    credentials: () => ({ secretKey: `CHASECK_TEST-${hex()}`, webhookSecret: `cli-hash-${hex()}` }),
  },
};
const hex = () => randomBytes(10).toString('hex');

function apiUrl(flag: string | undefined): string {
  return flag ?? process.env.PAYBRIDGE_URL ?? readStackState().api ?? 'http://127.0.0.1:3000';
}

function apiKey(flag: string | undefined): string {
  const key = flag ?? process.env.PAYBRIDGE_API_KEY;
  if (!key) throw new UsageError('Give an API key: --key sk_test_… or PAYBRIDGE_API_KEY.');
  return key;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A one-line summary of an event: its id, type and the object it is about. */
function describeEvent(event: { id: string; type: string; data: { object: unknown } }): string {
  const object = event.data.object as { id?: string; status?: string } | null;
  return `${event.id} ${event.type}${object?.id ? ` ${object.id}` : ''}${object?.status ? ` (${object.status})` : ''}`;
}

/** `paybridge receive`: verifies each delivery with the endpoint's secret; 204 if genuine, 400 if not. */
async function receive(options: { port?: string | undefined; secret?: string | undefined }): Promise<void> {
  const secret = options.secret ?? process.env.PAYBRIDGE_WEBHOOK_SECRET;
  if (!secret) {
    throw new UsageError('Give the endpoint signing secret: --secret whsec_… or PAYBRIDGE_WEBHOOK_SECRET.');
  }
  const port = Number(options.port ?? 9000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${options.port}: not a port`);
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      try {
        const event = verifyWebhook(secret, body, req.headers);
        console.log(`✓ ${describeEvent(event)} verified (webhook-id ${String(req.headers['webhook-id'])})`);
        res.writeHead(204).end();
      } catch (error) {
        const reason = error instanceof WebhookVerificationError ? error.reason : 'unreadable';
        console.log(`✗ rejected a delivery to ${req.url ?? '/'}: ${reason}`);
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`rejected: ${reason}\n`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1' }, resolve);
  });
  console.log(`Receiving on http://127.0.0.1:${(server.address() as AddressInfo).port}/ (Ctrl-C to stop)`);
  await stopOnSignal(() => new Promise<void>((resolve) => server.close(() => resolve())));
}

/** True when `type` matches one of the patterns (`*`, `payment.*`, `payment.succeeded`). */
function matchesEvents(type: string, patterns: readonly string[]): boolean {
  return patterns.some(
    (p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))),
  );
}

/** `paybridge listen`: polls the events API and forwards each new event, re-signed, to a local URL. */
async function listen(options: {
  api?: string | undefined;
  key?: string | undefined;
  'forward-to'?: string | undefined;
  events?: string | undefined;
  secret?: string | undefined;
  interval?: string | undefined;
}): Promise<void> {
  const target = options['forward-to'];
  if (!target) throw new UsageError('Say where to forward: --forward-to http://localhost:9000/hooks');
  let targetUrl: URL;
  try {
    targetUrl = new URL(target);
  } catch {
    throw new UsageError(`--forward-to ${target}: not a URL`);
  }
  const patterns = (options.events ?? '*')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const intervalMs = Math.max(0.2, Number(options.interval ?? 1)) * 1000;
  const secret = options.secret ?? newEndpointSecret();
  const client = createClient({ baseUrl: apiUrl(options.api), apiKey: apiKey(options.key) });
  const since = new Date(Date.now() - 1000).toISOString();
  const seen = new Set<string>();
  console.log(`Forwarding ${patterns.join(', ')} events to ${targetUrl.href}`);
  console.log(`Signing secret for your receiver: ${secret}`);
  let stopped = false;
  const done = stopOnSignal(() => {
    stopped = true;
    return Promise.resolve();
  });
  while (!stopped) {
    try {
      for (const event of (await newEvents(client, since, seen)).reverse()) {
        seen.add(event.id);
        if (!matchesEvents(event.type, patterns)) continue;
        console.log(`${describeEvent(event)} → ${await forward(targetUrl, event, secret)}`);
      }
    } catch (error) {
      console.log(
        `! ${error instanceof PayBridgeError ? `${error.status} ${error.message}` : String(error)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  await done;
}

/** Events created since `since` not yet seen, newest first (every page of them). */
async function newEvents(client: Client, since: string, seen: ReadonlySet<string>): Promise<Event[]> {
  const fresh: Event[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const result = await client.events.list({
      createdFrom: since,
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    const unseen = result.data.filter((event) => !seen.has(event.id));
    fresh.push(...unseen);
    // Newest first: once a page holds an event already seen, the older ones were seen too.
    if (!result.hasMore || unseen.length < result.data.length || !result.nextCursor) break;
    cursor = result.nextCursor;
  }
  return fresh;
}

/** POSTs the event as PayBridge would, signed with the local secret; says how the receiver answered. */
async function forward(target: URL, event: Event, secret: string): Promise<string> {
  const body = JSON.stringify({
    id: event.id,
    type: event.type,
    createdAt: event.createdAt,
    mode: event.mode,
    data: event.data,
  });
  const id = `msg_${randomUUID().replaceAll('-', '')}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const started = performance.now();
  try {
    const res = await fetch(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook({ id, timestamp, body, secrets: [secret] }),
      },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    await res.arrayBuffer();
    return `${res.status} in ${Math.round(performance.now() - started)} ms`;
  } catch (error) {
    return `failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** `paybridge trigger`: a test payment completed on the local sandbox, so the real pipeline sends the event. */
async function trigger(
  eventType: string | undefined,
  options: { api?: string | undefined; key?: string | undefined; provider?: string | undefined },
): Promise<void> {
  const outcomes: Record<string, 'success' | 'decline'> = {
    'payment.succeeded': 'success',
    'payment.failed': 'decline',
  };
  const outcome = eventType === undefined ? undefined : outcomes[eventType];
  if (outcome === undefined) {
    throw new UsageError(
      `trigger takes one of ${Object.keys(outcomes).join(', ')}, not ${eventType ?? 'nothing'}`,
    );
  }
  const provider = (options.provider ?? 'paystack') as Provider;
  if (!providers.includes(provider)) {
    throw new UsageError(`--provider takes one of ${providers.join(', ')}, not ${options.provider}`);
  }
  const base = apiUrl(options.api);
  const sandbox = process.env.SANDBOX_URL ?? readStackState().sandboxes;
  if (!sandbox)
    throw new UsageError('trigger drives the local sandboxes: start `npm start` first (or set SANDBOX_URL).');
  const client = createClient({ baseUrl: base, apiKey: apiKey(options.key) });
  const plan = triggerPlans[provider];
  const configured = (await client.providers.list()).data.find((c) => c.provider === provider && c.enabled);
  if (!configured) {
    // A test-mode configuration with sandbox credentials, registered at the sandbox as a merchant
    // would paste the webhook URL into the provider's dashboard.
    const credentials = plan.credentials();
    const config = await client.providers.configure(provider, { mode: 'test', ...credentials });
    await sandboxCall(sandbox, `/_sandbox/${provider}/accounts`, {
      ...credentials,
      webhookUrl: config.webhookUrl,
    });
    console.log(`configured ${provider} in test mode with sandbox credentials`);
  }
  const payment = await client.payments.create(
    {
      amount: plan.amount,
      currency: plan.currency,
      provider,
      customer: { email: 'trigger@example.com' },
      // Where the checkout would send the customer back (Stripe requires one); nobody visits it.
      redirectUrl: 'https://example.com/paybridge-trigger',
    },
    { idempotencyKey: `trigger-${randomUUID()}` },
  );
  await sandboxCall(sandbox, new URL(`${payment.checkoutUrl}/complete`).pathname, { outcome });
  console.log(
    `${payment.id} ${plan.amount} ${plan.currency} via ${provider}: completed on the sandbox (${outcome});`,
  );
  console.log(`the provider's webhook now reaches PayBridge, which sends ${eventType} to your endpoints.`);
}

async function sandboxCall(sandbox: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(new URL(path, sandbox), {
    method: path.endsWith('/complete') ? 'POST' : 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`sandbox ${path} answered ${res.status}: ${await res.text()}`);
}

/** `paybridge env`: where the running local stack listens, as shell assignments. */
function printEnv(options: { api?: string | undefined }): Promise<void> {
  const state = readStackState();
  if (state.api === undefined && options.api === undefined && process.env.PAYBRIDGE_URL === undefined) {
    throw new UsageError('No running local stack found: start it with `npm start` (in this folder).');
  }
  console.log(`API=${apiUrl(options.api)}`);
  if (state.sandboxes !== undefined) console.log(`SANDBOX=${state.sandboxes}`);
  return Promise.resolve();
}

/**
 * Resolves after Ctrl-C (or SIGTERM) once `stop` has run, or when the process that started this one
 * goes away (`npx` started in the background and then killed leaves its child behind otherwise).
 */
function stopOnSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const parent = process.ppid;
    const orphaned = setInterval(() => {
      if (process.ppid !== parent) onSignal();
    }, 500);
    orphaned.unref();
    let stopping = false;
    function onSignal(): void {
      if (stopping) return;
      stopping = true;
      clearInterval(orphaned);
      void stop().then(resolve);
    }
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      api: { type: 'string' },
      key: { type: 'string' },
      port: { type: 'string' },
      secret: { type: 'string' },
      'forward-to': { type: 'string' },
      events: { type: 'string' },
      interval: { type: 'string' },
      provider: { type: 'string' },
    },
  });
  switch (command ?? '') {
    case 'receive':
      return receive(values);
    case 'listen':
      return listen(values);
    case 'trigger':
      return trigger(positionals[0], values);
    case 'env':
      return printEnv(values);
    default:
      throw new UsageError(command === undefined ? usage : `unknown command ${command}\n${usage}`);
  }
}

{
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
        console.error(error.message);
        process.exit(2);
      }
      console.error(
        `paybridge: ${error instanceof PayBridgeError ? `${error.status} ${error.message} (request ${error.requestId})` : error instanceof Error ? error.message : String(error)}`,
      );
      process.exit(1);
    },
  );
}
