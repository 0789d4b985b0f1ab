import { createHash } from 'node:crypto';
import type { Actor, Mode, RequestMeta } from './actor.ts';
import { Conflict, NotFound, ProviderFailed, Unprocessable, ValidationFailed } from './errors.ts';
import { inFieldOrder } from './field-order.ts';
import { newId } from './ids.ts';
import { assertAmount, assertWithinMaximum, isCurrency } from './money.ts';
import type { ProviderName, VerifyResult } from './provider-adapter.ts';

/**
 * Payments: creation with idempotency, routing with failover, and the
 * forward-only state machine. Data lives behind `PaymentsStore`; providers
 * behind `PaymentGateway` (both implemented outside core).
 */

/**
 * The statuses, in one place: the type, the API's enum and filters (edge/responses.ts,
 * api/list-payments.ts) and the state machine below (a `Record<PaymentStatus, …>`, so a
 * new status is a type error until its moves are written) derive from it.
 */
export const paymentStatuses = [
  'pending',
  'processing',
  'succeeded',
  'failed',
  'cancelled',
  'expired',
  'requires_review',
  'partially_refunded',
  'refunded',
] as const;

export type PaymentStatus = (typeof paymentStatuses)[number];

/** Open payments: still waiting for the provider; the sweeper checks them. */
export const isOpen = (status: PaymentStatus): boolean => status === 'pending' || status === 'processing';

const next: Record<PaymentStatus, readonly PaymentStatus[]> = {
  pending: ['processing', 'succeeded', 'failed', 'cancelled', 'expired', 'requires_review'],
  processing: ['succeeded', 'failed', 'cancelled', 'expired', 'requires_review'],
  // A person decides (out of scope for automation): nothing moves it automatically.
  requires_review: [],
  succeeded: ['partially_refunded', 'refunded'],
  partially_refunded: ['refunded'],
  failed: [],
  cancelled: [],
  expired: [],
  refunded: [],
};

/** True when `to` is a forward move from `from` (ARCHITECTURE.md, Payment states). */
export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return next[from].includes(to);
}

/**
 * The one exception to forward-only moves, so late money is never lost: a
 * payment that `expired` (our own timeout: PayBridge fails nothing by timeout,
 * expiry is how it gives up) and then proves paid at the provider becomes
 * `succeeded` with `lateSettlement`.
 */
export function canSettleLate(payment: Pick<Payment, 'status'>): boolean {
  return payment.status === 'expired';
}

/** What moved a payment to its final state (provenance). */
export type SettledBy = 'webhook' | 'verify' | 'reconciliation';

/** Expected versus reported money when the provider disagrees with what we initiated. */
export interface AmountMismatch {
  expected: { amount: number; currency: string };
  reported: { amount: number | null; currency: string | null };
}

export interface Attempt {
  provider: ProviderName;
  /** Our `ref_…` sent to the provider for this attempt. */
  reference: string;
  outcome: 'initialized' | 'failed';
  error?: { code: string; message: string };
  at: string;
}

export interface Customer {
  email: string;
  name?: string | undefined;
  phone?: string | undefined;
}

