import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, verifyWebhook } from '#client';
import { newEndpointSecret } from '#core/webhook-signature';
import { type LocalStack, startLocalStack } from '#local/stack';

/**
 * `paybridge receive | listen | trigger` as a merchant runs them: child processes of the bin entry
 * against a real local stack (API, DynamoDB Local, SQS, workers, sandboxes) on free ports.
 */
const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'cli', 'paybridge.mjs');
let stack: LocalStack;
let apiUrl = '';
let key = '';
const children: ChildProcess[] = [];
const servers: Server[] = [];

function cliEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    PAYBRIDGE_URL: apiUrl,
    SANDBOX_URL: stack.sandboxes?.url ?? '',
    PAYBRIDGE_API_KEY: key,
    PAYBRIDGE_STATE_DIR: join(root, 'test', 'no-such-state'),
  };
}

/** Starts a long-running CLI command; `output()` is what it printed so far. */
function start(...args: string[]): { output: () => string } {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let text = '';
  child.stdout?.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (text += c.toString()));
  return { output: () => text };
}

/** Runs a CLI command to its end; async, since the stack under test runs in this process. */
function run(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: cliEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  stack = await startLocalStack({ apiPort: 0, dynamoPort: 0, sqsPort: 0, sandboxPort: 0 });
  apiUrl = stack.api?.url ?? '';
  const anonymous = createClient({ baseUrl: apiUrl });
  const account = await anonymous.auth.register({
    email: `cli-${Date.now()}@example.com`,
    password: 'a long cli passphrase',
    businessName: 'CLI Shop',
  });
  key = (
    await anonymous
      .with({ accessToken: account.accessToken })
      .apiKeys.create({ name: 'cli', mode: 'test', scope: 'full' })
  ).key;
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  for (const server of servers) server.close();
  await stack.stop();
});

describe('paybridge CLI', () => {
  it('says what is wrong with a command, with exit code 2', async () => {
    const unknown = await run('frobnicate');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command frobnicate');
    const noSecret = spawnSync(process.execPath, [bin, 'receive'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    });
    expect(noSecret.status).toBe(2);
    expect(noSecret.stderr).toContain('--secret whsec_');
    const badEvent = await run('trigger', 'payment.exploded');
    expect(badEvent.status).toBe(2);
    expect(badEvent.stderr).toContain('payment.succeeded');
  });

  it('trigger → the real pipeline → receive verifies the signed payment.succeeded; a forgery is rejected', async () => {
    const port = await freePort();
    const client = createClient({ baseUrl: apiUrl, apiKey: key });
    const endpoint = await client.webhookEndpoints.create({
      url: `http://127.0.0.1:${port}/hooks`,
      events: ['*'],
    });
    const receiver = start('receive', '--port', String(port), '--secret', endpoint.secret);
    await until('the receiver to listen', () => receiver.output().includes('Receiving on'));

    const triggered = await run('trigger', 'payment.succeeded', '--provider', 'paystack');
    expect(triggered.stderr).toBe('');
    expect(triggered.status).toBe(0);
    const paymentId = /(pay_[0-9A-Z]{26})/.exec(triggered.stdout)?.[1] ?? '';
    expect(paymentId).not.toBe('');
    await until('the verified event', () => receiver.output().includes(`payment.succeeded ${paymentId}`));
    expect(receiver.output()).toMatch(
      new RegExp(`✓ evt_\\w+ payment\\.succeeded ${paymentId} \\(succeeded\\) verified`),
    );

    const forged = await fetch(`http://127.0.0.1:${port}/hooks`, {
      method: 'POST',
      headers: {
        'webhook-id': 'msg_x',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': 'v1,AAAA',
      },
      body: '{"type":"payment.succeeded"}',
    });
    expect(forged.status).toBe(400);
    await until('the rejection line', () => receiver.output().includes('✗ rejected'));
  });

  it('listen forwards new events, re-signed with its own secret, and prints the receiver’s status', async () => {
    const secret = newEndpointSecret();
    const got: string[] = [];
    const local = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          got.push(verifyWebhook(secret, Buffer.concat(chunks), req.headers).type);
          res.writeHead(204).end();
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    servers.push(local);
    await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(local.address() as AddressInfo).port}/hooks`;
    const listener = start(
      'listen',
      '--forward-to',
      target,
      '--events',
      'payment.*',
      '--secret',
      secret,
      '--interval',
      '0.3',
    );
    await until('listen to start', () =>
      listener.output().includes(`Signing secret for your receiver: ${secret}`),
    );

    const triggered = await run('trigger', 'payment.succeeded', '--provider', 'stripe');
    expect(triggered.stderr).toBe('');
    expect(triggered.status).toBe(0);
    const paymentId = /(pay_[0-9A-Z]{26})/.exec(triggered.stdout)?.[1] ?? '';
    await until('the forwarded event', () => listener.output().includes(`payment.succeeded ${paymentId}`));
    expect(listener.output()).toMatch(
      new RegExp(`payment\\.succeeded ${paymentId} \\(succeeded\\) → 204 in \\d+ ms`),
    );
    expect(got).toContain('payment.succeeded');
  });
});
