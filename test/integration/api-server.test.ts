import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startApi } from '#local/api-server';
import { useApi } from '#test/http';

const api = useApi();

describe('local API server over the route table', () => {
  it('serves GET /health from the real handler with table and queues checked', async () => {
    const res = await api.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ok',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      checks: { table: 'ok', queues: 'ok' },
    });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
  });

  it('answers an unknown path with 404 in our error shape', async () => {
    const res = await api.request('/v1/does-not-exist?x=1', { method: 'POST', body: 'garbage' });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: Record<string, string> };
    expect(body.error).toMatchObject({ type: 'invalid_request', code: 'route_not_found' });
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('answers a wrong method with 405, an Allow header and our error shape', async () => {
    const res = await api.request('/health', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
  });

  it('refuses a query parameter the route does not take with a 400, not a 5xx', async () => {
    const res = await api.request('/health?verbose=1');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('verbose');
  });

  it('answers a body over API Gateway’s 10 MB limit with 413 in our error shape, before any handler', async () => {
    const res = await api.request('/health', { method: 'POST', body: Buffer.alloc(10 * 1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      error: { type: 'invalid_request', code: 'body_too_large', requestId: expect.any(String) },
    });
  });

  it('answers bodies from 64 KB to 12 MB with one error shape', async () => {
    for (const size of [64 * 1024 + 1, 10 * 1024 * 1024, 12 * 1024 * 1024]) {
      const res = await api.request('/v1/auth/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.alloc(size, 0x20),
      });
      expect(res.status, `${size} bytes`).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
    }
  });
});

describe('pages are forgiving about their address', () => {
  it('serves the dashboard at / and sends /docs/ to /docs, keeping the query', async () => {
    const root = await api.request('/', { redirect: 'manual' });
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toMatch(/^text\/html/);
    const slash = await api.request('/docs/?x=1', { redirect: 'manual' });
    expect(slash.status).toBe(308);
    expect(slash.headers.get('location')).toBe('/docs?x=1');
    expect((await api.request('/docs/', { redirect: 'follow' })).status).toBe(200);
  });

  it('still answers 404 in our error shape for an API path with a trailing slash', async () => {
    const res = await api.request('/v1/payments/');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('route_not_found');
  });
});

describe('local API server start-up', () => {
  it('replaces a busy preferred port with a free one instead of crashing', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const address = squatter.address();
    const busy = typeof address === 'object' && address ? address.port : 0;
    try {
      const local = await startApi(busy);
      try {
        expect(local.port).not.toBe(busy);
        expect((await fetch(`${local.url}/health`)).status).toBeLessThan(500);
      } finally {
        await local.stop();
      }
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});
