import { http } from '#edge/http';
import { callerOf, requireMerchant } from '#app/identity';
import { publicEndpoint, requireEndpoint } from '#app/webhook-endpoints';
import { endpointId } from '#edge/webhook-schemas';

/** GET /v1/webhook-endpoints/{id} */
export const handler = http({ params: endpointId }, async ({ actor, params }) => ({
  body: publicEndpoint(await requireEndpoint(callerOf(requireMerchant(actor)), params.id)),
}));
