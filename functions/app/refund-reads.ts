import type { Mode } from '#core/actor';
import { missing } from '#core/errors';
import { listRefunds, refundsStore } from '#store/refunds';

/**
 * The refunds area's reads, apart from its commands (app/refunds.ts): a handler that
 * only reads refunds imports this module, so its bundle carries the refunds store and
 * nothing of the provider gateway (adapters, KMS) or the payments and webhook wiring.
 * Always scoped by merchant and mode. `refunds` (app/refunds.ts) carries the same reads.
 */
export const refundReads = {
  /** One refund of the merchant in the mode, or undefined. */
  get: (merchantId: string, mode: Mode, refundId: string) =>
    refundsStore.getRefund(merchantId, mode, refundId),
  /** The caller's refund, or a 404 that says nothing about other merchants or modes. */
  async require(caller: { merchantId: string; mode: Mode }, refundId: string) {
    const refund = await refundsStore.getRefund(caller.merchantId, caller.mode, refundId);
    if (!refund) throw missing('refund', refundId, caller.mode);
    return refund;
  },
  /** Every refund of one payment (at most the policy's 10), newest first. */
  ofPayment: (merchantId: string, mode: Mode, paymentId: string) =>
    refundsStore.refundsOfPayment(merchantId, mode, paymentId),
  /** A page of the merchant's refunds in the mode, newest first. */
  list: listRefunds,
};
