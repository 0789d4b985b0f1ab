import { publicEndpoint } from '#core/webhooks';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { webhookEndpointReads as webhookEndpoints } from '#app/webhook-reads';
import { endpointId } from '#edge/webhook-schemas';

/** GET /v1/webhook-endpoints/{id} */
export const handler = http({ params: endpointId }, async ({ actor, params }) => ({
  body: publicEndpoint(await webhookEndpoints.get(requireMerchant(actor), params.id)),
}));
