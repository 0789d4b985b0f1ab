import { config } from '#runtime/config';
import { http } from '#edge/http';
import { health } from '#app/health';

/** GET /health — 200 when the table and both queues answer, 503 otherwise. */
export const handler = http({}, async () => {
  const { table, queues } = await health.check();
  const ok = table && queues;
  return {
    status: ok ? 200 : 503,
    body: {
      status: ok ? 'ok' : 'degraded',
      version: config().PAYBRIDGE_VERSION,
      checks: {
        table: table ? 'ok' : 'unavailable',
        queues: queues ? 'ok' : 'unavailable',
      },
    },
  };
});
