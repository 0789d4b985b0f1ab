import type { PaymentActivityLog, VerifySource } from './payment-activity.ts';
import { isOpen, type Payment, type PaymentDeps, type SettledBy, type VerifyOutcome } from './payments.ts';

/** Who asked for a verify call, on the timeline; a webhook's own check is recorded as the webhook. */
export function verifySource(via: SettledBy): VerifySource | undefined {
  switch (via) {
    case 'verify':
      return 'api';
    case 'reconciliation':
      return 'reconciliation';
    case 'webhook':
      return undefined;
  }
}

/**
 * `PaymentDeps.verified` writing to the payment activity log: each verify call of
 * `POST /v1/payments/{id}/verify` (`api`) with the payment's resulting status, or the error
 * code when the provider failed; and each sweeper check (`reconciliation`) that settled,
 * expired or failed the payment, or could not reach the provider. A sweeper check that finds
 * the payment still open is not an entry: the sweeper asks on a schedule for the whole
 * checkout lifetime, and one write per check would double its cost (the payment's
 * `checkCount` and `lastCheckedAt` say how often it asked).
 */
export function recordVerifyCalls(
  log: PaymentActivityLog,
  now: () => Date = () => new Date(),
): NonNullable<PaymentDeps['verified']> {
  return async (payment: Payment, via: SettledBy, result: VerifyOutcome) => {
    const source = verifySource(via);
    if (!source) return;
    if (source === 'reconciliation' && 'status' in result && isOpen(result.status)) return;
    await log.record({
      kind: 'verify',
      merchantId: payment.merchantId,
      mode: payment.mode,
      paymentId: payment.id,
      provider: payment.provider,
      at: now().toISOString(),
      source,
      ...result,
    });
  };
}
