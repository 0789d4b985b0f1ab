import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { webhookEventReads as webhookEvents } from '#app/webhook-reads';
import { eventId } from '#edge/webhook-schemas';

/** GET /v1/events/{id}/attempts — every delivery attempt of the event (status, latency, first 1 KB, error). */
export const handler = http({ params: eventId }, async ({ actor, params }) => {
  const { attempts, deliveries } = await webhookEvents.attempts(requireMerchant(actor), params.id);
  return {
    body: {
      data: attempts,
      deliveries: deliveries.map(({ merchantId: _m, ...d }) => d),
      hasMore: false,
      nextCursor: null,
    },
  };
});
