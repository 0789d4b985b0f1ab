import { publicPayment, verifyPayment } from '#core/payments';
import { syncOpenRefunds } from '#core/refunds';
import { http } from '#edge/http';
import { callerOf, requireMerchant } from '#app/identity';
import { payments } from '#app/payments';
import { refunds } from '#app/refunds';
import { paymentParams } from './get-payment.ts';

/**
 * POST /v1/payments/{id}/verify — the one "ask the provider now" button: moves the
 * payment forward if the provider has, and synchronises its open refunds.
 */
export const handler = http({ params: paymentParams }, async ({ actor, params }) => {
  const caller = callerOf(requireMerchant(actor));
  let payment = await verifyPayment(payments, caller, params.id);
  if ((await syncOpenRefunds(refunds, payment)) > 0) {
    payment = (await payments.store.getPayment(caller.merchantId, caller.mode, payment.id)) ?? payment;
  }
  return { body: publicPayment(payment) };
});
