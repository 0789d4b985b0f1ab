import { publicPayment } from '#core/payments';
import { http } from '#edge/http';
import { callerOf, requireMerchant } from '#app/identity';
import { requirePaymentLink } from '#app/payment-links';
import { listQuery, pageParams } from '#edge/schemas';
import { listPayments } from '#store/payments';
import { paymentLinkId } from './get-payment-link.ts';

/** GET /v1/payment-links/{id}/payments — the payments made through one link, newest first. */
export const handler = http({ params: paymentLinkId, query: listQuery }, async ({ actor, params, query }) => {
  const caller = callerOf(requireMerchant(actor));
  const link = await requirePaymentLink(caller, params.id);
  const { limit, cursor } = pageParams(query);
  const page = await listPayments(caller.merchantId, caller.mode, { paymentLink: link.id }, limit, cursor);
  return { body: { ...page, data: page.data.map(publicPayment) } };
});
