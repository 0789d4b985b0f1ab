import { http } from '#platform/http';
import { callerOf, requireMerchant } from '#platform/identity';
import { removeEndpoint } from '#platform/webhook-endpoints';
import { endpointId } from '#platform/webhook-schemas';

/** DELETE /v1/webhook-endpoints/{id} */
export const handler = http({ params: endpointId }, async ({ actor, params, meta }) => {
  await removeEndpoint(callerOf(requireMerchant(actor)), params.id, meta);
  return { status: 204 };
});
