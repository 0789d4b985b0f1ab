import * as z from 'zod/mini';
import { publicEndpoint } from '#core/webhooks';
import { http } from '#edge/http';
import { callerOf, requireMerchant } from '#app/identity';
import { webhookEndpoints } from '#app/webhooks';
import { subscribedEvents, url } from '#edge/webhook-schemas';

export const createWebhookEndpointBody = z.strictObject({
  url,
  events: subscribedEvents,
  description: z.optional(z.string().check(z.maxLength(500))),
});

/** POST /v1/webhook-endpoints — the `whsec_` secret is shown in this response only. */
export const handler = http({ body: createWebhookEndpointBody }, async ({ actor, body, meta }) => {
  const { endpoint, secret } = await webhookEndpoints.create(callerOf(requireMerchant(actor)), body, meta);
  return { status: 201, body: { ...publicEndpoint(endpoint), secret } };
});
