import { http } from '#edge/http';
import { callerOf, requireMerchant } from '#app/identity';
import { sendTestEvent } from '#app/webhook-endpoints';
import { endpointId } from '#edge/webhook-schemas';

/** POST /v1/webhook-endpoints/{id}/test — queues a `webhook_endpoint.test` event to this endpoint. */
export const handler = http({ params: endpointId }, async ({ actor, params }) => ({
  status: 202,
  body: await sendTestEvent(callerOf(requireMerchant(actor)), params.id),
}));
