import { missing } from '#core/errors';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { eventId } from '#edge/webhook-schemas';
import { getEvent } from '#store/webhooks';

/** GET /v1/events/{id} */
export const handler = http({ params: eventId }, async ({ actor, params }) => {
  const caller = requireMerchant(actor);
  const event = await getEvent(caller.merchantId, caller.mode, params.id);
  if (!event) throw missing('event', params.id, caller.mode);
  return { body: event };
});
