import { createHash } from 'node:crypto';
import type { Actor, Mode, RequestMeta } from './actor.ts';
import { Conflict, NotFound, ProviderFailed, Unprocessable, ValidationFailed } from './errors.ts';
import { inFieldOrder } from './field-order.ts';
import { newId } from './ids.ts';
import { assertAmount, assertWithinMaximum, isCurrency } from './money.ts';
import type { ProviderName, ProviderStatus, VerifyResult } from '../providers/types.ts';

/**
 * Payments: creation with idempotency, routing with failover, and the
 * forward-only state machine. Data lives behind `PaymentsStore`; providers
 * behind `PaymentGateway` (both implemented outside core).
 */

export type PaymentStatus =
  | 'pending'
  | 'processing'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'expired'
  | 'partially_refunded'
  | 'refunded';

const next: Record<PaymentStatus, readonly PaymentStatus[]> = {
  pending: ['processing', 'succeeded', 'failed', 'cancelled', 'expired'],
  processing: ['succeeded', 'failed', 'cancelled', 'expired'],
  succeeded: ['partially_refunded', 'refunded'],
  partially_refunded: ['refunded'],
  failed: [],
  cancelled: [],
  expired: [],
  refunded: [],
};

/** True when `to` is a forward move from `from` (DESIGN.md, Payment states). */
export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return next[from].includes(to);
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
  /** Why the payment failed when reconciliation refused it (e.g. amount mismatch). */
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
  /** Optimistic-concurrency counter for status transitions. */
  version: number;
}

/** What the API returns: everything but internal bookkeeping. */
export function publicPayment(p: Payment) {
  const { merchantId: _m, version: _v, attemptReference: _a, ...rest } = p;
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
  'attempts',
  'failureReason',
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
}

/** A merchant's provider as routing sees it. */
export interface RoutableProvider {
  provider: ProviderName;
  currencies: readonly string[];
}

/**
 * Preference order when the merchant names no provider: local African
 * processors first for their home currencies (lower fees, local methods),
 * Stripe for the rest; Chapa first for ETB, where it is the local rail.
 */
export const preference: readonly ProviderName[] = ['paystack', 'flutterwave', 'stripe', 'chapa'];
export const preferenceFor = (currency: string): readonly ProviderName[] =>
  currency === 'ETB' ? ['chapa', 'stripe', 'flutterwave', 'paystack'] : preference;

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
  const order = preferenceFor(input.currency);
  const names = able.map((p) => p.provider).sort((a, b) => order.indexOf(a) - order.indexOf(b));
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
  enabledProviders(merchantId: string, mode: Mode): Promise<RoutableProvider[]>;
  initialize(
    merchantId: string,
    mode: Mode,
    provider: ProviderName,
    input: { reference: string } & Omit<CreatePaymentInput, 'provider' | 'reference'>,
  ): Promise<{ providerReference: string; checkoutUrl: string }>;
  verify(merchantId: string, mode: Mode, payment: Payment): Promise<VerifyResult>;
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
    status: PaymentStatus,
    failureReason: string | null,
  ) => Promise<boolean>;
  readonly now?: () => Date;
  /** How long a duplicate request waits for the first one to finish before a 409. */
  readonly idempotencyWaitMs?: number;
}

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
  const hash = requestHash(input);
  let paymentId = newId('pay');
  const claim = await claimOrWait(deps, caller, idempotencyKey, hash, paymentId);
  if (claim.kind === 'replay') return { status: claim.status, body: claim.body, replayed: true };
  paymentId = claim.paymentId;
  try {
    const route = routeFor(input, await deps.gateway.enabledProviders(caller.merchantId, caller.mode));
    const attempts: Attempt[] = [];
    for (const provider of route) {
      const reference = newId('ref');
      try {
        const out = await deps.gateway.initialize(caller.merchantId, caller.mode, provider, {
          reference,
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
          attempts,
          failureReason: null,
          createdAt: at,
          updatedAt: at,
          version: 1,
        };
        const body = publicPayment(payment);
        await deps.store.insertPayment(
          payment,
          { key: idempotencyKey, status: 201, body },
          { actor: caller.actor, meta },
        );
        return { status: 201, body };
      } catch (error) {
        if (!(error instanceof ProviderFailed)) throw error;
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

function providerError(attempts: Attempt[]): ProviderFailed {
  const summary = attempts.map((a) => `${a.provider}: ${a.error?.message ?? 'failed'}`).join('; ');
  return new ProviderFailed('provider_error', `No provider could start this payment (${summary}).`, false);
}

async function claimOrWait(
  deps: PaymentDeps,
  caller: Caller,
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
      clock(deps),
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

/** Maps a provider's verdict onto our states, refusing amount or currency mismatches. */
export function reconcile(
  payment: Pick<Payment, 'amount' | 'currency'>,
  verdict: VerifyResult,
): { status: PaymentStatus; failureReason: string | null } {
  if (verdict.status === 'succeeded') {
    if (verdict.amount !== payment.amount || verdict.currency !== payment.currency) {
      return { status: 'failed', failureReason: 'amount_mismatch' };
    }
    return { status: 'succeeded', failureReason: null };
  }
  return { status: fromProvider(verdict.status), failureReason: null };
}

const fromProvider = (s: ProviderStatus): PaymentStatus => s;

/**
 * Asks the provider about a payment and applies the forward-only state machine.
 * A verdict that would move the payment back (or sideways) is ignored.
 */
export async function verifyPayment(deps: PaymentDeps, caller: Caller, paymentId: string): Promise<Payment> {
  for (let tries = 0; tries < 3; tries++) {
    const payment = await deps.store.getPayment(caller.merchantId, caller.mode, paymentId);
    if (!payment) throw new NotFound('resource_missing', 'No such payment.', 'id');
    if (['succeeded', 'failed', 'cancelled', 'expired', 'refunded'].includes(payment.status)) return payment;
    const verdict = await deps.gateway.verify(caller.merchantId, caller.mode, payment);
    const { status, failureReason } = reconcile(payment, verdict);
    if (status === payment.status || !canTransition(payment.status, status)) return payment;
    if (await deps.transition(payment, status, failureReason)) {
      const latest = await deps.store.getPayment(caller.merchantId, caller.mode, paymentId);
      if (latest) return latest;
    }
    // Moved meanwhile (a webhook, another verify): read again and re-decide.
  }
  const latest = await deps.store.getPayment(caller.merchantId, caller.mode, paymentId);
  if (!latest) throw new NotFound('resource_missing', 'No such payment.', 'id');
  return latest;
}