export interface Payment {
  id: string;
  merchantId: string;
  mode: Mode;
  status: PaymentStatus;
  amount: number;
  currency: string;
  provider: ProviderName;
  providerReference: string;
  /** Our reference for the attempt that holds the checkout (`ref_…`). */
  attemptReference: string;
  checkoutUrl: string;
  /** The merchant's own reference, if given. */
  reference: string | null;
  customer: Customer;
  description: string | null;
  redirectUrl: string | null;
  metadata: Record<string, string>;
  attempts: Attempt[];
  /** Why the payment failed or needs review (the provider's decline reason, `amount_mismatch`, …). */
  failureReason: string | null;
  /** When our own expiry closes the payment if it is still unpaid. */
  expiresAt: string;
  /** Whether a payment above the amount (same currency) counts as paid; reported in `amountMismatch` either way. */
  acceptOverpayment: boolean;
  /** The last time we asked the provider about it. */
  lastCheckedAt: string | null;
  /** When the sweeper asks next; null once nothing is left to check. */
  nextCheckAt: string | null;
  /** How many sweeper checks ran (drives the back-off). */
  checkCount: number;
  settledBy: SettledBy | null;
  /** True when the payment was paid after we had closed it (`expired`). */
  lateSettlement: boolean;
  /** Set when the provider reported another amount or currency. */
  amountMismatch: AmountMismatch | null;
  createdAt: string;
  updatedAt: string;
  /** Optimistic-concurrency counter for status transitions. */
  version: number;
  // Set when the payment succeeds (absent before): what refunds and the ledger need.
  /** The provider's id for the captured charge, as its refund API needs it (VerifyResult.chargeId). */
  chargeId?: string | null;
  /** The provider's fee in minor units, where it reports one. */
  fee?: number | null;
  /** What was captured, in minor units (the amount, or more with `acceptOverpayment`). */
  capturedAmount?: number;
  /** Captured minus every refund that has not failed: the conditional counter refunds reserve from. */
  refundableAmount?: number;
  /** Refunds created (failed ones given back), against the policy's maximum. */
  refundCount?: number;
  /** The sum of succeeded refunds. */
  amountRefunded?: number;
  /** The payment link (`plink_…`) the customer paid through, or null (absent on payments made before links). */
  paymentLinkId?: string | null;
}

/** What the API returns: everything but internal bookkeeping. */
export function publicPayment(p: Payment) {
  const {
    merchantId: _m,
    version: _v,
    attemptReference: _a,
    checkCount: _c,
    chargeId: _ch,
    fee: _f,
    capturedAmount: _ca,
    refundableAmount: _ra,
    refundCount: _rc,
    amountRefunded: _ar,
    ...rest
  } = p;
  return inFieldOrder(rest, paymentFieldOrder);
}

/** The payment's answer fields in the order of its answer schema (a unit test keeps the two equal). */
export const paymentFieldOrder = [
  'id',
  'mode',
  'status',
  'amount',
  'currency',
  'provider',
  'providerReference',
  'checkoutUrl',
  'reference',
  'customer',
  'description',
  'redirectUrl',
  'metadata',
  'paymentLinkId',
  'attempts',
  'failureReason',
  'expiresAt',
  'acceptOverpayment',
  'lastCheckedAt',
  'nextCheckAt',
  'settledBy',
  'lateSettlement',
  'amountMismatch',
  'createdAt',
  'updatedAt',
] as const;

export interface CreatePaymentInput {
  amount: number;
  currency: string;
  provider?: ProviderName | undefined;
  customer: Customer;
  reference?: string | undefined;
  description?: string | undefined;
  redirectUrl?: string | undefined;
  metadata?: Record<string, string> | undefined;
  /** Lifetime of the checkout; default 24 h, bounded by `expiryBounds`. */
  expiresInSeconds?: number | undefined;
  acceptOverpayment?: boolean | undefined;
  /** Set by the hosted payment page (core/payment-links.ts), never by the API's body. */
  paymentLinkId?: string | undefined;
}

/** Default payment lifetime. */
export const defaultExpiresInSeconds = 24 * 3600;

/** A merchant's provider as routing sees it. */
export interface RoutableProvider {
  provider: ProviderName;
  currencies: readonly string[];
}

/**
 * Preference when the merchant names no provider, as a rank per provider (lower
 * first): local African processors first for their home currencies (lower fees,
 * local methods), Stripe for the rest; Chapa first for ETB, where it is the
 * local rail. A `Record` over every `ProviderName`, so a fifth provider does not
 * compile until it is ranked in both.
 */
const rank: Readonly<Record<ProviderName, number>> = { paystack: 0, flutterwave: 1, stripe: 2, chapa: 3 };
const etbRank: Readonly<Record<ProviderName, number>> = { chapa: 0, stripe: 1, flutterwave: 2, paystack: 3 };

const rankFor = (currency: string): Readonly<Record<ProviderName, number>> =>
  currency === 'ETB' ? etbRank : rank;
const inOrder = (ranks: Readonly<Record<ProviderName, number>>): readonly ProviderName[] =>
  (Object.keys(ranks) as ProviderName[]).sort((a, b) => ranks[a] - ranks[b]);

