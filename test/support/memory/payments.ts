import type { Actor, Mode, RequestMeta } from '#core/actor';
import { newId } from '#core/ids';
import { capturePostings } from '#core/ledger';
import {
  type IdempotencyClaim,
  type Payment,
  type PaymentChange,
  type PaymentDeps,
  type PaymentsStore,
  type ProviderEventRef,
  publicPayment,
  type TransitionOutcome,
} from '#core/payments';
import { type EventType, eventTypeFor } from '#core/webhooks';
import { codesOf, copy, roundTrip, type TransactItem, transact } from './conditions.ts';
import type { MemoryLedger } from './ledger.ts';

/** The idempotency record (store/payments.ts): payments', refunds' and payment-link submissions' keys share it. */
export interface IdempotencyRecord {
  requestHash: string;
  paymentId: string;
  state: 'in_progress' | 'completed';
  /** Epoch ms: a holder that has not finished by then is presumed crashed. */
  lockedUntil: number;
  response?: { status: number; body: unknown };
  /** Epoch seconds: DynamoDB's TTL; an expired record no longer counts even before it is deleted. */
  ttl: number;
}

/** A merchant event as recorded with the change that produced it (deliveries are the webhook domain's). */
export interface RecordedEvent {
  id: string;
  type: EventType;
  merchantId: string;
  mode: Mode;
  paymentId: string;
  createdAt: string;
  data: { object: unknown };
}

/** An audit entry as recorded with its change. */
export interface RecordedAudit {
  merchantId: string;
  action: string;
  target: { type: string; id: string };
  actor: Actor | { type: 'system'; id: string };
  mode?: Mode;
  reason?: string;
}

const idempotencyTtlSeconds = 24 * 3600;
const claimLeaseMs = 60_000;
const key = (merchantId: string, mode: Mode, id: string) => `${merchantId}#${mode}#${id}`;

/**
 * The payments port in memory, with the conditions of store/payments.ts: an
 * idempotency key is claimed by a conditional put (an expired record no longer
 * counts; a crashed holder's lease is taken over, keeping its payment id), a
 * payment and its attempt index are created only if absent, and the idempotency
 * record is completed in the same transaction only by the claim's holder. It
 * also records a status move as core/webhook-transitions.ts does with DynamoDB
 * (`transition`): conditioned on the payment's version, the provider event
 * de-duplicated, the merchant event, the audit entry of a late settlement and
 * the ledger's capture postings, all or nothing.
 */
export class MemoryPayments implements PaymentsStore {
  private readonly idempotency = new Map<string, IdempotencyRecord>();
  private readonly payments = new Map<string, Payment>();
  private readonly attempts = new Map<string, { merchantId: string; mode: Mode; paymentId: string }>();
  private readonly limits = new Map<string, Partial<Record<string, number>>>();
  private readonly providerEvents = new Set<string>();
  /** Merchant events, in the order they were written. */
  readonly events: RecordedEvent[] = [];
  readonly audits: RecordedAudit[] = [];

  private readonly ledger: MemoryLedger;
  private readonly clock: () => Date;

  constructor(ledger: MemoryLedger, clock: () => Date = () => new Date()) {
    this.ledger = ledger;
    this.clock = clock;
  }

  async claimIdempotency(
    merchantId: string,
    mode: Mode,
    idempotencyKey: string,
    hash: string,
    paymentId: string,
    now: Date,
  ): Promise<IdempotencyClaim> {
    await roundTrip();
    const k = key(merchantId, mode, idempotencyKey);
    const nowSec = Math.floor(now.getTime() / 1000);
    const existing = this.idempotency.get(k);
    if (!existing || existing.ttl < nowSec) {
      this.idempotency.set(k, {
        requestHash: hash,
        paymentId,
        state: 'in_progress',
        lockedUntil: now.getTime() + claimLeaseMs,
        ttl: nowSec + idempotencyTtlSeconds,
      });
      return { kind: 'claimed', paymentId };
    }
    await roundTrip(); // the consistent read that says what holds the key
    const held = this.idempotency.get(k);
    if (!held) return { kind: 'in_progress' };
    if (held.requestHash !== hash) return { kind: 'mismatch' };
    if (held.state === 'completed' && held.response) {
      return { kind: 'replay', status: held.response.status, body: copy(held.response.body) };
    }
    if (held.lockedUntil < now.getTime()) {
      const seen = held.lockedUntil;
      await roundTrip(); // the conditional take-over
      const current = this.idempotency.get(k);
      if (current && current.lockedUntil === seen && current.state === 'in_progress') {
        current.lockedUntil = now.getTime() + claimLeaseMs;
        return { kind: 'claimed', paymentId: current.paymentId };
      }
    }
    return { kind: 'in_progress' };
  }

