import { publicRefund } from '#core/refunds';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { paymentReads as payments } from '#app/payment-reads';
import { refundReads as refunds } from '#app/refund-reads';
import { paymentParams } from './get-payment.ts';

/** GET /v1/payments/{id}/refunds — every refund of one payment (at most the policy's 10), newest first. */
export const handler = http({ params: paymentParams }, async ({ actor, params }) => {
  const caller = requireMerchant(actor);
  const payment = await payments.require(caller, params.id);
  const list = await refunds.ofPayment(caller.merchantId, caller.mode, payment.id);
  return { body: { data: list.map(publicRefund), hasMore: false, nextCursor: null } };
});
