import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { routeEvent } from '#local/api-event';

describe('GET /health when a dependency is missing', () => {
  it('answers 503 and names the failing check', async () => {
    // Each test file has its own module graph, so this configuration is read fresh.
    const good = process.env.DELIVERIES_QUEUE_URL ?? '';
    process.env.DELIVERIES_QUEUE_URL = good.replace(/[^/]+$/, 'no-such-queue');
    const { handler } = await import('#api/get-health');
    const res = await handler(
      routeEvent({ method: 'GET', target: '/health', requestId: 'r1' }),
      {} as Context,
    );
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body ?? '')).toMatchObject({
      status: 'degraded',
      checks: { table: 'ok', queues: 'unavailable' },
    });
  });
});