  async releaseIdempotency(merchantId: string, mode: Mode, idempotencyKey: string): Promise<void> {
    await roundTrip();
    const k = key(merchantId, mode, idempotencyKey);
    // Only an unfinished claim is released: a completed one keeps answering replays.
    if (this.idempotency.get(k)?.state === 'in_progress') this.idempotency.delete(k);
  }

  async insertPayment(
    payment: Payment,
    idempotency: { key: string; status: number; body: unknown } | undefined,
    audit: { actor: Actor; meta: RequestMeta },
  ): Promise<void> {
    await roundTrip();
    const k = key(payment.merchantId, payment.mode, payment.id);
    const attempt = `${payment.provider}#${payment.attemptReference}`;
    const items: TransactItem[] = [
      { condition: () => !this.payments.has(k), write: () => this.payments.set(k, copy(payment)) },
      {
        condition: () => !this.attempts.has(attempt),
        write: () =>
          this.attempts.set(attempt, {
            merchantId: payment.merchantId,
            mode: payment.mode,
            paymentId: payment.id,
          }),
      },
      {
        write: () =>
          this.audits.push({
            merchantId: payment.merchantId,
            action: 'payment.created',
            target: { type: 'payment', id: payment.id },
            actor: audit.actor,
            mode: payment.mode,
          }),
      },
    ];
    if (idempotency)
      items.push(this.completeIdempotency(payment.merchantId, payment.mode, idempotency, payment.id));
    transact(items);
  }

  /**
   * The transaction item that completes an idempotency record with its answer:
   * only the claim's holder (`paymentId = :id AND state = in_progress`) may.
   */
  completeIdempotency(
    merchantId: string,
    mode: Mode,
    idempotency: { key: string; status: number; body: unknown },
    holder: string,
  ): TransactItem {
    const k = key(merchantId, mode, idempotency.key);
    return {
      condition: () => {
        const held = this.idempotency.get(k);
        return held !== undefined && held.paymentId === holder && held.state === 'in_progress';
      },
      write: () => {
        const held = this.idempotency.get(k) as IdempotencyRecord;
        held.state = 'completed';
        held.response = { status: idempotency.status, body: copy(idempotency.body) };
      },
    };
  }

  /** The idempotency record of a key as stored (the done page's lookup reads its payment id). */
  async readIdempotency(
    merchantId: string,
    mode: Mode,
    idempotencyKey: string,
  ): Promise<IdempotencyRecord | undefined> {
    await roundTrip();
    const held = this.idempotency.get(key(merchantId, mode, idempotencyKey));
    return held && copy(held);
  }

  async getPayment(merchantId: string, mode: Mode, paymentId: string): Promise<Payment | undefined> {
    await roundTrip();
    const found = this.payments.get(key(merchantId, mode, paymentId));
    return found && copy(found);
  }

  async amountLimits(merchantId: string, mode: Mode): Promise<Partial<Record<string, number>>> {
    await roundTrip();
    return copy(this.limits.get(`${merchantId}#${mode}`) ?? {});
  }

  /** `npm run admin -- set-max-amount`: a merchant's maximum for one currency in one mode, or none. */
  setAmountLimit(merchantId: string, mode: Mode, currency: string, max: number | null): void {
    const limits = { ...this.limits.get(`${merchantId}#${mode}`) };
    if (max === null) delete limits[currency];
    else limits[currency] = max;
    this.limits.set(`${merchantId}#${mode}`, limits);
  }

  /** The payment a provider attempt reference belongs to (for webhooks). */
  async findAttempt(provider: string, reference: string) {
    await roundTrip();
    const found = this.attempts.get(`${provider}#${reference}`);
    return found && copy(found);
  }

  /** Every payment of a merchant in one mode, newest first (ULID ids sort by time). */
  async list(merchantId: string, mode: Mode): Promise<Payment[]> {
    await roundTrip();
    const prefix = `${merchantId}#${mode}#`;
    return [...this.payments]
      .filter(([k]) => k.startsWith(prefix))
      .map(([, p]) => copy(p))
      .sort((a, b) => b.id.localeCompare(a.id));
  }