export const preference: readonly ProviderName[] = inOrder(rank);
const etbPreference = inOrder(etbRank);
/** Every provider, most preferred first, for a payment in `currency`. */
export const preferenceFor = (currency: string): readonly ProviderName[] =>
  currency === 'ETB' ? etbPreference : preference;
/** Sorts provider names by the preference for `currency` (a comparator for `Array.sort`). */
export const byPreference =
  (currency: string) =>
  (a: ProviderName, b: ProviderName): number =>
    rankFor(currency)[a] - rankFor(currency)[b];

/** The providers to try, in order; refuses (422) before any provider call when none can take the currency. */
export function routeFor(
  input: Pick<CreatePaymentInput, 'currency' | 'provider'>,
  enabled: readonly RoutableProvider[],
): ProviderName[] {
  const able = enabled.filter((p) => p.currencies.includes(input.currency));
  if (input.provider) {
    const chosen = enabled.find((p) => p.provider === input.provider);
    if (!chosen) {
      throw new Unprocessable(
        'provider_not_configured',
        `${input.provider} is not configured and enabled in this mode.`,
        'provider',
      );
    }
    if (!chosen.currencies.includes(input.currency)) {
      throw new Unprocessable(
        'currency_not_supported',
        `${input.provider} does not take ${input.currency} for this merchant.`,
        'currency',
      );
    }
    return [input.provider];
  }
  const names = able.map((p) => p.provider).sort(byPreference(input.currency));
  if (names.length === 0) {
    throw new Unprocessable(
      'currency_not_supported',
      `No enabled provider takes ${input.currency} in this mode. Configure one with PUT /v1/providers/{provider}.`,
      'currency',
    );
  }
  return names;
}

/** A stable hash of a request body: same key + different body is a 409. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonical(body)).digest('hex');
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export type IdempotencyClaim =
  | { kind: 'claimed'; paymentId: string }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

export interface PaymentsStore {
  /** Claims an idempotency key for 24 h, or reports what holds it. */
  claimIdempotency(
    merchantId: string,
    mode: Mode,
    key: string,
    hash: string,
    paymentId: string,
    now: Date,
  ): Promise<IdempotencyClaim>;
  /** Lets a failed creation be retried with the same key. */
  releaseIdempotency(merchantId: string, mode: Mode, key: string): Promise<void>;
  /** Writes payment, attempt index and (if any) completed idempotency record in one transaction. */
  insertPayment(
    payment: Payment,
    idempotency: { key: string; status: number; body: unknown } | undefined,
    audit: { actor: Actor; meta: RequestMeta },
  ): Promise<void>;
  getPayment(merchantId: string, mode: Mode, paymentId: string): Promise<Payment | undefined>;
  /** The merchant's own per-currency maximum amounts in this mode (minor units); empty = the defaults. */
  amountLimits(merchantId: string, mode: Mode): Promise<Partial<Record<string, number>>>;
}

export interface PaymentGateway {
  /**
   * The merchant's enabled providers in the mode. An adapter may answer from a short cache; with
   * `fresh` it reads the configurations again (createPayment asks so before refusing a payment).
   */
  enabledProviders(
    merchantId: string,
    mode: Mode,
    options?: { fresh?: boolean },
  ): Promise<RoutableProvider[]>;
  initialize(
    merchantId: string,
    mode: Mode,
    provider: ProviderName,
    input: { reference: string; expiresAt: Date } & Omit<
      CreatePaymentInput,
      'provider' | 'reference' | 'expiresInSeconds' | 'acceptOverpayment'
    >,
  ): Promise<{ providerReference: string; checkoutUrl: string }>;
  verify(merchantId: string, mode: Mode, payment: Payment): Promise<VerifyResult>;
  /** Ends the provider's checkout session where the provider has an API for it (Stripe); else nothing. */
  expire(merchantId: string, mode: Mode, payment: Payment): Promise<void>;
}

/** A status move and what it records besides the status. */
export interface PaymentChange {
  status: PaymentStatus;
  failureReason: string | null;
  settledBy: SettledBy;
  lateSettlement: boolean;
  amountMismatch: AmountMismatch | null;
  checkedAt: string;
  /** The sweeper's next check after this move (an expired payment is watched for late money); null = none. */
  nextCheckAt: string | null;
  /** Why, for the audit log, when the move is an exception worth explaining (late settlement). */
  auditReason?: string;
  /** On a move to `succeeded`: what was captured, for refunds and the ledger. */
  capture?: { amount: number; chargeId: string | null; fee: number | null };
}

