import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';

describe('GET /health when a dependency is missing', () => {
  it('answers 503 and names the failing check', async () => {
    // Each test file has its own module graph, so this configuration is read fresh.
    const good = process.env.DELIVERIES_QUEUE_URL ?? '';
    process.env.DELIVERIES_QUEUE_URL = good.replace(/[^/]+$/, 'no-such-queue');
    const { handler } = await import('#api/get-health');
    const res = await handler(
      {
        version: '2.0',
        routeKey: 'GET /health',
        rawPath: '/health',
        rawQueryString: '',
        headers: {},
        isBase64Encoded: false,
        requestContext: { requestId: 'r1', http: { method: 'GET', path: '/health', sourceIp: '127.0.0.1' } },
      } as unknown as APIGatewayProxyEventV2,
      {} as Context,
    );
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body ?? '')).toMatchObject({
      status: 'degraded',
      checks: { table: 'ok', queues: 'unavailable' },
    });
  });
});
