import type { Mode } from './actor.ts';
import type { ProviderName } from './provider-adapter.ts';

/**
 * The balance ledger: a double-entry shadow of what sits at each provider for a
 * merchant (PayBridge holds no funds; the merchant's provider accounts do), kept
 * per merchant × mode × provider × currency.
 *
 * Accounts (debit-positive amounts in minor units):
 * - `provider_balance` — money at the provider (asset);
 * - `sales` — captured payments (revenue, credit-normal);
 * - `fees` — what the provider kept, where it reports it (expense);
 * - `refunds` — refunds promised to customers (contra-revenue);
 * - `pending_refunds` — refunds promised but not yet paid out (liability, credit-normal).
 *
 * Postings, each balanced, written in the same transaction as the state change
 * that causes them, with a deterministic id (`btx_<source>_<kind>`) so a retried
 * write can never post twice:
 * | kind          | when                       | lines                                   |
 * | ------------- | -------------------------- | --------------------------------------- |
 * | `charge`      | payment succeeded          | provider_balance +C, sales −C           |
 * | `fee`         | payment succeeded, fee > 0 | fees +F, provider_balance −F            |
 * | `refund_hold` | refund created             | refunds +A, pending_refunds −A          |
 * | `refund`      | refund succeeded           | pending_refunds +A, provider_balance −A |
 * | `refund_void` | refund failed              | pending_refunds +A, refunds −A          |
 *
 * So `available` (the provider_balance account) = succeeded sales − succeeded
 * refunds − fees, and `pendingRefunds` is the credit balance of pending_refunds.
 */

export type LedgerAccount = 'provider_balance' | 'sales' | 'fees' | 'refunds' | 'pending_refunds';
export const ledgerAccounts: readonly LedgerAccount[] = [
  'provider_balance',
  'sales',
  'fees',
  'refunds',
  'pending_refunds',
];

export type PostingKind = 'charge' | 'fee' | 'refund_hold' | 'refund' | 'refund_void';
export const postingKinds: readonly PostingKind[] = ['charge', 'fee', 'refund_hold', 'refund', 'refund_void'];

export interface LedgerLine {
  account: LedgerAccount;
  /** Debit positive, credit negative; integer minor units. */
  amount: number;
}

export interface Posting {
  /** `btx_<source id without prefix>_<kind>`: the same cause always makes the same id. */
  id: string;
  merchantId: string;
  mode: Mode;
  provider: ProviderName;
  currency: string;
  kind: PostingKind;
  /** The posting's size (positive), as a merchant reads it. */
  amount: number;
  lines: LedgerLine[];
  source: { type: 'payment' | 'refund'; id: string };
  paymentId: string;
  createdAt: string;
}

/** The change a posting makes to the merchant's running balance. */
export interface BalanceDelta {
  available: number;
  pendingRefunds: number;
}

const shapes: Record<PostingKind, { debit: LedgerAccount; credit: LedgerAccount }> = {
  charge: { debit: 'provider_balance', credit: 'sales' },
  fee: { debit: 'fees', credit: 'provider_balance' },
  refund_hold: { debit: 'refunds', credit: 'pending_refunds' },
  refund: { debit: 'pending_refunds', credit: 'provider_balance' },
  refund_void: { debit: 'pending_refunds', credit: 'refunds' },
};

export const postingId = (sourceId: string, kind: PostingKind): string =>
  `btx_${sourceId.slice(sourceId.indexOf('_') + 1)}_${kind}`;

export interface PostingSource {
  merchantId: string;
  mode: Mode;
  provider: ProviderName;
  currency: string;
  paymentId: string;
  source: { type: 'payment' | 'refund'; id: string };
}

/** One balanced posting of `amount` (a positive integer) for `kind`. */
export function posting(from: PostingSource, kind: PostingKind, amount: number, at: string): Posting {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new RangeError(`a ledger posting needs a positive integer amount, got ${amount}`);
  }
  const { debit, credit } = shapes[kind];
  return {
    id: postingId(from.source.id, kind),
    merchantId: from.merchantId,
    mode: from.mode,
    provider: from.provider,
    currency: from.currency,
    kind,
    amount,
    lines: [
      { account: debit, amount },
      { account: credit, amount: -amount },
    ],
    source: from.source,
    paymentId: from.paymentId,
    createdAt: at,
  };
}