export type TransitionOutcome = 'recorded' | 'duplicate' | 'stale';

/** The provider webhook that caused a move (recorded with it, de-duplicated). */
export interface ProviderEventRef {
  provider: string;
  eventId: string;
  type: string;
}

export interface PaymentDeps {
  readonly store: PaymentsStore;
  readonly gateway: PaymentGateway;
  /**
   * Moves a payment forward if it is still at `payment.version`, recording the
   * merchant event and its deliveries with it (all or nothing); false when the
   * payment moved meanwhile.
   */
  readonly transition: (
    payment: Payment,
    change: PaymentChange,
    providerEvent?: ProviderEventRef,
  ) => Promise<TransitionOutcome>;
  readonly now?: () => Date;
  /** Bounds on `expiresInSeconds` (the cloud's lower bound is Stripe's 30 minutes). */
  readonly expiryBounds?: () => { min: number; max: number };
  /** The sweeper's next check for a payment (core/reconciliation.ts), given its state. */
  readonly nextCheck?: (payment: Payment, now: Date) => string | null;
  /** How long a duplicate request waits for the first one to finish before a 409. */
  readonly idempotencyWaitMs?: number;
  /** Structured log lines the operator's metric filters read (payment created, provider failover). */
  readonly log?: (level: 'info' | 'warn', message: string, fields: Record<string, unknown>) => void;
  /**
   * Told of each provider verify call the settle path makes and what came of it: the
   * payment's timeline (core/verify-activity.ts). Best effort: a rejection is logged.
   */
  readonly verified?: (payment: Payment, via: SettledBy, result: VerifyOutcome) => Promise<void>;
}

/** What a verify call came to: the payment's status after it, or our error code when it failed. */
export type VerifyOutcome = { status: PaymentStatus } | { errorCode: string };

const clock = (deps: PaymentDeps) => (deps.now ?? (() => new Date()))();

export interface Caller {
  merchantId: string;
  mode: Mode;
  actor: Actor;
}

/**
 * Creates a payment: claims the idempotency key, routes by currency, initialises
 * with the first provider that answers (falling back on timeouts, network errors
 * and 5xx), and writes payment + attempt index + idempotency record in one
 * transaction. Concurrent duplicates wait for the first or get a 409; they
 * never start a second checkout.
 */
