import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { webhookEndpoints } from '#app/webhooks';
import { endpointId } from '#edge/webhook-schemas';

/** POST /v1/webhook-endpoints/{id}/test — queues a `webhook_endpoint.test` event to this endpoint. */
export const handler = http({ params: endpointId }, async ({ actor, params }) => ({
  status: 202,
  body: await webhookEndpoints.sendTest(requireMerchant(actor), params.id),
}));
