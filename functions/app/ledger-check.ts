import type { Mode } from '#core/actor';
import type { LedgerProblem } from '#core/ledger';
import { checkStoredLedger } from '#core/ledger-check';
import type { Payment } from '#core/payments';
import type { Refund } from '#core/refunds';
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
  return checkStoredLedger(postings, payments, refunds, balance);
}
