import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { publicEndpoint } from '#app/webhook-endpoints';
import { listEndpoints } from '#store/webhooks';

/** GET /v1/webhook-endpoints — the caller's mode; a merchant has at most 20, so one page. */
export const handler = http({}, async ({ actor }) => {
  const caller = requireMerchant(actor);
  const all = await listEndpoints(caller.merchantId, caller.mode);
  const data = all.sort((a, b) => b.id.localeCompare(a.id)).map(publicEndpoint);
  return { body: { data, hasMore: false, nextCursor: null } };
});
