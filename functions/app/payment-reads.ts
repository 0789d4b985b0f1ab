import type { Mode } from '#core/actor';
import { missing } from '#core/errors';
import { listPayments, paymentsStore } from '#store/payments';

/**
 * The payments area's reads, apart from its commands (app/payments.ts): a handler that
 * only reads payments imports this module, so its bundle carries the payments store
 * and nothing of the gateway (provider adapters, KMS for their keys), the transition
 * (webhook store, deliveries queue, SSRF guard) or the routing cache. Always scoped by
 * merchant and mode. `payments` (app/payments.ts) carries the same reads.
 */
export const paymentReads = {
  /** One payment of the merchant in the mode, or undefined. */
  get: (merchantId: string, mode: Mode, paymentId: string) =>
    paymentsStore.getPayment(merchantId, mode, paymentId),
  /** The caller's payment, or a 404 that says nothing about other merchants or modes. */
  async require(caller: { merchantId: string; mode: Mode }, paymentId: string) {
    const payment = await paymentsStore.getPayment(caller.merchantId, caller.mode, paymentId);
    if (!payment) throw missing('payment', paymentId, caller.mode);
    return payment;
  },
  /** A page of the merchant's payments in the mode, newest first. */
  list: listPayments,
};
