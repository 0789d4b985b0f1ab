import type { PaymentActivityLog, VerifySource } from './payment-activity.ts';
import type { Payment, PaymentDeps, SettledBy, VerifyOutcome } from './payments.ts';

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
 * `POST /v1/payments/{id}/verify` (`api`) and of the sweeper (`reconciliation`)
 * with the payment's resulting status, or the error code when the provider failed.
 */
export function recordVerifyCalls(
  log: PaymentActivityLog,
  now: () => Date = () => new Date(),
): NonNullable<PaymentDeps['verified']> {
  return async (payment: Payment, via: SettledBy, result: VerifyOutcome) => {
    const source = verifySource(via);
    if (!source) return;
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
