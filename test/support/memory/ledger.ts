import type { Mode } from '#core/actor';
import { balanceDelta, type LedgerProblem, type Posting } from '#core/ledger';
import { checkStoredLedger } from '#core/ledger-check';
import type { Payment } from '#core/payments';
import type { Refund } from '#core/refunds';
import type * as ledgerStore from '#store/ledger';
import type { Balance } from '#store/ledger';
import { copy, roundTrip, type TransactItem } from './conditions.ts';

/** The reads of store/ledger.ts this adapter stands in for (type only: nothing of the store is loaded). */
type LedgerReads = Pick<typeof ledgerStore, 'balances' | 'allPostings'>;

const partition = (merchantId: string, mode: Mode) => `${merchantId}#${mode}`;
/** The running balance is sharded in DynamoDB (8 shards per provider and currency); a sum is what is read. */
const shards = 8;

/**
 * The balance ledger in memory (store/ledger.ts): postings are immutable and
 * keyed by their deterministic id, each one a conditional put inside the
 * transaction of the change that causes it (a retried write fails whole, it
 * never posts twice), and every transaction adds its delta to one of 8 shards
 * of the running balance.
 */
export class MemoryLedger implements LedgerReads {
  private readonly postings = new Map<string, Posting>();
  private readonly shardItems = new Map<string, Balance>();

  /** The transaction items `postingItems` makes: a conditional put per posting, one ADD per provider and currency. */
  items(postings: readonly Posting[]): TransactItem[] {
    const puts: TransactItem[] = postings.map((p) => {
      const key = `${partition(p.merchantId, p.mode)}#${p.id}`;
      return {
        condition: () => !this.postings.has(key),
        write: () => this.postings.set(key, copy(p)),
      };
    });
    const groups = new Map<string, Posting[]>();
    for (const p of postings) {
      const group = `${partition(p.merchantId, p.mode)}#${p.provider}#${p.currency}`;
      groups.set(group, [...(groups.get(group) ?? []), p]);
    }
    const adds: TransactItem[] = [...groups].map(([group, list]) => ({
      write: () => {
        const first = list[0] as Posting;
        const key = `${group}#${Math.floor(Math.random() * shards)}`;
        const delta = balanceDelta(list);
        const item = this.shardItems.get(key) ?? {
          provider: first.provider,
          currency: first.currency,
          available: 0,
          pendingRefunds: 0,
        };
        this.shardItems.set(key, {
          ...item,
          available: item.available + delta.available,
          pendingRefunds: item.pendingRefunds + delta.pendingRefunds,
        });
      },
    }));
    return [...puts, ...adds];
  }

  async balances(merchantId: string, mode: Mode): Promise<Balance[]> {
    await roundTrip();
    const prefix = `${partition(merchantId, mode)}#`;
    const sums = new Map<string, Balance>();
    for (const [key, shard] of this.shardItems) {
      if (!key.startsWith(prefix)) continue;
      const group = `${shard.provider}#${shard.currency}`;
      const sofar = sums.get(group) ?? { ...shard, available: 0, pendingRefunds: 0 };
      sums.set(group, {
        ...sofar,
        available: sofar.available + shard.available,
        pendingRefunds: sofar.pendingRefunds + shard.pendingRefunds,
      });
    }
    return [...sums.values()].sort((a, b) =>
      `${a.provider}${a.currency}`.localeCompare(`${b.provider}${b.currency}`),
    );
  }

  async allPostings(merchantId: string, mode: Mode): Promise<Posting[]> {
    await roundTrip();
    const prefix = `${partition(merchantId, mode)}#`;
    return [...this.postings]
      .filter(([key]) => key.startsWith(prefix))
      .map(([, p]) => copy(p))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /**
   * The invariant check of core/ledger-check.ts over what is stored: postings
   * balance, accounts sum to zero, each payment's captured − succeeded refunds
   * and open refunds equal the ledger's, the payment's own counters agree with
   * its refunds, and the sharded balance equals the postings'.
   */
  async check(
    merchantId: string,
    mode: Mode,
    payments: readonly Payment[],
    refunds: readonly Refund[],
  ): Promise<LedgerProblem[]> {
    const [postings, balance] = await Promise.all([
      this.allPostings(merchantId, mode),
      this.balances(merchantId, mode),
    ]);
    return checkStoredLedger(postings, payments, refunds, balance);
  }
}
