import type { Actor, Mode, RequestMeta } from '#core/actor';
import { newId } from '#core/ids';
import { posting, type Posting, type PostingSource } from '#core/ledger';
import type { Payment } from '#core/payments';
import {
  defaultRefundPolicy,
  publicRefund,
  type Refund,
  type RefundChange,
  type RefundDeps,
  type RefundPolicy,
  type RefundsStore,
  refundedStatus,
} from '#core/refunds';
import { type EventType, refundEventTypeFor } from '#core/webhooks';
import { ConditionRefused, copy, roundTrip, type TransactItem, transact } from './conditions.ts';
import type { MemoryLedger } from './ledger.ts';
import type { MemoryPayments } from './payments.ts';

const key = (merchantId: string, mode: Mode, id: string) => `${merchantId}#${mode}#${id}`;

const sourceOf = (refund: Refund): PostingSource => ({
  merchantId: refund.merchantId,
  mode: refund.mode,
  provider: refund.provider,
  currency: refund.currency,
  paymentId: refund.paymentId,
  source: { type: 'refund', id: refund.id },
});

/**
 * The refunds port in memory, with the conditions of store/refunds.ts and the
 * wiring of app/refunds.ts: the reserve decrements the payment's refundable
 * counter only while the payment is refundable, enough is left and the policy's
 * count allows, in one transaction with the refund, its ledger hold, the event
 * and the completed idempotency record; a move is conditioned on the refund's
 * version (and, on success, the payment's), gives a failed refund's amount back
 * to the counter, and posts to the ledger.
 */
export class MemoryRefunds implements RefundsStore {
  private readonly refunds = new Map<string, Refund>();
  private readonly policies = new Map<string, RefundPolicy>();

  private readonly payments: MemoryPayments;
  private readonly ledger: MemoryLedger;
  private readonly clock: () => Date;

  constructor(payments: MemoryPayments, ledger: MemoryLedger, clock: () => Date = () => new Date()) {
    this.payments = payments;
    this.ledger = ledger;
    this.clock = clock;
  }

  async getRefund(merchantId: string, mode: Mode, id: string): Promise<Refund | undefined> {
    await roundTrip();
    const found = this.refunds.get(key(merchantId, mode, id));
    return found && copy(found);
  }

  async refundsOfPayment(merchantId: string, mode: Mode, paymentId: string): Promise<Refund[]> {
    await roundTrip();
    const prefix = `${merchantId}#${mode}#`;
    return [...this.refunds]
      .filter(([k, r]) => k.startsWith(prefix) && r.paymentId === paymentId)
      .map(([, r]) => copy(r))
      .sort((a, b) => b.id.localeCompare(a.id))
      .slice(0, 100);
  }

  async refundPolicy(merchantId: string, mode: Mode): Promise<RefundPolicy> {
    await roundTrip();
    return { ...defaultRefundPolicy, ...this.policies.get(`${merchantId}#${mode}`) };
  }

  /** `npm run admin -- set-refund-policy`. */
  setRefundPolicy(merchantId: string, mode: Mode, policy: RefundPolicy): void {
    this.policies.set(`${merchantId}#${mode}`, { ...policy });
  }

  async saveCheck(refund: Refund, fields: Partial<Refund>): Promise<boolean> {
    await roundTrip();
    const stored = this.refunds.get(key(refund.merchantId, refund.mode, refund.id));
    if (!stored || stored.version !== refund.version) return false;
    const { version: _v, updatedAt: _u, ...rest } = fields;
    Object.assign(stored, copy(rest), { version: refund.version + 1, updatedAt: this.clock().toISOString() });
    return true;
  }

  async takeSubmitLease(refund: Refund, until: number): Promise<boolean> {
    await roundTrip();
    const stored = this.refunds.get(key(refund.merchantId, refund.mode, refund.id));
    if (!stored || stored.version !== refund.version || stored.submitLeaseUntil !== refund.submitLeaseUntil) {
      return false;
    }
    stored.submitLeaseUntil = until;
    stored.version = refund.version + 1;
    return true;
  }

  /** Every refund of a merchant in one mode (the ledger check reads them all). */
  async list(merchantId: string, mode: Mode): Promise<Refund[]> {
    await roundTrip();
    const prefix = `${merchantId}#${mode}#`;
    return [...this.refunds]
      .filter(([k]) => k.startsWith(prefix))
      .map(([, r]) => copy(r))
      .sort((a, b) => b.id.localeCompare(a.id));
  }