  /** Whether a provider event was recorded as processed (de-duplication is per merchant, mode and provider). */
  processed(merchantId: string, mode: Mode, provider: string, eventId: string): boolean {
    return this.providerEvents.has(`${merchantId}#${mode}#${provider}#${eventId}`);
  }

  /**
   * The payment item itself, for a sibling adapter's transaction (refunds
   * update the payment's counters in theirs). Tests read through `getPayment`.
   */
  row(merchantId: string, mode: Mode, paymentId: string): Payment | undefined {
    return this.payments.get(key(merchantId, mode, paymentId));
  }

  /** Records a merchant event in a transaction (refunds record theirs with the same list). */
  eventItem(event: RecordedEvent): TransactItem {
    return { write: () => this.events.push(copy(event)) };
  }

  /**
   * `PaymentDeps.transition` (core/webhook-transitions.ts + store/webhooks.ts
   * `recordPaymentTransition`): the move, conditioned on the payment's version;
   * the provider event, conditioned on never having been seen; the merchant
   * event; the audit entry of a late settlement; on `succeeded`, the capture
   * and its ledger postings. `duplicate` wins over `stale` as it does there.
   */
  readonly transition = async (
    payment: Payment,
    change: PaymentChange,
    providerEvent?: ProviderEventRef,
  ): Promise<TransitionOutcome> => {
    await roundTrip();
    const now = this.clock().toISOString();
    const k = key(payment.merchantId, payment.mode, payment.id);
    const capture = change.status === 'succeeded' ? change.capture : undefined;
    const moved: Payment = {
      ...payment,
      status: change.status,
      failureReason: change.failureReason,
      settledBy: change.settledBy,
      lateSettlement: change.lateSettlement,
      amountMismatch: change.amountMismatch,
      lastCheckedAt: change.checkedAt,
      nextCheckAt: change.nextCheckAt,
      updatedAt: now,
    };
    const type = eventTypeFor(change.status);
    const items: TransactItem[] = [
      {
        condition: () => this.payments.get(k)?.version === payment.version,
        write: () => {
          const stored = this.payments.get(k) as Payment;
          Object.assign(stored, {
            status: change.status,
            failureReason: change.failureReason,
            updatedAt: now,
            version: payment.version + 1,
            settledBy: change.settledBy,
            lateSettlement: change.lateSettlement,
            amountMismatch: copy(change.amountMismatch),
            lastCheckedAt: change.checkedAt,
            nextCheckAt: change.nextCheckAt,
            ...(capture
              ? {
                  capturedAmount: capture.amount,
                  refundableAmount: capture.amount,
                  chargeId: capture.chargeId,
                  fee: capture.fee,
                }
              : {}),
          });
        },
      },
    ];
    if (providerEvent) {
      const seen = `${payment.merchantId}#${payment.mode}#${providerEvent.provider}#${providerEvent.eventId}`;
      items.push({
        condition: () => !this.providerEvents.has(seen),
        write: () => this.providerEvents.add(seen),
      });
    }
    if (type) {
      items.push(
        this.eventItem({
          id: newId('evt'),
          type,
          merchantId: payment.merchantId,
          mode: payment.mode,
          paymentId: payment.id,
          createdAt: now,
          data: { object: publicPayment(moved) },
        }),
      );
    }
    if (change.auditReason) {
      const reason = change.auditReason;
      items.push({
        write: () =>
          this.audits.push({
            merchantId: payment.merchantId,
            action: `payment.${change.status}`,
            target: { type: 'payment', id: payment.id },
            actor: { type: 'system', id: change.settledBy },
            mode: payment.mode,
            reason,
          }),
      });
    }
    if (capture) items.push(...this.ledger.items(capturePostings(payment, capture.amount, capture.fee, now)));
    try {
      transact(items);
      return 'recorded';
    } catch (error) {
      const codes = codesOf(error);
      if (providerEvent && codes[1] === 'ConditionalCheckFailed') return 'duplicate';
      if (codes[0] === 'ConditionalCheckFailed') return 'stale';
      throw error;
    }
  };
}

/** What `PaymentDeps` needs besides the store and the transition (tests pass the gateway and knobs). */
export type PaymentDepsOptions = Omit<PaymentDeps, 'store' | 'transition'>;

/** The payments domain wired to memory: the store, its transition, and the caller's gateway and knobs. */
export function memoryPaymentDeps(store: MemoryPayments, options: PaymentDepsOptions): PaymentDeps {
  return { store, transition: store.transition, ...options };
}
