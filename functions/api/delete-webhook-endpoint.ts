import { http } from '#edge/http';
import { callerOf, requireMerchant } from '#app/identity';
import { webhookEndpoints } from '#app/webhooks';
import { endpointId } from '#edge/webhook-schemas';

/** DELETE /v1/webhook-endpoints/{id} */
export const handler = http({ params: endpointId }, async ({ actor, params, meta }) => {
  await webhookEndpoints.remove(callerOf(requireMerchant(actor)), params.id, meta);
  return { status: 204 };
});
