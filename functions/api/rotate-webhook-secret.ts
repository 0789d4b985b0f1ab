import { publicEndpoint } from '#core/webhooks';
import { http } from '#edge/http';
import { callerOf, requireMerchant } from '#app/identity';
import { webhookEndpoints } from '#app/webhooks';
import { endpointId } from '#edge/webhook-schemas';

/** POST /v1/webhook-endpoints/{id}/rotate-secret — the old secret keeps signing for 24 h beside the new one. */
export const handler = http({ params: endpointId }, async ({ actor, params, meta }) => {
  const { endpoint, secret } = await webhookEndpoints.rotateSecret(
    callerOf(requireMerchant(actor)),
    params.id,
    meta,
  );
  return { body: { ...publicEndpoint(endpoint), secret } };
});