export async function createPayment(
  deps: PaymentDeps,
  caller: Caller,
  input: CreatePaymentInput,
  idempotencyKey: string,
  meta: RequestMeta,
): Promise<{ status: number; body: unknown; replayed?: true }> {
  if (!isCurrency(input.currency)) {
    throw new ValidationFailed(
      'invalid_field',
      `\`currency\` ${input.currency} is not a supported ISO 4217 code.`,
      'currency',
    );
  }
  assertAmount(input.amount, input.currency);
  // Before any claim or provider call: an oversized amount never reaches a checkout.
  assertWithinMaximum(
    input.amount,
    input.currency,
    await deps.store.amountLimits(caller.merchantId, caller.mode),
  );
  const bounds = deps.expiryBounds?.() ?? { min: 1800, max: defaultExpiresInSeconds };
  const lifetime = input.expiresInSeconds ?? defaultExpiresInSeconds;
  if (!Number.isInteger(lifetime) || lifetime < bounds.min || lifetime > bounds.max) {
    throw new ValidationFailed(
      'invalid_field',
      `\`expiresInSeconds\` must be an integer from ${bounds.min} to ${bounds.max}.`,
      'expiresInSeconds',
    );
  }
  const hash = requestHash(input);
  let paymentId = newId('pay');
  const claim = await claimOrWait(deps, caller, idempotencyKey, hash, paymentId);
  if (claim.kind === 'replay') return { status: claim.status, body: claim.body, replayed: true };
  paymentId = claim.paymentId;
  try {
    const route = await routeOnFreshRefusal(deps, caller, input);
    const attempts: Attempt[] = [];
    for (const provider of route) {
      const reference = newId('ref');
      const expiresAt = new Date(clock(deps).getTime() + lifetime * 1000);
      try {
        const out = await deps.gateway.initialize(caller.merchantId, caller.mode, provider, {
          reference,
          expiresAt,
          amount: input.amount,
          currency: input.currency,
          customer: input.customer,
          description: input.description,
          redirectUrl: input.redirectUrl,
          metadata: { ...input.metadata, paybridge_payment_id: paymentId },
        });
        attempts.push({ provider, reference, outcome: 'initialized', at: clock(deps).toISOString() });
        const at = clock(deps).toISOString();
        const payment: Payment = {
          id: paymentId,
          merchantId: caller.merchantId,
          mode: caller.mode,
          status: 'pending',
          amount: input.amount,
          currency: input.currency,
          provider,
          providerReference: out.providerReference,
          attemptReference: reference,
          checkoutUrl: out.checkoutUrl,
          reference: input.reference ?? null,
          customer: input.customer,
          description: input.description ?? null,
          redirectUrl: input.redirectUrl ?? null,
          metadata: input.metadata ?? {},
          paymentLinkId: input.paymentLinkId ?? null,
          attempts,
          failureReason: null,
          expiresAt: expiresAt.toISOString(),
          acceptOverpayment: input.acceptOverpayment ?? false,
          lastCheckedAt: null,
          nextCheckAt: null,
          checkCount: 0,
          settledBy: null,
          lateSettlement: false,
          amountMismatch: null,
          createdAt: at,
          updatedAt: at,
          version: 1,
        };
        payment.nextCheckAt = deps.nextCheck?.(payment, clock(deps)) ?? null;
        const body = publicPayment(payment);
        await deps.store.insertPayment(
          payment,
          { key: idempotencyKey, status: 201, body },
          { actor: caller.actor, meta },
        );
        // Metric filters (lib/observability.ts) count these per provider and mode.
        deps.log?.('info', 'payment created', {
          paymentId,
          provider,
          mode: caller.mode,
          failovers: attempts.length - 1,
        });
        return { status: 201, body };
      } catch (error) {
        if (!(error instanceof ProviderFailed)) throw error;
        const next = route[route.indexOf(provider) + 1];
        if (error.retryable && next) {
          deps.log?.('warn', 'provider failover', {
            provider,
            to: next,
            mode: caller.mode,
            errorCode: error.code,
          });
        }
        attempts.push({
          provider,
          reference,
          outcome: 'failed',
          error: { code: error.code, message: error.message },
          at: clock(deps).toISOString(),
        });
        if (!error.retryable) throw providerError(attempts);
      }
    }
    throw providerError(attempts);
  } catch (error) {
    await deps.store.releaseIdempotency(caller.merchantId, caller.mode, idempotencyKey);
    throw error;
  }
}

/** Refusals a configuration made a moment ago could lift. */
const refusedForConfiguration = new Set(['provider_not_configured', 'currency_not_supported']);

/**
 * Routes from the gateway's view of the merchant's providers, which may come from a short cache; a refusal
 * that a just-made configuration could lift is decided again on a fresh read. A cache can thus delay a
 * disabled provider's exit by a few seconds, never a new provider's arrival.
 */
async function routeOnFreshRefusal(
  deps: PaymentDeps,
  caller: Caller,
  input: CreatePaymentInput,
): Promise<readonly ProviderName[]> {
  try {
    return routeFor(input, await deps.gateway.enabledProviders(caller.merchantId, caller.mode));
  } catch (error) {
    if (!(error instanceof Unprocessable) || !refusedForConfiguration.has(error.code)) throw error;
    return routeFor(
      input,
      await deps.gateway.enabledProviders(caller.merchantId, caller.mode, { fresh: true }),
    );
  }
}

function providerError(attempts: Attempt[]): ProviderFailed {
  const summary = attempts.map((a) => `${a.provider}: ${a.error?.message ?? 'failed'}`).join('; ');
  return new ProviderFailed('provider_error', `No provider could start this payment (${summary}).`, false);
}

