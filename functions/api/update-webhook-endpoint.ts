import * as z from 'zod/mini';
import { publicEndpoint } from '#core/webhooks';
import { http } from '#edge/http';
import { callerOf, requireMerchant } from '#app/identity';
import { webhookEndpoints } from '#app/webhooks';
import { endpointId, subscribedEvents, url } from '#edge/webhook-schemas';

export const updateWebhookEndpointBody = z.strictObject({
  url: z.optional(url),
  events: z.optional(subscribedEvents),
  enabled: z.optional(z.boolean()),
  description: z.optional(z.string().check(z.maxLength(500))),
});

/** PATCH /v1/webhook-endpoints/{id} — url, events, enabled (re-enabling clears a disable). */
export const handler = http(
  { params: endpointId, body: updateWebhookEndpointBody },
  async ({ actor, params, body, meta }) => ({
    body: publicEndpoint(
      await webhookEndpoints.update(callerOf(requireMerchant(actor)), params.id, body, meta),
    ),
  }),
);
