import { checkLedger, type LedgerProblem, type PaymentFacts, type Posting } from './ledger.ts';
import type { Payment } from './payments.ts';
import { isOpenRefund, type Refund } from './refunds.ts';

/**
 * The ledger invariant for one merchant and mode, over what is stored (an operator tool and a test
 * helper, never a request path): every posting balances, the accounts sum to zero, each payment's
 * `captured − Σ succeeded refunds` and open refunds equal the ledger's, the payment's own counters
 * agree with its refunds, and the sharded running balance equals the postings'.
 */
export function checkStoredLedger(
  postings: readonly Posting[],
  payments: readonly Payment[],
  refunds: readonly Refund[],
  balances: Parameters<typeof checkLedger>[2],
): LedgerProblem[] {
  const refundsOf = (p: Payment) => refunds.filter((r) => r.paymentId === p.id);
  const sum = (rs: readonly Refund[]) => rs.reduce((s, r) => s + r.amount, 0);
  const facts: PaymentFacts[] = payments.map((p) => ({
    id: p.id,
    provider: p.provider,
    currency: p.currency,
    captured: p.capturedAmount ?? 0,
    fee: p.fee ?? 0,
    succeededRefunds: sum(refundsOf(p).filter((r) => r.status === 'succeeded')),
    openRefunds: sum(refundsOf(p).filter((r) => isOpenRefund(r.status))),
  }));
  const problems = checkLedger(postings, facts, balances);
  for (const p of payments) {
    if (p.capturedAmount === undefined) continue;
    const held = sum(refundsOf(p).filter((r) => r.status !== 'failed'));
    const succeeded = sum(refundsOf(p).filter((r) => r.status === 'succeeded'));
    if ((p.refundableAmount ?? p.capturedAmount) !== p.capturedAmount - held) {
      problems.push({
        kind: 'payment_disagrees',
        message: `${p.id}: refundable is ${p.refundableAmount}, captured − refunds not failed is ${p.capturedAmount - held}`,
      });
    }
    if ((p.amountRefunded ?? 0) !== succeeded) {
      problems.push({
        kind: 'payment_disagrees',
        message: `${p.id}: amountRefunded is ${p.amountRefunded ?? 0}, succeeded refunds add up to ${succeeded}`,
      });
    }
  }
  return problems;
}
