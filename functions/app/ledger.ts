import { balances, listPostings } from '#store/ledger';

/**
 * The balance ledger as the handlers read it, wired to DynamoDB once per cold
 * start: always scoped by merchant and mode. Postings are written by the
 * payment and refund transactions that cause them, never here.
 */
export const ledger = {
  /** What the ledger says sits at each provider, per currency (the sharded running balance, summed). */
  balances,
  /** A page of postings, newest first (the `gsi1` time index), filtered. */
  listPostings,
};
