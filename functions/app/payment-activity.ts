import type { Mode } from '#core/actor';
import { missing } from '#core/errors';
import type { PaymentActivity, PaymentActivityLog } from '#core/payment-activity';
import { listPaymentActivity, recordPaymentActivity } from '#store/payment-activity';
import { paymentsStore } from '#store/payments';
import { logger } from '#runtime/logger';

/**
 * The payment activity log, wired (core/payment-activity.ts): the verify worker and
 * the settle path record each provider webhook and verify call here, and the
 * payment's timeline (GET /v1/payments/{id}/activity, the dashboard) reads it.
 */

/**
 * Never rejects: the timeline is a convenience beside the money path, so a failed
 * write is logged (what and for which payment; never a body, header or signature)
 * and the caller goes on. Awaited by callers all the same, so no write is left in
 * flight when the Lambda sandbox freezes.
 */
export const paymentActivity: PaymentActivityLog = {
  async record(entry) {
    try {
      await recordPaymentActivity(entry);
    } catch (error) {
      logger.warn('payment activity not recorded', {
        kind: entry.kind,
        provider: entry.provider,
        merchantId: entry.merchantId,
        mode: entry.mode,
        paymentId: entry.paymentId,
        error: error instanceof Error ? error.name : 'unknown',
      });
    }
  },
};

/**
 * A payment's activity in time order (the newest `activityReadLimit` entries), in
 * the caller's merchant and mode only: 404 when no such payment is theirs.
 */
export async function paymentActivityOf(
  merchantId: string,
  mode: Mode,
  paymentId: string,
): Promise<{ data: PaymentActivity[]; hasMore: boolean }> {
  const [payment, activity] = await Promise.all([
    paymentsStore.getPayment(merchantId, mode, paymentId),
    listPaymentActivity(merchantId, mode, paymentId),
  ]);
  if (!payment) throw missing('payment', paymentId, mode);
  return activity;
}
