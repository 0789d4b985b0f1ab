import { publicEndpoint } from '#core/webhooks';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { webhookEndpointReads as webhookEndpoints } from '#app/webhook-reads';

/** GET /v1/webhook-endpoints — the caller's mode, newest first; a merchant has at most 20, so one page. */
export const handler = http({}, async ({ actor }) => {
  const data = (await webhookEndpoints.list(requireMerchant(actor))).map(publicEndpoint);
  return { body: { data, hasMore: false, nextCursor: null } };
});
