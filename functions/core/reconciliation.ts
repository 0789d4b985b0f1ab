import type { Mode } from './actor.ts';
import {
  canSettleLate,
  isOpen,
  type Payment,
  type PaymentDeps,
  type PaymentGateway,
  settlePayment,
} from './payments.ts';

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

/**
 * How long past `expiresAt` an open payment whose provider cannot be asked (down,
 * deleted or disabled configuration, revoked keys) stays open before the sweeper
 * expires it without the provider's word: the last (longest) step of the schedule.
 */
export function localExpiryGraceSeconds(settings: ReconcileSettings): number {
  return settings.schedule.at(-1) ?? 60;
}

/**
 * When to ask again after a check that failed (the provider threw): the failed
 * check counts, so errors back off along the schedule like answered checks
 * instead of hammering a dead provider every round. An open payment is retried
 * until `expiresAt` plus `localExpiryGraceSeconds` (then the sweeper expires it
 * locally); an expired one until its late window closes, then never (null).
 */
export function retryAfterError(
  payment: Pick<Payment, 'status' | 'createdAt' | 'expiresAt' | 'checkCount'>,
  now: Date,
  settings: ReconcileSettings,
): string | null {
  const counted = { ...payment, checkCount: payment.checkCount + 1 };
  const expires = Date.parse(payment.expiresAt);
  if (!isOpen(payment.status) || now.getTime() < expires) return nextCheckAt(counted, now, settings);
  const step = settings.schedule[Math.min(counted.checkCount, settings.schedule.length - 1)] ?? 60;
  const giveUpAt = expires + localExpiryGraceSeconds(settings) * 1000;
  return new Date(Math.min(now.getTime() + step * 1000, giveUpAt)).toISOString();
}

/** True when an open payment whose provider cannot be asked is to be expired without its word. */
export function dueForLocalExpiry(
  payment: Pick<Payment, 'status' | 'expiresAt'>,
  now: Date,
  settings: ReconcileSettings,
): boolean {
  return (
    isOpen(payment.status) &&
    now.getTime() >= Date.parse(payment.expiresAt) + localExpiryGraceSeconds(settings) * 1000
  );
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
  /** Checks that failed (provider down, unconfigured, keys revoked…); each is retried later, backing off. */
  errors: number;
  /** Why, counted by error code (or name): what the worker logs at WARN and the alarm is about. */
  errorReasons: Record<string, number>;
  /** Open payments past expiry whose provider could not be asked, expired without its word (among `moved`). */
  expiredLocally: number;
}

/** How many payments one sweep takes on; the rest wait for the next (they stay due). */
export const sweepLimit = 500;
const parallel = 8;

/** A failure's short name for logs and the report: a domain error's code, else the error's name. */
export function errorReason(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && code !== '' ? code : error.name;
  }
  return 'unknown';
}

/**
 * One sweep: every due payment is settled, expired or rescheduled. A check that
 * fails is counted in `errors` and retried later, backing off along the schedule.
 */
export async function sweep(deps: SweepDeps): Promise<SweepReport> {
  const now = (deps.now ?? (() => new Date()))();
  const due = await deps.due(now, sweepLimit);
  const report: SweepReport = {
    due: due.length,
    moved: 0,
    checked: 0,
    errors: 0,
    errorReasons: {},
    expiredLocally: 0,
  };
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
        } catch (error) {
          report.errors++;
          const reason = errorReason(error);
          report.errorReasons[reason] = (report.errorReasons[reason] ?? 0) + 1;
          // A refund (`re_…`) is not a payment: it stays due as it is and the next round retries it.
          if (ref.paymentId.startsWith('re_')) return;
          await afterFailedCheck(deps, ref, now, report).catch(() => {
            // Even the bookkeeping failed (the table): the payment stays due as it was; the next round retries.
          });
        }
      }),
    );
  }
  return report;
}

/**
 * A payment's check failed (provider down, timeout, throttled, its configuration
 * deleted or disabled, keys revoked). Nothing is lost: the failed check counts,
 * so the payment is asked again later along the back-off schedule, never every
 * round forever. An expired payment stops being watched when its late window
 * closes (`retryAfterError` answers null).
 *
 * An open payment that is still unanswerable `localExpiryGraceSeconds` past its
 * `expiresAt` is expired without the provider's word, so an abandoned checkout
 * at an unreachable provider does reach `expired` (and the merchant hears of it).
 * This is safe ONLY because of late settlement: an `expired` payment that proves
 * paid moves `expired → succeeded` (or `requires_review`) with `lateSettlement`,
 * by the provider's webhook or `POST /verify` at any time, and by this sweeper
 * until the late window closes. Were `expired` final, expiring without the
 * provider's answer could lose money, and it must not be done.
 */
async function afterFailedCheck(deps: SweepDeps, ref: DueRef, now: Date, report: SweepReport) {
  const payment = await deps.payments.store.getPayment(ref.merchantId, ref.mode, ref.paymentId);
  if (!payment) return;
  if (dueForLocalExpiry(payment, now, deps.settings)) {
    // Still the one settle path (a conditional transition, so a webhook or verify racing it wins or
    // loses cleanly), with the provider's silence standing in for its verdict: "not paid as far as
    // we can tell", which past expiry means `expired`.
    const result = await settlePayment(
      { ...deps.payments, gateway: unanswered(deps.payments.gateway) },
      ref.merchantId,
      ref.mode,
      ref.paymentId,
      { via: 'reconciliation', expireIfDue: true },
    );
    if (result.outcome === 'moved') {
      report.moved++;
      if (result.change.status === 'expired') report.expiredLocally++;
      await deps.onSettled?.(result.from, result.change.status);
    }
    return;
  }
  if (!isOpen(payment.status) && !canSettleLate(payment)) return; // settled meanwhile: out of the index
  // `lastCheckedAt` stays the last time the provider answered.
  await deps.recordCheck(
    payment,
    payment.lastCheckedAt ?? now.toISOString(),
    retryAfterError(payment, now, deps.settings),
    true,
  );
}

/** The provider cannot be asked: "still pending" for verify; ending its session is tried, best effort. */
function unanswered(gateway: PaymentGateway): PaymentGateway {
  return {
    enabledProviders: (merchantId, mode) => gateway.enabledProviders(merchantId, mode),
    initialize: (merchantId, mode, provider, input) => gateway.initialize(merchantId, mode, provider, input),
    verify: () =>
      Promise.resolve({
        status: 'pending',
        amount: undefined,
        currency: undefined,
        providerStatus: 'unreachable',
      }),
    expire: (merchantId, mode, payment) =>
      // If the session stays payable at the provider, its payment is settled late (above).
      gateway.expire(merchantId, mode, payment).catch(() => undefined),
  };
}
