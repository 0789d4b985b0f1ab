import { http } from '#platform/http';
import { callerOf, requireMerchant } from '#platform/identity';
import { publicEndpoint, rotateSecret } from '#platform/webhook-endpoints';
import { endpointId } from '#platform/webhook-schemas';

/** POST /v1/webhook-endpoints/{id}/rotate-secret — the old secret keeps signing for 24 h beside the new one. */
export const handler = http({ params: endpointId }, async ({ actor, params, meta }) => {
  const { endpoint, secret } = await rotateSecret(callerOf(requireMerchant(actor)), params.id, meta);
  return { body: { ...publicEndpoint(endpoint), secret } };
});
