import * as z from 'zod/mini';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Mode } from '#core/actor';
import { balanceDelta, type Posting, type PostingKind, postingKinds } from '#core/ledger';
import { allOf, equals } from './expressions.ts';
import { check, reader } from './items.ts';
import { balanceShards, keys } from './keys.ts';
import { allWithPrefix, type Page, queryPage } from './pagination.ts';
import { tableName } from './table-name.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The ledger's writes, always inside the transaction of the state change that
 * causes them: each posting is a Put conditioned on its deterministic key not
 * existing (a retry can never post twice: the whole transaction fails), and the
 * running balance is one ADD on a random shard per provider and currency.
 */
export function postingItems(postings: readonly Posting[]): TransactItem[] {
  const items: TransactItem[] = postings.map((p) => ({
    Put: {
      TableName: tableName(),
      Item: {
        ...keys.posting(p.merchantId, p.mode, p.id),
        ...keys.postingsIndex(p.merchantId, p.mode, p.createdAt, p.id),
        type: 'posting',
        ...p,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  }));
  const groups = new Map<string, Posting[]>();
  for (const p of postings) {
    const group = `${p.provider}#${p.currency}`;
    groups.set(group, [...(groups.get(group) ?? []), p]);
  }
  for (const group of groups.values()) {
    const [first] = group;
    if (first === undefined) continue;
    const delta = balanceDelta(group);
    const shard = Math.floor(Math.random() * balanceShards);
    items.push({
      Update: {
        TableName: tableName(),
        Key: keys.balanceShard(first.merchantId, first.mode, first.provider, first.currency, shard),
        UpdateExpression:
          'SET #type = :type, merchantId = :m, #mode = :mode, provider = :p, currency = :c ADD available :a, pendingRefunds :r',
        ExpressionAttributeNames: { '#type': 'type', '#mode': 'mode' },
        ExpressionAttributeValues: {
          ':type': 'balance',
          ':m': first.merchantId,
          ':mode': first.mode,
          ':p': first.provider,
          ':c': first.currency,
          ':a': delta.available,
          ':r': delta.pendingRefunds,
        },
      },
    });
  }
  return items;
}

export interface Balance {
  provider: string;
  currency: string;
  available: number;
  pendingRefunds: number;
}

/** One shard of a running balance: ADD creates the counters, so a shard may lack one. */
const readBalanceShard = reader<{
  provider: string;
  currency: string;
  available?: number;
  pendingRefunds?: number;
}>('balance', {
  provider: check.text,
  currency: check.text,
  available: z.optional(check.number),
  pendingRefunds: z.optional(check.number),
});

/** The running balance per provider and currency: one Query over the shards, summed. */
export async function balances(merchantId: string, mode: Mode): Promise<Balance[]> {
  const sums = new Map<string, Balance>();
  const shards = await allWithPrefix(
    keys.modePartition(merchantId, mode),
    keys.balancePrefix,
    readBalanceShard,
  );
  for (const shard of shards) {
    const key = `${shard.provider}#${shard.currency}`;
    const sofar = sums.get(key) ?? {
      provider: shard.provider,
      currency: shard.currency,
      available: 0,
      pendingRefunds: 0,
    };
    sofar.available += shard.available ?? 0;
    sofar.pendingRefunds += shard.pendingRefunds ?? 0;
    sums.set(key, sofar);
  }
  return [...sums.values()].sort((a, b) =>
    `${a.provider}${a.currency}`.localeCompare(`${b.provider}${b.currency}`),
  );
}

/** A posting item as the domain's Posting: checked, without its keys. */
export const readPosting = reader<Posting>('posting', {
  id: check.id('btx_'),
  merchantId: check.text,
  mode: check.mode,
  provider: check.provider,
  currency: check.text,
  kind: z.enum(postingKinds),
  amount: check.int,
  paymentId: check.text,
});
/** The former name of `readPosting`. */
export const stripPosting = readPosting;

export interface PostingFilters {
  kind?: PostingKind | undefined;
  provider?: string | undefined;
  currency?: string | undefined;
  paymentId?: string | undefined;
  createdFrom?: Date | undefined;
  createdTo?: Date | undefined;
}

/** Postings newest first (the `gsi1` time index), filtered; the list convention's cursor. */
export function listPostings(
  merchantId: string,
  mode: Mode,
  filters: PostingFilters,
  limit: number,
  cursor?: string,
): Promise<Page<Posting>> {
  return queryPage({
    index: 'gsi1',
    partition: keys.postings(merchantId, mode),
    sortKey: { between: keys.postingsCreated(filters.createdFrom, filters.createdTo) },
    filter: allOf(
      equals('kind', filters.kind),
      equals('provider', filters.provider),
      equals('currency', filters.currency),
      equals('paymentId', filters.paymentId),
    ),
    limit,
    cursor,
    read: readPosting,
  });
}

/** Every posting of a merchant and mode (the invariant check; an admin tool, not a request path). */
export function allPostings(merchantId: string, mode: Mode): Promise<Posting[]> {
  return allWithPrefix(keys.modePartition(merchantId, mode), keys.postingPrefix, readPosting);
}
