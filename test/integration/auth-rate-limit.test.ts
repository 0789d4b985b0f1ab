import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { routeEvent } from '#local/api-event';
import { useApi } from '#test/http';

// Read by the handlers' configuration at first use in this file's module graph.
process.env.AUTH_RATE_LIMIT_PER_MINUTE = '3';
const api = useApi();

/** POSTs from a chosen loopback address, so this test has a source IP of its own. */
function loginFrom(localAddress: string): Promise<{ status: number; retryAfter: string | undefined }> {
  const url = new URL(`${api.url()}/v1/auth/login`);
  const body = JSON.stringify({ email: 'x@example.com', password: 'whatever123456' });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('per-IP limit on sign-in routes', () => {
  it('answers 429 with Retry-After once an address exceeds its limit, while other addresses go on', async () => {
    const ip = `127.0.${Math.floor(Math.random() * 200) + 10}.${Math.floor(Math.random() * 200) + 10}`;
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await loginFrom(ip));
    const statuses = results.map((r) => r.status);
    // Three tries per minute are answered (401: bad credentials); beyond that, 429.
    // A minute window may roll over mid-test, which can only add 401s at the end.
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses).toContain(429);
    const limited = results.find((r) => r.status === 429);
    expect(Number(limited?.retryAfter)).toBeGreaterThan(0);
    expect(Number(limited?.retryAfter)).toBeLessThanOrEqual(60);

    const other = await loginFrom('127.0.0.9');
    expect(other.status).not.toBe(429);
  });
});

describe('per-IP limit and IPv6', () => {
  /** The sign-in handler called as API Gateway would, from a chosen source address. */
  async function loginAs(sourceIp: string): Promise<number> {
    const { handler } = await import('#api/login');
    const result = await handler(
      routeEvent({
        method: 'POST',
        target: '/v1/auth/login',
        headers: { 'user-agent': 'test' },
        json: { email: 'x@example.com', password: 'whatever123456' },
        sourceIp,
        requestId: `ipv6-${Math.random()}`,
      }),
      { functionName: 'login', awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 } as never,
    );
    return (result as { statusCode: number }).statusCode;
  }

  it('counts every address of one IPv6 /64 together, and another /64 apart', async () => {
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}`;
    const statuses: number[] = [];
    // A new interface identifier for every request, as a client with a /64 can do.
    for (let i = 1; i <= 5; i++) statuses.push(await loginAs(`${prefix}:${i.toString(16)}::${i}`));
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses).toContain(429);
    // The same /64 written out in full still counts against it.
    const [a, b, c, d] = prefix.split(':');
    const long = [a, b, c, d].map((g) => (g as string).padStart(4, '0')).join(':');
    expect(await loginAs(`${long}:0000:0000:0000:00ff`)).toBe(429);
    expect(await loginAs(`${prefix.replace(/:[^:]+$/, ':ffff')}::1`)).not.toBe(429);
  });
});
