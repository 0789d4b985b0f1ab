import type { Actor, Mode, RequestMeta } from './actor.ts';
import { AppError, missing, ProviderFailed, Unprocessable } from './errors.ts';
import { inFieldOrder } from './field-order.ts';
import { newId } from './ids.ts';
import { formatMinor } from './money.ts';
import { claimOrWait, type Payment, type PaymentsStore, requestHash } from './payments.ts';
import type { ProviderRefundStatus, RefundReason, RefundResult } from './provider-adapter.ts';

/**
 * Refunds: money given back through the provider that took it. The invariant
 * that matters — the refunds of a payment that have not failed never add up to
 * more than was captured — is kept by one conditional write on the payment (its
 * `refundableAmount` counter) in the same transaction that creates the refund, so
 * ten concurrent refunds of a third each create exactly three. Completion is
 * asynchronous at every provider: a refund is `pending` until the provider's
 * refund lookup says otherwise (webhooks are hints, the sweeper polls), and a
 * failed refund gives its amount back to the counter in the same transaction as
 * its status change. Ledger postings ride in the same transactions (core/ledger.ts).
 */

export type RefundStatus = ProviderRefundStatus;
export const refundStatuses = [
  'pending',
  'requires_action',
  'succeeded',
  'failed',
] as const satisfies readonly RefundStatus[];
export const refundReasons = [
  'requested_by_customer',
  'duplicate',
  'fraudulent',
  'other',
] as const satisfies readonly RefundReason[];

/** Open refunds still wait on the provider: the sweeper and `POST /verify` ask about them. */
export const isOpenRefund = (status: RefundStatus): boolean =>
  status === 'pending' || status === 'requires_action';

const next: Record<RefundStatus, readonly RefundStatus[]> = {
  pending: ['requires_action', 'succeeded', 'failed'],
  requires_action: ['pending', 'succeeded', 'failed'],
  succeeded: [],
  failed: [],
};

export function canMoveRefund(from: RefundStatus, to: RefundStatus): boolean {
  return next[from].includes(to);
}