  /** `RefundDeps.reserve`: the counter, the refund, its hold, `refund.created`, the audit entry, the idempotency record. */
  readonly reserve = async (
    payment: Payment,
    refund: Refund,
    policy: RefundPolicy,
    idempotency: { key: string; status: number; body: unknown },
    audit: { actor: Actor; meta: RequestMeta },
  ): Promise<'reserved' | 'refused'> => {
    await roundTrip();
    const hold = posting(sourceOf(refund), 'refund_hold', refund.amount, refund.createdAt);
    const row = () => this.payments.row(payment.merchantId, payment.mode, payment.id);
    const k = key(refund.merchantId, refund.mode, refund.id);
    const items: TransactItem[] = [
      {
        condition: () => {
          const p = row();
          if (!p || (p.status !== 'succeeded' && p.status !== 'partially_refunded')) return false;
          const left = p.refundableAmount ?? p.amount;
          return (
            left >= refund.amount &&
            (p.refundCount === undefined || p.refundCount < policy.maxRefundsPerPayment)
          );
        },
        write: () => {
          const p = row() as Payment;
          p.refundableAmount = (p.refundableAmount ?? p.amount) - refund.amount;
          p.refundCount = (p.refundCount ?? 0) + 1;
        },
      },
      { condition: () => !this.refunds.has(k), write: () => this.refunds.set(k, copy(refund)) },
      ...this.ledger.items([hold]),
      this.payments.eventItem(this.event(refund, 'refund.created', refund.createdAt)),
      {
        write: () =>
          this.payments.audits.push({
            merchantId: refund.merchantId,
            action: 'refund.created',
            target: { type: 'refund', id: refund.id },
            actor: audit.actor,
            mode: refund.mode,
          }),
      },
      this.payments.completeIdempotency(refund.merchantId, refund.mode, idempotency, refund.id),
    ];
    const codes = this.attempt(items);
    if (codes === 'ok') return 'reserved';
    if (codes[0] === 'ConditionalCheckFailed') return 'refused';
    throw new Error(`refund reserve failed on a condition other than the payment's: ${codes.join(',')}`);
  };

  /** `RefundDeps.transition`: the refund's move, the payment's counters or status, the postings and the event. */
  readonly transition = async (refund: Refund, change: RefundChange): Promise<'recorded' | 'stale'> => {
    await roundTrip();
    let payment: Payment | undefined;
    let paymentStatus: Payment['status'] | undefined;
    const postings: Posting[] = [];
    if (change.status === 'succeeded' || change.status === 'failed') {
      payment = await this.payments.getPayment(refund.merchantId, refund.mode, refund.paymentId);
      if (!payment) return 'stale';
      if (change.status === 'succeeded') {
        const captured = payment.capturedAmount ?? payment.amount;
        paymentStatus = refundedStatus(captured, (payment.amountRefunded ?? 0) + refund.amount);
        postings.push(posting(sourceOf(refund), 'refund', refund.amount, change.checkedAt));
      } else {
        postings.push(posting(sourceOf(refund), 'refund_void', refund.amount, change.checkedAt));
      }
    }
    await roundTrip(); // the transaction, after the reads above
    const k = key(refund.merchantId, refund.mode, refund.id);
    const moved: Refund = { ...refund, ...change, updatedAt: change.checkedAt };
    const items: TransactItem[] = [
      {
        condition: () => this.refunds.get(k)?.version === refund.version,
        write: () => {
          const stored = this.refunds.get(k) as Refund;
          Object.assign(stored, {
            status: change.status,
            providerRefundId: change.providerRefundId,
            providerStatus: change.providerStatus,
            failureReason: change.failureReason,
            nextAction: change.nextAction,
            lastCheckedAt: change.checkedAt,
            nextCheckAt: change.nextCheckAt,
            updatedAt: change.checkedAt,
            version: refund.version + 1,
            submitted: refund.submitted || change.providerRefundId !== null,
          });
        },
      },
    ];
    const p = payment;
    const row = () => (p ? this.payments.row(p.merchantId, p.mode, p.id) : undefined);
    if (change.status === 'succeeded' && p && paymentStatus) {
      const status = paymentStatus;
      items.push({
        condition: () => row()?.version === p.version,
        write: () => {
          const stored = row() as Payment;
          stored.amountRefunded = (stored.amountRefunded ?? 0) + refund.amount;
          stored.status = status;
          stored.version = p.version + 1;
          stored.updatedAt = change.checkedAt;
        },
      });
    }
    if (change.status === 'failed' && p) {
      items.push({
        condition: () => row()?.refundableAmount !== undefined,
        write: () => {
          const stored = row() as Payment;
          stored.refundableAmount = (stored.refundableAmount as number) + refund.amount;
          stored.refundCount = (stored.refundCount ?? 0) - 1;
        },
      });
    }
    items.push(...this.ledger.items(postings));
    const type = refundEventTypeFor(change.status);
    if (type) items.push(this.payments.eventItem(this.event(moved, type, change.checkedAt)));
    return this.attempt(items) === 'ok' ? 'recorded' : 'stale';
  };

  private event(refund: Refund, type: EventType, at: string) {
    return {
      id: newId('evt'),
      type,
      merchantId: refund.merchantId,
      mode: refund.mode,
      paymentId: refund.paymentId,
      createdAt: at,
      data: { object: publicRefund(refund) },
    };
  }

  private attempt(items: TransactItem[]): 'ok' | readonly string[] {
    try {
      transact(items);
      return 'ok';
    } catch (error) {
      if (!(error instanceof ConditionRefused)) throw error;
      return error.codes;
    }
  }
}

/** What `RefundDeps` needs besides the stores and the two transactions. */
export type RefundDepsOptions = Omit<RefundDeps, 'payments' | 'store' | 'reserve' | 'transition'>;

/** The refunds domain wired to memory. */
export function memoryRefundDeps(
  payments: MemoryPayments,
  refunds: MemoryRefunds,
  options: RefundDepsOptions,
): RefundDeps {
  return { payments, store: refunds, reserve: refunds.reserve, transition: refunds.transition, ...options };
}
