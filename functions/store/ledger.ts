import { QueryCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Mode } from '#core/actor';
import { balanceDelta, type Posting, type PostingKind } from '#core/ledger';
import { dynamoClient } from '#runtime/clients';
import { balanceShards, keys } from './keys.ts';
import { allWithPrefix, decodeCursor, encodeCursor, type Page } from './pagination.ts';
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
    const first = group[0] as Posting;
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

/** The running balance per provider and currency: one Query over the shards, summed. */
export async function balances(merchantId: string, mode: Mode): Promise<Balance[]> {
  const sums = new Map<string, Balance>();
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamoClient().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: {
          ':pk': keys.modePartition(merchantId, mode),
          ':prefix': keys.balancePrefix,
        },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of out.Items ?? []) {
      const key = `${item.provider as string}#${item.currency as string}`;
      const sofar = sums.get(key) ?? {
        provider: item.provider as string,
        currency: item.currency as string,
        available: 0,
        pendingRefunds: 0,
      };
      sofar.available += Number(item.available ?? 0);
      sofar.pendingRefunds += Number(item.pendingRefunds ?? 0);
      sums.set(key, sofar);
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return [...sums.values()].sort((a, b) =>
    `${a.provider}${a.currency}`.localeCompare(`${b.provider}${b.currency}`),
  );
}

export const stripPosting = (item: Record<string, unknown>): Posting => {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, type: _t, ...rest } = item;
  return rest as unknown as Posting;
};

export interface PostingFilters {
  kind?: PostingKind | undefined;
  provider?: string | undefined;
  currency?: string | undefined;
  paymentId?: string | undefined;
  createdFrom?: Date | undefined;
  createdTo?: Date | undefined;
}

/** Postings newest first (the `gsi1` time index), filtered; the list convention's cursor. */
export async function listPostings(
  merchantId: string,
  mode: Mode,
  filters: PostingFilters,
  limit: number,
  cursor?: string,
): Promise<Page<Posting>> {
  const gsi1pk = keys.postingsIndex(merchantId, mode, '', '').gsi1pk;
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {
    ':p': gsi1pk,
    ':lower': filters.createdFrom ? filters.createdFrom.toISOString() : '0',
    ':upper': filters.createdTo ? `${filters.createdTo.toISOString()}~` : '~',
  };
  const parts: string[] = [];
  const add = (field: string, value: string | undefined) => {
    if (value === undefined) return;
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    parts.push(`#${field} = :${field}`);
  };
  add('kind', filters.kind);
  add('provider', filters.provider);
  add('currency', filters.currency);
  add('paymentId', filters.paymentId);
  const out = await dynamoClient().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p AND gsi1sk BETWEEN :lower AND :upper',
      ...(parts.length > 0 ? { FilterExpression: parts.join(' AND '), ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: decodeCursor(cursor, { name: 'gsi1pk', value: gsi1pk }),
    }),
  );
  return {
    data: (out.Items ?? []).map(stripPosting),
    hasMore: out.LastEvaluatedKey !== undefined,
    nextCursor: encodeCursor(out.LastEvaluatedKey),
  };
}

/** Every posting of a merchant and mode (the invariant check; an admin tool, not a request path). */
export function allPostings(merchantId: string, mode: Mode): Promise<Posting[]> {
  return allWithPrefix(keys.modePartition(merchantId, mode), 'BTX#', stripPosting);
}
