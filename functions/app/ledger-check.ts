import type { Mode } from '#core/actor';
import { checkLedger, type LedgerProblem, type PaymentFacts } from '#core/ledger';
import type { Payment } from '#core/payments';
import { isOpenRefund, type Refund } from '#core/refunds';
import { keys } from '#store/keys';
import { allPostings, balances } from '#store/ledger';
import { stripPayment } from '#store/payments';
import { stripRefund } from '#store/refunds';
import { allWithPrefix } from '#store/pagination';

/**
 * The ledger invariant for one merchant and mode, from what is stored: every
 * posting balances, the accounts sum to zero, each payment's
 * `captured − Σ succeeded refunds` and open refunds equal the ledger's, and the
 * sharded running balance equals the postings'. An operator tool
 * (`npm run admin -- check-ledger`) and a test helper: it reads the whole
 * partition, never a request path.
 */
export async function checkMerchantLedger(merchantId: string, mode: Mode): Promise<LedgerProblem[]> {
  const pk = keys.modePartition(merchantId, mode);
  const [postings, payments, refunds, balance] = await Promise.all([
    allPostings(merchantId, mode),
    allWithPrefix<Payment>(pk, keys.paymentPrefix, stripPayment),
    allWithPrefix<Refund>(pk, keys.refundPrefix, stripRefund),
    balances(merchantId, mode),
  ]);
  const facts: PaymentFacts[] = payments.map((p) => {
    const mine = refunds.filter((r) => r.paymentId === p.id);
    return {
      id: p.id,
      provider: p.provider,
      currency: p.currency,
      captured: p.capturedAmount ?? 0,
      fee: p.fee ?? 0,
      succeededRefunds: mine.filter((r) => r.status === 'succeeded').reduce((s, r) => s + r.amount, 0),
      openRefunds: mine.filter((r) => isOpenRefund(r.status)).reduce((s, r) => s + r.amount, 0),
    };
  });
  const problems = checkLedger(postings, facts, balance);
  // The payment's own counters agree with its refunds too.
  for (const p of payments) {
    if (p.capturedAmount === undefined) continue;
    const mine = refunds.filter((r) => r.paymentId === p.id);
    const held = mine.filter((r) => r.status !== 'failed').reduce((s, r) => s + r.amount, 0);
    const succeeded = mine.filter((r) => r.status === 'succeeded').reduce((s, r) => s + r.amount, 0);
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
