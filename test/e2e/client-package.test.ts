import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient } from '../../client/build.ts';
import { type LocalStack, startLocalStack } from '#local/stack';

/**
 * `@paybridge/client` as a merchant gets it: built (client/build.ts, as `npm run build:client`),
 * packed with `npm pack`, installed from the tarball into a scratch project that has nothing else,
 * and used from a plain Node ES module against a real local stack (API, DynamoDB Local, SQS,
 * workers, provider sandboxes): sign up, a key, Paystack, a payment paid on the sandbox, its signed
 * webhook verified with `verifyWebhook`. A TypeScript file there type-checks against the packed
 * declarations.
 */
const root = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'paybridge-client-package-'));
const scratch = join(work, 'merchant');
let stack: LocalStack;
let tarball = '';
let packed: string[] = [];

function npm(args: string[], cwd: string): string {
  const result = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    // The scratch project is not the repository: none of its npm settings apply.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? work,
      npm_config_update_notifier: 'false',
    },
  });
  if (result.status !== 0)
    throw new Error(`npm ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Runs `node <script> <args>` in the scratch project; async, since the stack runs in this process. */
function node(
  script: string,
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: scratch,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(async () => {
  const started = startLocalStack({ apiPort: 0, dynamoPort: 0, sqsPort: 0, sandboxPort: 0 });
  // The package folder as `npm run build:client` leaves client/: its package.json and dist/. Built into
  // a copy, so the integration tests reading client/dist meanwhile never see a build in progress.
  const pkg = join(work, 'package');
  mkdirSync(pkg);
  copyFileSync(join(root, 'client', 'package.json'), join(pkg, 'package.json'));
  await buildClient(join(pkg, 'dist'));
  const [info] = JSON.parse(npm(['pack', pkg, '--pack-destination', work, '--json'], work)) as {
    filename: string;
    files: { path: string }[];
  }[];
  tarball = join(work, info?.filename ?? '');
  packed = (info?.files ?? []).map((file) => file.path).sort();

  mkdirSync(scratch);
  writeFileSync(
    join(scratch, 'package.json'),
    `${JSON.stringify({ name: 'merchant-shop', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  // --offline: the package has no dependencies, so installing it needs no registry.
  npm(['install', tarball, '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], scratch);
  stack = await started;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** A merchant's server code: the package and Node, nothing else. */
const merchantScript = String.raw`
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  createClient, currencyExponent, eventTypes, PayBridgeError, verifyWebhook, WebhookVerificationError,
} from '@paybridge/client';

const [api, sandbox] = process.argv.slice(2);
const out = {};
const anonymous = createClient({ baseUrl: api });
out.health = (await anonymous.health()).status;

const account = await anonymous.auth.register({
  email: 'tarball-' + randomUUID().slice(0, 8) + '@example.com',
  password: 'a long tarball passphrase',
  businessName: 'Tarball Shop',
});
const key = await anonymous.with({ accessToken: account.accessToken })
  .apiKeys.create({ name: 'tarball', mode: 'test', scope: 'full' });
const client = anonymous.with({ apiKey: key.key });
out.keyPrefix = key.key.slice(0, 8);

let secret = '';
const deliveries = [];
const receiver = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    try {
      const event = verifyWebhook(secret, raw, req.headers);
      deliveries.push({ type: event.type, object: event.data.object.id, raw: raw.toString('utf8'), headers: req.headers });
      res.writeHead(204).end();
    } catch (error) {
      deliveries.push({ rejected: error instanceof WebhookVerificationError ? error.reason : String(error) });
      res.writeHead(400).end();
    }
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const endpoint = await client.webhookEndpoints.create({
  url: 'http://127.0.0.1:' + receiver.address().port + '/paybridge',
  events: ['payment.succeeded'],
});
secret = endpoint.secret;

const secretKey = 'sk_test_' + randomUUID().replaceAll('-', '');
const config = await client.providers.configure('paystack', { mode: 'test', secretKey });
const account_ = await fetch(sandbox + '/_sandbox/paystack/accounts', {
  method: 'PUT',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ secretKey, webhookUrl: config.webhookUrl }),
});
if (!account_.ok) throw new Error('sandbox account: ' + account_.status);

const payment = await client.payments.create(
  { amount: 1075000, currency: 'NGN', provider: 'paystack', customer: { email: 'buyer@example.com' } },
  { idempotencyKey: 'order-' + randomUUID() },
);
out.payment = { id: payment.id, status: payment.status, provider: payment.provider, amount: payment.amount };
await fetch(payment.checkoutUrl);
const paid = await fetch(payment.checkoutUrl + '/complete', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ outcome: 'success' }),
});
if (!paid.ok) throw new Error('sandbox checkout: ' + paid.status);

const deadline = Date.now() + 30_000;
while (!deliveries.some((d) => d.object === payment.id) && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 200));
}
const delivery = deliveries.find((d) => d.object === payment.id);
out.webhook = delivery ? { type: delivery.type, object: delivery.object } : null;
out.rejected = deliveries.filter((d) => d.rejected).map((d) => d.rejected);
out.status = (await client.payments.get(payment.id)).status;

// The same delivery, tampered with: the signature no longer matches.
try {
  verifyWebhook(secret, delivery.raw.replace('"amount":1075000', '"amount":1'), delivery.headers);
  out.tampered = 'accepted';
} catch (error) {
  out.tampered = error instanceof WebhookVerificationError ? error.reason : String(error);
}
try {
  await client.payments.get('pay_01JXAMPLE0000000000000000X');
} catch (error) {
  out.missing = error instanceof PayBridgeError ? { status: error.status, code: error.code } : String(error);
}
out.ngnExponent = currencyExponent('NGN');
out.eventTypes = eventTypes.length;
receiver.close();
console.log(JSON.stringify(out));
`;

/** Type-checks against the packed declarations, as a merchant's editor and build would. */
const merchantTypes = `import {
  createClient,
  type PayBridgeClient,
  type Payment,
  type WebhookPayload,
  verifyWebhook,
} from '@paybridge/client';

const client: PayBridgeClient = createClient({ baseUrl: 'https://api.paybridge.example', apiKey: 'sk_test_x' });
export const payment: Promise<Payment> = client.payments.get('pay_1');
export const id: Promise<string> = client.with({ mode: 'live' }).payments.list({ limit: 5 }).then((page) => page.data[0]?.id ?? '');
export const event: WebhookPayload = verifyWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{}', {});
// @ts-expect-error amount is an integer count of minor units, not text
void client.payments.create({ amount: '10.75', currency: 'NGN', customer: { email: 'a@example.com' } }, { idempotencyKey: 'k' });
// @ts-expect-error the idempotency key is required
void client.payments.create({ amount: 1075, currency: 'NGN', customer: { email: 'a@example.com' } });
`;

describe('@paybridge/client from a packed tarball', () => {
  it('packs only package.json and dist/ (JavaScript and declarations), with no dependencies', () => {
    expect(packed).toContain('package.json');
    expect(packed).toContain('dist/index.js');
    expect(packed).toContain('dist/index.d.ts');
    expect(packed.filter((path) => !/^(package\.json|dist\/[\w-]+\.(js|d\.ts))$/.test(path))).toEqual([]);
    const installed = JSON.parse(
      readFileSync(join(scratch, 'node_modules', '@paybridge', 'client', 'package.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(installed.name).toBe('@paybridge/client');
    expect(installed.dependencies).toBeUndefined();
    // Nothing else came with it.
    const lock = JSON.parse(readFileSync(join(scratch, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, unknown>;
    };
    expect(Object.keys(lock.packages).sort()).toEqual(['', 'node_modules/@paybridge/client']);
  });

  it('a merchant script signs up, creates a key and a Paystack payment, and verifies its signed webhook', async () => {
    writeFileSync(join(scratch, 'shop.mjs'), merchantScript);
    const run = await node('shop.mjs', [stack.api?.url ?? '', stack.sandboxes?.url ?? '']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(out).toMatchObject({
      health: 'ok',
      keyPrefix: 'sk_test_',
      payment: { status: 'pending', provider: 'paystack', amount: 1075000 },
      webhook: { type: 'payment.succeeded' },
      rejected: [],
      status: 'succeeded',
      tampered: 'no_matching_signature',
      missing: { status: 404 },
      ngnExponent: 2,
      eventTypes: 11,
    });
    expect((out.webhook as { object: string }).object).toBe((out.payment as { id: string }).id);
  }, 90_000);

  it('its declarations type-check a merchant TypeScript file (nodenext resolution through `exports`)', () => {
    writeFileSync(join(scratch, 'shop.ts'), merchantTypes);
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023', 'DOM'],
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          exactOptionalPropertyTypes: true,
          noEmit: true,
          types: [],
        },
        files: ['shop.ts'],
      }),
    );
    const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', scratch], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});