export interface Refund {
  id: string;
  merchantId: string;
  mode: Mode;
  paymentId: string;
  provider: Payment['provider'];
  amount: number;
  currency: string;
  status: RefundStatus;
  reason: RefundReason | null;
  metadata: Record<string, string>;
  providerRefundId: string | null;
  /** The provider's own status word, as last read. */
  providerStatus: string | null;
  failureReason: string | null;
  /** What the provider needs when `requires_action`, in words. */
  nextAction: string | null;
  /** Whether the provider acknowledged the create (false until its answer arrived). */
  submitted: boolean;
  /** Until when the create (or a re-submission) holds the right to call the provider (ms since epoch). */
  submitLeaseUntil: number;
  lastCheckedAt: string | null;
  /** When the sweeper asks the provider next; null once final. */
  nextCheckAt: string | null;
  checkCount: number;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export const refundFieldOrder = [
  'id',
  'paymentId',
  'mode',
  'amount',
  'currency',
  'status',
  'reason',
  'providerRefundId',
  'failureReason',
  'nextAction',
  'metadata',
  'createdAt',
  'updatedAt',
] as const;

/** What the API and events show of a refund. */
export function publicRefund(r: Refund) {
  const picked: Record<string, unknown> = {};
  for (const key of refundFieldOrder) picked[key] = r[key];
  return inFieldOrder(picked, refundFieldOrder) as Pick<Refund, (typeof refundFieldOrder)[number]>;
}

/** Per merchant and mode; the defaults are Hyperswitch's. */
export interface RefundPolicy {
  windowDays: number;
  maxRefundsPerPayment: number;
}
export const defaultRefundPolicy: RefundPolicy = { windowDays: 365, maxRefundsPerPayment: 10 };

/** A refund's move, and what it records besides the status. */
export interface RefundChange {
  status: RefundStatus;
  providerRefundId: string | null;
  providerStatus: string | null;
  failureReason: string | null;
  nextAction: string | null;
  checkedAt: string;
  nextCheckAt: string | null;
}

export interface RefundsStore {
  getRefund(merchantId: string, mode: Mode, id: string): Promise<Refund | undefined>;
  refundsOfPayment(merchantId: string, mode: Mode, paymentId: string): Promise<Refund[]>;
  refundPolicy(merchantId: string, mode: Mode): Promise<RefundPolicy>;
  /** Records what a check learnt without a status move (provider id, status word, next check); false if the refund moved meanwhile. */
  saveCheck(refund: Refund, fields: Partial<Refund>): Promise<boolean>;
  /** Takes the right to (re-)submit to the provider until `until`, if nobody holds it; false otherwise. */
  takeSubmitLease(refund: Refund, until: number): Promise<boolean>;
}

export interface RefundGateway {
  refund(payment: Payment, refund: Refund): Promise<RefundResult>;
  lookup(payment: Payment, refund: Refund): Promise<RefundResult | undefined>;
}

export interface RefundDeps {
  readonly payments: PaymentsStore;
  readonly store: RefundsStore;
  readonly gateway: RefundGateway;
  /**
   * One transaction: the payment's refundable counter (conditional: enough left, under the
   * policy's count), the refund, its ledger hold, `refund.created` with its deliveries, and the
   * idempotency record completed. `refused` when the condition on the payment failed.
   */
  readonly reserve: (
    payment: Payment,
    refund: Refund,
    policy: RefundPolicy,
    idempotency: { key: string; status: number; body: unknown },
    audit: { actor: Actor; meta: RequestMeta },
  ) => Promise<'reserved' | 'refused'>;
  /**
   * One transaction: the refund's move (conditional on its version), on `succeeded` the payment's
   * refunded total and status, on `failed` the amount back to the payment's counter, the ledger
   * postings and the event with its deliveries. `stale` when something moved meanwhile.
   */
  readonly transition: (refund: Refund, change: RefundChange) => Promise<'recorded' | 'stale'>;
  readonly now?: () => Date;
  /** Seconds between checks of an open refund; the last repeats (read when needed: configuration). */
  readonly schedule?: () => readonly number[];
  /** How long the create holds the provider call before a sync may re-submit (ms): longer than the create can take. */
  readonly leaseMs?: () => number;
  readonly idempotencyWaitMs?: number;
}

const clock = (deps: RefundDeps) => (deps.now ?? (() => new Date()))();
const defaultLeaseMs = 60_000;

/** When an open refund is checked next: the schedule's step for its check count, from now. */
export function nextRefundCheck(checkCount: number, now: Date, schedule: readonly number[]): string {
  const step = schedule[Math.min(checkCount, schedule.length - 1)] ?? 60;
  return new Date(now.getTime() + step * 1000).toISOString();
}

export interface CreateRefundInput {
  amount?: number | undefined;
  reason?: RefundReason | undefined;
  metadata?: Record<string, string> | undefined;
}

/** What is left to refund on a payment: captured minus every refund that has not failed. */
export function refundable(payment: Payment): number {
  return payment.refundableAmount ?? payment.capturedAmount ?? payment.amount;
}

/**
 * `POST /v1/payments/{id}/refunds`. Claims the idempotency key, checks the payment
 * and the policy, reserves the amount with the refund in one conditional
 * transaction, then asks the provider (idempotent on our refund id). A provider
 * timeout leaves the refund pending: the sync looks it up before any new call.
 */
export async function createRefund(
  deps: RefundDeps,
  caller: { merchantId: string; mode: Mode; actor: Actor },
  paymentId: string,
  input: CreateRefundInput,
  idempotencyKey: string,
  meta: RequestMeta,
): Promise<{ status: number; body: unknown; replayed?: true }> {
  const payment = await deps.payments.getPayment(caller.merchantId, caller.mode, paymentId);
  if (!payment) throw missing('payment', paymentId, caller.mode);
  const scopedKey = `refund:${paymentId}:${idempotencyKey}`;
  const refundId = newId('re');
  const claim = await claimOrWait(
    {
      store: deps.payments,
      ...(deps.idempotencyWaitMs === undefined ? {} : { idempotencyWaitMs: deps.idempotencyWaitMs }),
    },
    caller,
    scopedKey,
    requestHash({ paymentId, ...input }),
    refundId,
  );
  if (claim.kind === 'replay') {
    const id = (claim.body as { id?: string } | undefined)?.id ?? '';
    const current = await deps.store.getRefund(caller.merchantId, caller.mode, id);
    return { status: claim.status, body: current ? publicRefund(current) : claim.body, replayed: true };
  }
  try {
    const refund = await reserveRefund(deps, caller, payment, claim.paymentId, input, scopedKey, meta);
    const submitted = await submit(deps, payment, refund);
    return { status: 201, body: publicRefund(submitted) };
  } catch (error) {
    if (error instanceof RefundReserved) return { status: 201, body: publicRefund(error.refund) };
    await deps.payments.releaseIdempotency(caller.merchantId, caller.mode, scopedKey);
    throw error;
  }
}

/** Thrown past the release of the idempotency claim once the refund exists (never released then). */
class RefundReserved extends Error {
  readonly refund: Refund;
  constructor(refund: Refund) {
    super('refund reserved');
    this.refund = refund;
  }
}

async function reserveRefund(
  deps: RefundDeps,
  caller: { merchantId: string; mode: Mode; actor: Actor },
  payment: Payment,
  refundId: string,
  input: CreateRefundInput,
  scopedKey: string,
  meta: RequestMeta,
): Promise<Refund> {
  const now = clock(deps);
  assertRefundable(payment);
  const policy = await deps.store.refundPolicy(caller.merchantId, caller.mode);
  if (now.getTime() - Date.parse(payment.createdAt) > policy.windowDays * 86_400_000) {
    throw new Unprocessable(
      'refund_window_passed',
      `This payment is older than ${policy.windowDays} days, the refund window for this account.`,
      'id',
    );
  }
  if ((payment.refundCount ?? 0) >= policy.maxRefundsPerPayment) throw tooMany(policy);
  const left = refundable(payment);
  const amount = input.amount ?? left;
  if (input.amount === undefined && left <= 0) {
    throw new Unprocessable(
      'nothing_to_refund',
      'Everything captured on this payment is refunded or being refunded already.',
      'amount',
    );
  }
  if (amount > left) throw exceeds(amount, payment, left);
  const at = now.toISOString();
  const leaseMs = deps.leaseMs?.() ?? defaultLeaseMs;
  const refund: Refund = {
    id: refundId,
    merchantId: caller.merchantId,
    mode: caller.mode,
    paymentId: payment.id,
    provider: payment.provider,
    amount,
    currency: payment.currency,
    status: 'pending',
    reason: input.reason ?? null,
    metadata: input.metadata ?? {},
    providerRefundId: null,
    providerStatus: null,
    failureReason: null,
    nextAction: null,
    submitted: false,
    submitLeaseUntil: now.getTime() + leaseMs,
    lastCheckedAt: null,
    // If the create dies before the provider answers, the sweeper takes over once the lease is over.
    nextCheckAt: new Date(now.getTime() + leaseMs + 1000).toISOString(),
    checkCount: 0,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  const outcome = await deps.reserve(
    payment,
    refund,
    policy,
    { key: scopedKey, status: 201, body: { id: refund.id } },
    { actor: caller.actor, meta },
  );
  if (outcome === 'reserved') return refund;
  // The condition on the payment failed: say why, from the payment as it is now.
  const latest = (await deps.payments.getPayment(caller.merchantId, caller.mode, payment.id)) ?? payment;
  assertRefundable(latest);
  if ((latest.refundCount ?? 0) >= policy.maxRefundsPerPayment) throw tooMany(policy);
  throw exceeds(amount, latest, refundable(latest));
}

function assertRefundable(payment: Payment): void {
  if (payment.status !== 'succeeded' && payment.status !== 'partially_refunded') {
    throw new Unprocessable(
      'payment_not_refundable',
      `Only succeeded payments can be refunded; this payment is ${payment.status}.`,
      'id',
    );
  }
}

const tooMany = (policy: RefundPolicy) =>
  new Unprocessable(
    'too_many_refunds',
    `A payment can have at most ${policy.maxRefundsPerPayment} refunds on this account.`,
    'id',
  );

function exceeds(amount: number, payment: Payment, left: number): Unprocessable {
  return new Unprocessable(
    'amount_exceeds_refundable',
    `\`amount\` ${formatMinor(amount, payment.currency)} is more than is left to refund on this payment: ${formatMinor(Math.max(left, 0), payment.currency)} (${Math.max(left, 0)} in minor units).`,
    'amount',
  );
}

/** Calls the provider for a reserved refund and records what it said. Never throws for the provider. */
async function submit(deps: RefundDeps, payment: Payment, refund: Refund): Promise<Refund> {
  let result: RefundResult;
  try {
    result = await deps.gateway.refund(payment, refund);
  } catch (error) {
    if (error instanceof ProviderFailed && error.retryable) {
      // Outcome unknown (timeout, 5xx): the sync looks the refund up before any new call.
      return refund;
    }
    if (error instanceof AppError) {
      // The provider (or our adapter, e.g. no charge id) refused it: the refund fails, the amount is given back.
      return (
        (await apply(deps, refund, {
          status: 'failed',
          providerRefundId: refund.providerRefundId,
          providerStatus: refund.providerStatus,
          failureReason: error.message,
          nextAction: null,
        })) ?? refund
      );
    }
    throw new RefundReserved(refund);
  }
  return (await apply(deps, refund, { ...result, submitted: true })) ?? refund;
}

type Observation = {
  status: RefundStatus;
  providerRefundId: string | null | undefined;
  providerStatus: string | null | undefined;
  failureReason?: string | null | undefined;
  nextAction?: string | null | undefined;
  submitted?: boolean;
};

/** Records a provider observation: a move (with its event) or only what was learnt. Returns the refund as stored now. */
async function apply(deps: RefundDeps, refund: Refund, seen: Observation): Promise<Refund | undefined> {
  let current: Refund | undefined = refund;
  for (let round = 0; round < 3 && current; round++) {
    const now = clock(deps);
    const schedule = deps.schedule?.() ?? [60, 300, 900, 3600, 21600];
    const moves = seen.status !== current.status && canMoveRefund(current.status, seen.status);
    const providerRefundId = seen.providerRefundId ?? current.providerRefundId;
    if (moves) {
      const change: RefundChange = {
        status: seen.status,
        providerRefundId,
        providerStatus: seen.providerStatus ?? current.providerStatus,
        failureReason:
          seen.status === 'failed' ? (seen.failureReason ?? seen.providerStatus ?? 'failed') : null,
        nextAction:
          seen.status === 'requires_action'
            ? (seen.nextAction ?? 'The provider needs action on this refund.')
            : null,
        checkedAt: now.toISOString(),
        nextCheckAt: isOpenRefund(seen.status) ? nextRefundCheck(current.checkCount, now, schedule) : null,
      };
      const outcome = await deps.transition(current, change);
      if (outcome === 'recorded') {
        return {
          ...current,
          ...change,
          lastCheckedAt: change.checkedAt,
          submitted: current.submitted || seen.submitted === true,
          version: current.version + 1,
          updatedAt: change.checkedAt,
        };
      }
    } else {
      const fields: Partial<Refund> = {
        providerRefundId,
        providerStatus: seen.providerStatus ?? current.providerStatus,
        submitted: current.submitted || seen.submitted === true || providerRefundId !== null,
        lastCheckedAt: now.toISOString(),
        checkCount: current.checkCount + 1,
        nextCheckAt: isOpenRefund(current.status) ? nextRefundCheck(current.checkCount, now, schedule) : null,
      };
      if (await deps.store.saveCheck(current, fields))
        return { ...current, ...fields, version: current.version + 1 };
    }
    current = await deps.store.getRefund(refund.merchantId, refund.mode, refund.id);
  }
  return current;
}

export type RefundSync = 'moved' | 'checked' | 'final' | 'missing' | 'leased';

/**
 * Asks the provider about one refund and records the answer: the sweeper's
 * refund schedule, refund webhooks (hints) and `POST /v1/payments/{id}/verify`
 * come here. A refund whose create never got an answer is looked up by our id;
 * if the provider has none, it is submitted again under a lease (never twice at
 * once), idempotent on our refund id where the provider allows it.
 */
export async function syncRefund(
  deps: RefundDeps,
  merchantId: string,
  mode: Mode,
  refundId: string,
): Promise<RefundSync> {
  const refund = await deps.store.getRefund(merchantId, mode, refundId);
  if (!refund) return 'missing';
  if (!isOpenRefund(refund.status)) return 'final';
  const payment = await deps.payments.getPayment(merchantId, mode, refund.paymentId);
  if (!payment) return 'missing';
  const now = clock(deps);
  if (refund.providerRefundId === null && !refund.submitted && refund.submitLeaseUntil > now.getTime()) {
    return 'leased'; // the create is still talking to the provider
  }
  const found = await deps.gateway.lookup(payment, refund);
  if (!found) {
    if (refund.providerRefundId !== null || refund.submitted) {
      const after = await apply(deps, refund, {
        status: refund.status,
        providerRefundId: null,
        providerStatus: refund.providerStatus,
      });
      return after && after.status !== refund.status ? 'moved' : 'checked';
    }
    const until = now.getTime() + (deps.leaseMs?.() ?? defaultLeaseMs);
    if (!(await deps.store.takeSubmitLease(refund, until))) return 'leased';
    const leased = { ...refund, submitLeaseUntil: until, version: refund.version + 1 };
    const after = await submit(deps, payment, leased);
    return after.status !== refund.status ? 'moved' : 'checked';
  }
  const after = await apply(deps, refund, { ...found, submitted: true });
  return after && after.status !== refund.status ? 'moved' : 'checked';
}

/** Every open refund of a payment, synchronised (`POST /verify`, refund webhooks). */
export async function syncOpenRefunds(
  deps: RefundDeps,
  payment: Pick<Payment, 'merchantId' | 'mode' | 'id'>,
): Promise<number> {
  const open = (await deps.store.refundsOfPayment(payment.merchantId, payment.mode, payment.id)).filter((r) =>
    isOpenRefund(r.status),
  );
  let moved = 0;
  for (const r of open)
    if ((await syncRefund(deps, payment.merchantId, payment.mode, r.id)) === 'moved') moved++;
  return moved;
}

/** The payment's status once `amountRefunded` of `captured` has been refunded. */
export function refundedStatus(captured: number, amountRefunded: number): 'partially_refunded' | 'refunded' {
  return amountRefunded >= captured ? 'refunded' : 'partially_refunded';
}
