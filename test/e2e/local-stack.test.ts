import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
let child: ChildProcess;
let output = '';
let apiUrl = '';
let dynamoUrl = '';
const stateDir = mkdtempSync(join(tmpdir(), 'paybridge-state-'));
const developersState = join(root, '.local', 'stack.json');
const developersStateBefore = existsSync(developersState) ? readFileSync(developersState, 'utf8') : undefined;

/** Starts `npm start`'s entry point on free ports, as a newcomer would run it. */
beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      DYNAMODB_PORT: '0',
      SQS_PORT: '0',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      // Never the developer's .local/stack.json: a running `npm start` keeps its file.
      PAYBRIDGE_STATE_DIR: stateDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local stack did not start:\n${output}`)), 80_000);
    const check = setInterval(() => {
      const api = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      const dynamo = /DynamoDB\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (api?.[1] && dynamo?.[1]) {
        apiUrl = api[1];
        dynamoUrl = dynamo[1];
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(check);
      clearTimeout(timer);
      reject(new Error(`local stack exited (${code}):\n${output}`));
    });
  });
});

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

const accepts = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('npm start', () => {
  it('prints where everything runs, all on 127.0.0.1', () => {
    expect(output).toMatch(/SQS\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(output).toMatch(/provider events\s+http:\/\/127\.0\.0\.1:\d+\/\d+\/paybridge-provider-events/);
  });

  it('prints a sample payment link whose page offers the configured sandboxes', async () => {
    const link = /Sample link\s+(http:\/\/127\.0\.0\.1:\d+\/pay\/[\w-]+)/.exec(output)?.[1];
    expect(link, output).toBeDefined();
    const page = await fetch(link as string);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Jollof rice for two');
    expect(html).toMatch(/Pay with Paystack/);
    expect(html).toMatch(/Mobile money/);
  });

  it('serves the dashboard at the paths of the links it emails (verification, password reset)', async () => {
    for (const path of ['/verify-email', '/reset-password']) {
      const res = await fetch(`${apiUrl}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    }
  });

  it('writes where it runs to its own state folder, leaving the developer’s .local/stack.json alone', () => {
    const state = JSON.parse(readFileSync(join(stateDir, 'stack.json'), 'utf8')) as { api: string };
    expect(state.api).toBe(apiUrl);
    const after = existsSync(developersState) ? readFileSync(developersState, 'utf8') : undefined;
    expect(after).toBe(developersStateBefore);
  });

  it('serves GET /health with every check ok', async () => {
    const res = await fetch(`${apiUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', checks: { table: 'ok', queues: 'ok' } });
  });

  it('runs `npm run demo` end to end: four providers, each payment’s signed webhook verified', async () => {
    const sandbox = /sandboxes at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] as string;
    const demo = spawnSync(process.execPath, ['--import', 'tsx', 'local/demo.ts'], {
      cwd: root,
      env: { ...process.env, PAYBRIDGE_URL: apiUrl, SANDBOX_URL: sandbox },
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(demo.stderr).not.toMatch(/demo failed/);
    expect(demo.status).toBe(0);
    for (const provider of ['paystack', 'flutterwave', 'stripe', 'chapa']) {
      expect(demo.stdout).toMatch(new RegExp(`${provider}: pay_\\w+ .* payment\\.succeeded, verified`));
      expect(demo.stdout).toMatch(
        new RegExp(`${provider}: re_\\w+ .* refund\\.succeeded, payment partially_refunded`),
      );
    }
    expect(demo.stdout).toMatch(/balance paystack NGN: available \d+, pending refunds 0/);
    expect(demo.stdout).toContain('Done: four providers');
  });

  it('runs `npm run admin -- grant-admin` against the running stack with no variables set', async () => {
    const email = `admin-${Date.now()}@example.com`;
    const registered = await fetch(`${apiUrl}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'a long admin passphrase', businessName: 'Ops' }),
    });
    expect(registered.status).toBe(201);
    // Admins must have confirmed their address: open the link the local outbox holds.
    const outbox = (await (
      await fetch(`${apiUrl}/_local/outbox?to=${encodeURIComponent(email)}`)
    ).json()) as {
      data: { kind: string; link: string }[];
    };
    const link = outbox.data.find((m) => m.kind === 'verify_email')?.link ?? '';
    const verified = await fetch(`${apiUrl}/v1/auth/verify-email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: link.split('#token=')[1] }),
    });
    expect(verified.status).toBe(200);
    // Only what a shell has: no TABLE_NAME, no queue URLs, no AWS variables.
    const bare = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PAYBRIDGE_STATE_DIR: stateDir,
    };
    const admin = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'local/admin.ts', ...args], {
        cwd: root,
        env: bare,
        encoding: 'utf8',
        timeout: 30_000,
      });
    const granted = admin('grant-admin', email);
    expect(granted.stderr).toBe('');
    expect(granted.stdout.trim()).toBe(`${email}: admin (sessions ended)`);
    expect(granted.status).toBe(0);
    const nobody = admin('grant-admin', 'nobody@example.com');
    expect(nobody.stdout.trim()).toBe('nobody@example.com: no such user');
    expect(nobody.status).toBe(1);
  });

  it('logged the whole demo without a secret: no API key, token, provider key or signing secret in any line', () => {
    expect(output).toMatch(/"message":"request"/); // the stack did log every request
    const secrets = [
      /sk_(test|live)_[A-Za-z0-9_-]{43}/, // our API keys
      /sk_test_[0-9a-f]{20}/, // the demo's Paystack and Stripe keys
      /(FLWSECK|CHASECK)_TEST-[0-9a-f]{8}/, // Flutterwave, Chapa keys
      /whsec_[A-Za-z0-9+/=]{16}/, // endpoint and Stripe signing secrets
      /eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/, // access tokens
      /rt_ses_[0-9A-Z]{26}\./, // refresh tokens
      /demo-hash-[0-9a-f]{8}/, // Flutterwave and Chapa secret hashes
      /"password"\s*:\s*"(?!\[REDACTED\])/,
    ];
    for (const pattern of secrets) expect(output).not.toMatch(pattern);
  });

  it('stops cleanly on Ctrl-C, the DynamoDB JVM included', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(await accepts(apiUrl)).toBe(false);
    // The JVM may take a moment after its parent has gone.
    for (let i = 0; i < 50 && (await accepts(dynamoUrl)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await accepts(dynamoUrl)).toBe(false);
  });
});
