import * as z from 'zod/mini';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { objectId } from '#edge/schemas';
import { webhookEvents } from '#app/webhooks';
import { eventId } from '#edge/webhook-schemas';

export const resendBody = z.strictObject({
  endpointId: z.optional(objectId('we', 'a webhook endpoint')),
});

/** POST /v1/events/{id}/resend — to one endpoint, or to every endpoint it was for. */
export const handler = http({ params: eventId, body: resendBody }, async ({ actor, params, body }) => {
  const deliveries = await webhookEvents.resend(requireMerchant(actor), params.id, body.endpointId);
  return { status: 202, body: { deliveries: deliveries.map(({ merchantId: _m, ...d }) => d) } };
});
