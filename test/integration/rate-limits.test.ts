import { request } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { useApi } from '#test/http';
import { registerMerchant } from '#test/merchants';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { listSecurityEvents, recordSecurityEvent } from '#store/security-events';
import { addHits, windowStartOf } from '#store/rate-limits';
import { keys as tableKeys } from '#store/keys';
import { tableName } from '#store/table-name';
import { dynamoClient } from '#runtime/clients';
import { BatchedLimiter, type SharedCounter } from '#edge/rate-limit';

// Read by the handlers' configuration at first use in this file's module graph
// (after test/support/emulators.env.ts raised them for every other file).
process.env.CALLER_RATE_LIMIT_PER_MINUTE = '3';
process.env.IP_RATE_LIMIT_PER_MINUTE = '6';
process.env.WEBHOOK_RATE_LIMIT_PER_MINUTE = '3';
process.env.SECURITY_EVENTS_PER_MINUTE = '5';
const api = useApi();

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

/** A request from a chosen loopback address, so each test has source IPs of its own. */
function from(
  localAddress: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const url = new URL(`${api.url()}${path}`);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method, localAddress, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'],
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const freshLoopback = () =>
  `127.${Math.floor(Math.random() * 200) + 10}.${Math.floor(Math.random() * 200) + 10}.${Math.floor(Math.random() * 200) + 10}`;

/**
 * Counters are per minute window: a burst that straddles a window's end restarts its count halfway and
 * may never reach the limit. A burst starts early enough in a window to finish inside it (a slow,
 * loaded machine takes a few seconds for a handful of requests).
 */
async function startOfRoomyWindow(seconds = 20): Promise<void> {
  const left = 60 - (Math.floor(Date.now() / 1000) % 60);
  if (left < seconds) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 50));
}

async function times(n: number, call: () => Promise<Answer>): Promise<Answer[]> {
  await startOfRoomyWindow();
  const out: Answer[] = [];
  for (let i = 0; i < n; i++) out.push(await call());
  return out;
}

/** A minute window may roll over mid-test, which can only turn a later 429 back into an answer. */
function expectLimitedAfter(answers: Answer[], allowed: number, status: number): void {
  expect(answers.slice(0, allowed).map((a) => a.status)).toEqual(Array(allowed).fill(status));
  const limited = answers.find((a) => a.status === 429);
  expect(limited).toBeDefined();
  expect(Number(limited?.retryAfter)).toBeGreaterThan(0);
  expect(Number(limited?.retryAfter)).toBeLessThanOrEqual(60);
  expect(JSON.parse(limited?.body ?? '{}')).toMatchObject({
    error: { type: 'rate_limit', code: 'rate_limited', requestId: expect.any(String) },
  });
}

let keys: { a: string; b: string };
beforeAll(async () => {
  const merchant = await registerMerchant(api.request);
  // From an address of its own: the counters live in the shared table, and every other
  // test file's requests come from 127.0.0.1 (under their own, high limits).
  const ip = freshLoopback();
  const createKey = async () => {
    const body = JSON.stringify({ name: 'k', mode: 'test' });
    const answer = await from(
      ip,
      'POST',
      '/v1/api-keys',
      { authorization: `Bearer ${merchant.accessToken}`, 'content-type': 'application/json' },
      body,
    );
    if (answer.status !== 201) throw new Error(`create key failed: ${answer.status} ${answer.body}`);
    return (JSON.parse(answer.body) as { key: string }).key;
  };
  keys = { a: await createKey(), b: await createKey() };
});

describe('throttling per API key and per source IP', () => {
  it('limits each API key on standard routes, and another key of the same merchant goes on', async () => {
    const ip = freshLoopback();
    const list = (key: string) => from(ip, 'GET', '/v1/payments', { authorization: `Bearer ${key}` });
    expectLimitedAfter(await times(5, () => list(keys.a)), 3, 200);
    // Same address, same merchant, another key: its own budget (and the address's 6th request).
    expect((await list(keys.b)).status).toBe(200);
  }, 60_000); // may wait up to 20 s for a roomy window

  it('limits each source IP on standard routes before authentication, whatever the credential', async () => {
    const ip = freshLoopback();
    const bogus = () => from(ip, 'GET', '/v1/payments', { authorization: 'Bearer sk_test_not_a_key' });
    expectLimitedAfter(await times(8, bogus), 6, 401);
    expect(
      (await from(freshLoopback(), 'GET', '/v1/payments', { authorization: `Bearer ${keys.b}` })).status,
    ).toBe(200);
  }, 60_000); // may wait up to 20 s for a roomy window

  it('limits provider webhooks per source IP', async () => {
    const ip = freshLoopback();
    const hook = () =>
      from(ip, 'POST', `/hooks/paystack/${'A'.repeat(43)}`, { 'content-type': 'application/json' });
    expectLimitedAfter(await times(5, hook), 3, 404);
  }, 60_000); // may wait up to 20 s for a roomy window
});

describe('batched counters on the shared table', () => {
  it('keeps two containers within limit + 2 × (batch − 1), with one write per batch', async () => {
    const who = `key:batch_${Math.random()}`;
    const now = Date.now();
    const windowStart = windowStartOf(now, 60);
    let writes = 0;
    const add: SharedCounter = (w, count, start) => {
      writes += 1;
      return addHits('standard', w, count, start, 60);
    };
    // Two containers of the same function, each with its own tallies, one counter item.
    const [a, b] = [new BatchedLimiter(add, 5), new BatchedLimiter(add, 5)];
    const limit = 20;
    let allowed = 0;
    for (let i = 0; i < 40; i++) {
      const container = i % 3 === 0 ? b : a;
      if ((await container.hit(who, limit, now)).allowed) allowed += 1;
    }
    expect(allowed).toBeGreaterThanOrEqual(limit);
    expect(allowed).toBeLessThanOrEqual(limit + 2 * 4);
    const item = await dynamoClient().send(
      new GetCommand({ TableName: tableName(), Key: tableKeys.rate('standard', who, windowStart) }),
    );
    // Every write added a batch; the item holds their sum, fewer writes than hits.
    expect(Number(item.Item?.count)).toBeGreaterThanOrEqual(limit);
    expect(writes).toBeLessThan(allowed);
    // Both containers now know the window is spent: refused without a write.
    const writesBefore = writes;
    expect((await a.hit(who, limit, now)).allowed).toBe(false);
    expect((await b.hit(who, limit, now)).allowed).toBe(false);
    expect(writes).toBe(writesBefore);
  });
});

describe('security-event writes per merchant', () => {
  it('stores at most the per-minute budget of one merchant’s security events, and another merchant’s still', async () => {
    const meta = { ip: '203.0.113.7', userAgent: 'forger', requestId: 'r' };
    const [flooded, other] = [`mer_flood_${Math.random()}`, `mer_other_${Math.random()}`];
    for (let i = 0; i < 15; i++) {
      await recordSecurityEvent(flooded, 'webhook_signature_rejected', meta, { reason: 'bad_signature' });
    }
    await recordSecurityEvent(other, 'webhook_signature_rejected', meta, { reason: 'bad_signature' });
    const stored = (await listSecurityEvents(flooded, 100)).data.length;
    // A minute window may roll over mid-test, which lets at most one more budget (5) through.
    expect(stored).toBeGreaterThanOrEqual(5);
    expect(stored).toBeLessThanOrEqual(10);
    expect((await listSecurityEvents(other, 100)).data).toHaveLength(1);
  });
});
