import { missing } from '#core/errors';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { eventId } from '#edge/webhook-schemas';
import { deliveriesOfEvent, getEvent, listAttempts } from '#store/webhooks';

/** GET /v1/events/{id}/attempts — every delivery attempt of the event (status, latency, first 1 KB, error). */
export const handler = http({ params: eventId }, async ({ actor, params }) => {
  const caller = requireMerchant(actor);
  if (!(await getEvent(caller.merchantId, caller.mode, params.id))) {
    throw missing('event', params.id, caller.mode);
  }
  const [attempts, deliveries] = await Promise.all([
    listAttempts(caller.merchantId, caller.mode, params.id),
    deliveriesOfEvent(caller.merchantId, caller.mode, params.id),
  ]);
  return {
    body: {
      data: attempts,
      deliveries: deliveries.map(({ merchantId: _m, ...d }) => d),
      hasMore: false,
      nextCursor: null,
    },
  };
});