/** Claims an idempotency key, waiting a little for a concurrent holder; refunds use it too. */
export async function claimOrWait(
  deps: Pick<PaymentDeps, 'store' | 'idempotencyWaitMs'>,
  caller: Pick<Caller, 'merchantId' | 'mode'>,
  key: string,
  hash: string,
  paymentId: string,
): Promise<Exclude<IdempotencyClaim, { kind: 'mismatch' | 'in_progress' }>> {
  const deadline = Date.now() + (deps.idempotencyWaitMs ?? 8000);
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const claim = await deps.store.claimIdempotency(
      caller.merchantId,
      caller.mode,
      key,
      hash,
      paymentId,
      new Date(),
    );
    if (claim.kind === 'mismatch') {
      throw new Conflict(
        'idempotency_key_reused',
        'This Idempotency-Key was used with a different request body.',
        'Idempotency-Key',
      );
    }
    if (claim.kind !== 'in_progress') return claim;
    if (Date.now() + delay > deadline) {
      throw new Conflict(
        'idempotency_in_progress',
        'A request with this Idempotency-Key is still being processed. Retry shortly.',
        'Idempotency-Key',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** What a provider's verdict means for a payment. */
export interface Decision {
  status: PaymentStatus;
  failureReason: string | null;
  amountMismatch: AmountMismatch | null;
}

/**
 * Maps a provider's verdict onto our states. Money that differs from what we
 * initiated (lower, higher, another currency) never makes the payment
 * `succeeded`: it goes to `requires_review` (`failureReason: amount_mismatch`),
 * except an overpayment in the right currency when the merchant opted in.
 */
export function reconcile(
  payment: Pick<Payment, 'amount' | 'currency'> & Partial<Pick<Payment, 'acceptOverpayment'>>,
  verdict: VerifyResult,
): Decision {
  if (verdict.status === 'succeeded') {
    const sameCurrency = verdict.currency === payment.currency;
    if (sameCurrency && verdict.amount === payment.amount) {
      return { status: 'succeeded', failureReason: null, amountMismatch: null };
    }
    const amountMismatch: AmountMismatch = {
      expected: { amount: payment.amount, currency: payment.currency },
      reported: { amount: verdict.amount ?? null, currency: verdict.currency ?? null },
    };
    const overpaid = sameCurrency && verdict.amount !== undefined && verdict.amount > payment.amount;
    if (overpaid && payment.acceptOverpayment === true) {
      return { status: 'succeeded', failureReason: null, amountMismatch };
    }
    return { status: 'requires_review', failureReason: 'amount_mismatch', amountMismatch };
  }
  if (verdict.status === 'failed') {
    return {
      status: 'failed',
      failureReason: verdict.failureReason ?? verdict.providerStatus,
      amountMismatch: null,
    };
  }
  return { status: verdict.status, failureReason: null, amountMismatch: null };
}

export interface SettleRequest {
  /** Who is asking: recorded as `settledBy` when the payment moves. */
  via: SettledBy;
  /** The provider webhook that triggered this (de-duplicated in the same transaction). */
  providerEvent?: ProviderEventRef;
  /** The sweeper: past `expiresAt`, a payment the provider still calls unpaid is expired (and its session ended). */
  expireIfDue?: boolean;
  /** Runs between the provider's verdict and the write (fault injection in tests). */
  afterVerdict?: () => void;
}

export type Settlement =
  | { outcome: 'moved'; change: PaymentChange; from: Payment }
  | { outcome: 'unchanged'; payment: Payment; verdict: VerifyResult | undefined; reason: string }
  | { outcome: 'duplicate' }
  | { outcome: 'missing' }
  | { outcome: 'stale'; payment: Payment | undefined };

/**
 * THE settle path: the provider webhook worker, `POST /v1/payments/{id}/verify`
 * and the reconciliation sweeper all come here. Reads the payment, asks the
 * provider (never trusting a webhook's claim), decides the move (forward only,
 * mismatches to review, late money settled late, expiry when the sweeper says
 * it is due) and records it through `deps.transition` — one conditional
 * transaction, so whichever caller gets there first produces the one event and
 * its deliveries, and the others find nothing left to do.
 */
export async function settlePayment(
  deps: PaymentDeps,
  merchantId: string,
  mode: Mode,
  paymentId: string,
  request: SettleRequest,
): Promise<Settlement> {
  let payment: Payment | undefined;
  for (let round = 0; round < 3; round++) {
    payment = await deps.store.getPayment(merchantId, mode, paymentId);
    if (!payment) return { outcome: 'missing' };
    const late = canSettleLate(payment);
    if (!isOpen(payment.status) && !late) {
      return { outcome: 'unchanged', payment, verdict: undefined, reason: `already_${payment.status}` };
    }
    let verdict: VerifyResult;
    try {
      verdict = await deps.gateway.verify(merchantId, mode, payment);
    } catch (error) {
      await recordVerify(deps, request, payment, {
        errorCode: error instanceof ProviderFailed ? error.code : 'internal_error',
      });
      throw error;
    }
    request.afterVerdict?.();
    const now = clock(deps);
    let decision = reconcile(payment, verdict);
    if (
      request.expireIfDue === true &&
      isOpen(payment.status) &&
      isOpen(decision.status) &&
      now.getTime() >= Date.parse(payment.expiresAt)
    ) {
      // Still unpaid at expiry: close the provider's checkout where it can be closed, then ours.
      await deps.gateway.expire(merchantId, mode, payment);
      decision = { status: 'expired', failureReason: null, amountMismatch: null };
    }
    // Money that arrived after we gave up: settled late, or (wrong amount) put to review; never dropped.
    const lateMove = late && (decision.status === 'succeeded' || decision.status === 'requires_review');
    if (
      !lateMove &&
      (decision.status === payment.status || !canTransition(payment.status, decision.status))
    ) {
      await recordVerify(deps, request, payment, { status: payment.status });
      return {
        outcome: 'unchanged',
        payment,
        verdict,
        reason:
          decision.status === payment.status
            ? 'no_change'
            : `would_move_${payment.status}_to_${decision.status}`,
      };
    }
    const change: PaymentChange = {
      ...decision,
      settledBy: request.via,
      lateSettlement: lateMove,
      checkedAt: now.toISOString(),
      nextCheckAt: null,
      ...(lateMove
        ? {
            auditReason: `Paid at ${payment.provider} after PayBridge had marked it ${payment.status}: settled late so the money is not lost.`,
          }
        : {}),
    };
    if (change.status === 'succeeded') {
      const overpaid =
        change.amountMismatch !== null &&
        verdict.currency === payment.currency &&
        verdict.amount !== undefined;
      change.capture = {
        amount: overpaid && verdict.amount !== undefined ? verdict.amount : payment.amount,
        chargeId: verdict.chargeId ?? null,
        fee: verdict.fee ?? null,
      };
    }
    change.nextCheckAt =
      deps.nextCheck?.({ ...payment, status: change.status, lateSettlement: lateMove }, now) ?? null;
    const outcome = await deps.transition(payment, change, request.providerEvent);
    if (outcome === 'duplicate') return { outcome: 'duplicate' };
    if (outcome === 'recorded') {
      await recordVerify(deps, request, payment, { status: change.status });
      return { outcome: 'moved', change, from: payment };
    }
    // stale: the payment moved meanwhile (a webhook, a verify, the sweeper): read again and re-decide.
  }
  if (payment) await recordVerify(deps, request, payment, { status: payment.status });
  return { outcome: 'stale', payment };
}

/** Tells `deps.verified` of a verify call; never fails the settle path. */
async function recordVerify(
  deps: PaymentDeps,
  request: SettleRequest,
  payment: Payment,
  result: VerifyOutcome,
): Promise<void> {
  if (!deps.verified) return;
  try {
    await deps.verified(payment, request.via, result);
  } catch (error) {
    deps.log?.('warn', 'payment activity not recorded', {
      paymentId: payment.id,
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
}

/** `POST /v1/payments/{id}/verify`: settles through the one path and answers the payment as it now is. */
export async function verifyPayment(deps: PaymentDeps, caller: Caller, paymentId: string): Promise<Payment> {
  const result = await settlePayment(deps, caller.merchantId, caller.mode, paymentId, { via: 'verify' });
  if (result.outcome === 'missing') throw new NotFound('resource_missing', 'No such payment.', 'id');
  if (result.outcome === 'unchanged') return result.payment;
  const latest = await deps.store.getPayment(caller.merchantId, caller.mode, paymentId);
  if (!latest) throw new NotFound('resource_missing', 'No such payment.', 'id');
  return latest;
}
