import { missing } from '#core/errors';
import { publicRefund } from '#core/refunds';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { paymentsStore } from '#store/payments';
import { refundsStore } from '#store/refunds';
import { paymentParams } from './get-payment.ts';

/** GET /v1/payments/{id}/refunds — every refund of one payment (at most the policy's 10), newest first. */
export const handler = http({ params: paymentParams }, async ({ actor, params }) => {
  const caller = requireMerchant(actor);
  const payment = await paymentsStore.getPayment(caller.merchantId, caller.mode, params.id);
  if (!payment) throw missing('payment', params.id, caller.mode);
  const list = await refundsStore.refundsOfPayment(caller.merchantId, caller.mode, payment.id);
  return { body: { data: list.map(publicRefund), hasMore: false, nextCursor: null } };
});
