import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { webhookEventReads as webhookEvents } from '#app/webhook-reads';
import { eventId } from '#edge/webhook-schemas';

/** GET /v1/events/{id} */
export const handler = http({ params: eventId }, async ({ actor, params }) => ({
  body: await webhookEvents.get(requireMerchant(actor), params.id),
}));
