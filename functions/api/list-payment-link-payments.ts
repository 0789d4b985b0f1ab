import { publicPayment } from '#core/payments';
import { http } from '#edge/http';
import { callerOf, requireMerchant } from '#app/identity';
import { paymentLinkReads as paymentLinks } from '#app/payment-link-reads';
import { paymentReads as payments } from '#app/payment-reads';
import { listQuery, pageParams } from '#edge/schemas';
import { paymentLinkId } from './get-payment-link.ts';

/** GET /v1/payment-links/{id}/payments — the payments made through one link, newest first. */
export const handler = http({ params: paymentLinkId, query: listQuery }, async ({ actor, params, query }) => {
  const caller = callerOf(requireMerchant(actor));
  const link = await paymentLinks.require(caller, params.id);
  const { limit, cursor } = pageParams(query);
  const page = await payments.list(caller.merchantId, caller.mode, { paymentLink: link.id }, limit, cursor);
  return { body: { ...page, data: page.data.map(publicPayment) } };
});
