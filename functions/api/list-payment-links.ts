import { publicPaymentLink } from '#core/payment-links';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { paymentLinkReads as paymentLinks } from '#app/payment-link-reads';
import { publicBaseUrl } from '#edge/request';
import { listQuery, pageParams } from '#edge/schemas';

/** GET /v1/payment-links — newest first, in the caller's merchant and mode. */
export const handler = http({ query: listQuery }, async ({ actor, query, event }) => {
  const caller = requireMerchant(actor);
  const { limit, cursor } = pageParams(query);
  const page = await paymentLinks.list(caller.merchantId, caller.mode, limit, cursor);
  const base = publicBaseUrl(event);
  return { body: { ...page, data: page.data.map((link) => publicPaymentLink(link, base)) } };
});
