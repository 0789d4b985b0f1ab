import { http } from '#platform/http';
import { callerOf, requireMerchant } from '#platform/identity';
import { publicEndpoint, requireEndpoint } from '#platform/webhook-endpoints';
import { endpointId } from '#platform/webhook-schemas';

/** GET /v1/webhook-endpoints/{id} */
export const handler = http({ params: endpointId }, async ({ actor, params }) => ({
  body: publicEndpoint(await requireEndpoint(callerOf(requireMerchant(actor)), params.id)),
}));
