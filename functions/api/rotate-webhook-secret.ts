import { http } from '#edge/http';
import { callerOf, requireMerchant } from '#app/identity';
import { publicEndpoint, rotateSecret } from '#app/webhook-endpoints';
import { endpointId } from '#edge/webhook-schemas';

/** POST /v1/webhook-endpoints/{id}/rotate-secret — the old secret keeps signing for 24 h beside the new one. */
export const handler = http({ params: endpointId }, async ({ actor, params, meta }) => {
  const { endpoint, secret } = await rotateSecret(callerOf(requireMerchant(actor)), params.id, meta);
  return { body: { ...publicEndpoint(endpoint), secret } };
});