/** What a payment's capture posts: the charge and, when the provider reported one, its fee. */
export function capturePostings(
  payment: { id: string; merchantId: string; mode: Mode; provider: ProviderName; currency: string },
  captured: number,
  fee: number | null,
  at: string,
): Posting[] {
  const from: PostingSource = {
    merchantId: payment.merchantId,
    mode: payment.mode,
    provider: payment.provider,
    currency: payment.currency,
    paymentId: payment.id,
    source: { type: 'payment', id: payment.id },
  };
  const out = [posting(from, 'charge', captured, at)];
  if (fee !== null && fee > 0) out.push(posting(from, 'fee', Math.min(fee, captured), at));
  return out;
}

/** The effect of postings on `available` (provider_balance) and `pendingRefunds` (−pending_refunds). */
export function balanceDelta(postings: readonly Posting[]): BalanceDelta {
  let available = 0;
  let pendingRefunds = 0;
  for (const p of postings) {
    for (const line of p.lines) {
      if (line.account === 'provider_balance') available += line.amount;
      if (line.account === 'pending_refunds') pendingRefunds -= line.amount;
    }
  }
  return { available, pendingRefunds };
}

/** What the ledger must agree with, per payment: captured money and its succeeded refunds. */
export interface PaymentFacts {
  id: string;
  provider: ProviderName;
  currency: string;
  /** Captured minor units; 0 when the payment never succeeded. */
  captured: number;
  fee: number;
  succeededRefunds: number;
  /** Refunds still pending or needing action. */
  openRefunds: number;
}

export interface LedgerProblem {
  kind: 'unbalanced_posting' | 'accounts_do_not_sum_to_zero' | 'payment_disagrees' | 'balance_disagrees';
  message: string;
}

/**
 * The invariant check (a test helper and `npm run admin -- check-ledger`): every
 * posting balances, the accounts of each provider × currency sum to zero, each
 * payment's `captured − Σ succeeded refunds` equals what the ledger says for it,
 * and the running balance (if given) equals the ledger's.
 */
export function checkLedger(
  postings: readonly Posting[],
  payments: readonly PaymentFacts[],
  balances?: readonly { provider: string; currency: string; available: number; pendingRefunds: number }[],
): LedgerProblem[] {
  const problems: LedgerProblem[] = [];
  const sums = new Map<string, number>();
  const byPayment = new Map<string, { net: number; pending: number }>();
  const derived = new Map<string, BalanceDelta>();
  for (const p of postings) {
    const total = p.lines.reduce((s, l) => s + l.amount, 0);
    if (total !== 0 || p.lines.some((l) => !Number.isSafeInteger(l.amount))) {
      problems.push({ kind: 'unbalanced_posting', message: `${p.id} does not balance (${total})` });
    }
    const group = `${p.provider}/${p.currency}`;
    sums.set(group, (sums.get(group) ?? 0) + total);
    const d = balanceDelta([p]);
    const sofar = derived.get(group) ?? { available: 0, pendingRefunds: 0 };
    derived.set(group, {
      available: sofar.available + d.available,
      pendingRefunds: sofar.pendingRefunds + d.pendingRefunds,
    });
    const entry = byPayment.get(p.paymentId) ?? { net: 0, pending: 0 };
    // What the ledger says the payment left at the provider, before fees.
    for (const line of p.lines) {
      if (line.account === 'provider_balance' && p.kind !== 'fee') entry.net += line.amount;
      if (line.account === 'pending_refunds') entry.pending -= line.amount;
    }
    byPayment.set(p.paymentId, entry);
  }
  for (const [group, sum] of sums) {
    if (sum !== 0) {
      problems.push({ kind: 'accounts_do_not_sum_to_zero', message: `${group} sums to ${sum}` });
    }
  }
  for (const payment of payments) {
    const entry = byPayment.get(payment.id) ?? { net: 0, pending: 0 };
    const expected = payment.captured - payment.succeededRefunds;
    if (entry.net !== expected) {
      problems.push({
        kind: 'payment_disagrees',
        message: `${payment.id}: captured − succeeded refunds is ${expected}, the ledger says ${entry.net}`,
      });
    }
    if (entry.pending !== payment.openRefunds) {
      problems.push({
        kind: 'payment_disagrees',
        message: `${payment.id}: open refunds are ${payment.openRefunds}, the ledger holds ${entry.pending}`,
      });
    }
  }
  for (const b of balances ?? []) {
    const d = derived.get(`${b.provider}/${b.currency}`) ?? { available: 0, pendingRefunds: 0 };
    if (d.available !== b.available || d.pendingRefunds !== b.pendingRefunds) {
      problems.push({
        kind: 'balance_disagrees',
        message: `${b.provider}/${b.currency}: the running balance is ${b.available} available, ${b.pendingRefunds} pending; the postings say ${d.available}, ${d.pendingRefunds}`,
      });
    }
  }
  return problems;
}
