import type { Mode } from './actor.ts';
import { canSettleLate, isOpen, type Payment, type PaymentDeps, settlePayment } from './payments.ts';

/**
 * Reconciliation: the sweeper that asks providers about payments nobody told us
 * about (a lost webhook, a Paystack decline that sends none), expires abandoned
 * checkouts and watches expired ones for late money. It never scans: the store
 * hands it only payments whose next check is due (a sparse index), and every
 * check goes through the one settle path (`settlePayment`).
 */

export interface ReconcileSettings {
  /** Seconds between checks, like Hyperswitch's payment sync; the last repeats. */
  readonly schedule: readonly number[];
  /** How long after `expiresAt` an expired payment is still checked for late money. */
  readonly lateWindowSeconds: number;
}

export const defaultSchedule = [60, 300, 900, 3600, 21600] as const;
export const defaultLateWindowSeconds = 24 * 3600;

/**
 * When the sweeper should next ask about a payment, or null when never again.
 * Open: the first check `schedule[0]` after creation, then backing off; never
 * later than `expiresAt`, so expiry happens on time. Expired: on the same
 * back-off until the late window closes.
 */
export function nextCheckAt(
  payment: Pick<Payment, 'status' | 'createdAt' | 'expiresAt' | 'checkCount'>,
  now: Date,
  settings: ReconcileSettings,
): string | null {
  const step = settings.schedule[Math.min(payment.checkCount, settings.schedule.length - 1)] ?? 60;
  if (isOpen(payment.status)) {
    const from = payment.checkCount === 0 ? Date.parse(payment.createdAt) : now.getTime();
    return new Date(Math.min(from + step * 1000, Date.parse(payment.expiresAt))).toISOString();
  }
  if (canSettleLate(payment)) {
    const end = Date.parse(payment.expiresAt) + settings.lateWindowSeconds * 1000;
    if (now.getTime() >= end) return null;
    return new Date(Math.min(now.getTime() + step * 1000, end)).toISOString();
  }
  return null;
}

/** A payment the index says is due, as the sweeper reads it. */
export interface DueRef {
  merchantId: string;
  mode: Mode;
  paymentId: string;
}

export interface SweepDeps {
  readonly payments: PaymentDeps;
  readonly settings: ReconcileSettings;
  /** Payments whose next check is at or before `now`, at most `limit` (the sparse index; never a scan). */
  due(now: Date, limit: number): Promise<DueRef[]>;
  /** Records a check that moved nothing, and when the next is due (null: leave the index). */
  recordCheck(
    payment: Payment,
    checkedAt: string,
    nextCheckAt: string | null,
    counted: boolean,
  ): Promise<void>;
  /** Open refunds are due in the same index (ids `re_…`): synchronised with the provider's refund lookup. */
  syncRefund?(ref: DueRef): Promise<'moved' | 'checked' | 'final' | 'missing' | 'leased'>;
  /** A payment the sweeper moved: for the provider-silence metric and alert. */
  onSettled?(payment: Payment, status: string): Promise<void>;
  readonly now?: () => Date;
}

export interface SweepReport {
  due: number;
  moved: number;
  checked: number;
  errors: number;
}

/** How many payments one sweep takes on; the rest wait for the next (they stay due). */
export const sweepLimit = 500;
const parallel = 8;

/** One sweep: every due payment is settled, expired or rescheduled; a provider error retries next round. */
export async function sweep(deps: SweepDeps): Promise<SweepReport> {
  const now = (deps.now ?? (() => new Date()))();
  const due = await deps.due(now, sweepLimit);
  const report: SweepReport = { due: due.length, moved: 0, checked: 0, errors: 0 };
  for (let i = 0; i < due.length; i += parallel) {
    await Promise.all(
      due.slice(i, i + parallel).map(async (ref) => {
        try {
          if (ref.paymentId.startsWith('re_') && deps.syncRefund) {
            // The refund-sync schedule, beside the payment-sync one (Flutterwave sends no refund webhook).
            const outcome = await deps.syncRefund(ref);
            if (outcome === 'moved') report.moved++;
            else report.checked++;
            return;
          }
          const result = await settlePayment(deps.payments, ref.merchantId, ref.mode, ref.paymentId, {
            via: 'reconciliation',
            expireIfDue: true,
          });
          if (result.outcome === 'moved') {
            report.moved++;
            await deps.onSettled?.(result.from, result.change.status);
          } else if (result.outcome === 'unchanged') {
            report.checked++;
            const counted = { ...result.payment, checkCount: result.payment.checkCount + 1 };
            await deps.recordCheck(
              result.payment,
              now.toISOString(),
              nextCheckAt(counted, now, deps.settings),
              true,
            );
          }
        } catch {
          // Provider down, timeout, throttled: nothing is lost; the payment stays due and the
          // next round (after the shortest delay of the schedule) asks again.
          report.errors++;
          const payment = await deps.payments.store.getPayment(ref.merchantId, ref.mode, ref.paymentId);
          if (payment) {
            const retryAt = new Date(now.getTime() + (deps.settings.schedule[0] ?? 60) * 1000);
            await deps
              .recordCheck(payment, payment.lastCheckedAt ?? now.toISOString(), retryAt.toISOString(), false)
              .catch(() => undefined);
          }
        }
      }),
    );
  }
  return report;
}
