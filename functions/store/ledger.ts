import * as z from 'zod/mini';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Mode } from '#core/actor';
import { ValidationFailed } from '#core/errors';
import { balanceDelta, ledgerAccounts, type Posting, type PostingKind, postingKinds } from '#core/ledger';
import { allOf, equals } from './expressions.ts';
import { check, type Item, reader } from './items.ts';
import { balanceShards, keys } from './keys.ts';
import { allWithPrefix, encodeCursor, type Page, queryPage } from './pagination.ts';
import { tableName } from './table-name.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The postings one cause makes at one moment (a capture's charge and fee): one
 * item, so the pair costs one table write and one `gsi1` write instead of two of
 * each (4 WRU less in the settle transaction, where writes bill double). They
 * share owner, provider, currency, source, payment and time, so the item holds
 * the first posting as a single posting item does, plus `more`: the others' id,
 * kind, amount and lines. Its key is the first posting's deterministic id.
 */
function entries(postings: readonly Posting[]): Posting[][] {
  const byCause = new Map<string, Posting[]>();
  for (const p of postings) {
    const cause = [
      p.merchantId,
      p.mode,
      p.provider,
      p.currency,
      p.source.type,
      p.source.id,
      p.paymentId,
      p.createdAt,
    ].join('#');
    byCause.set(cause, [...(byCause.get(cause) ?? []), p]);
  }
  return [...byCause.values()];
}

/**
 * The ledger's writes, always inside the transaction of the state change that
 * causes them: each entry (one or more postings of one cause, `entries`) is a Put
 * conditioned on its deterministic key not existing (a retry can never post
 * twice: the whole transaction fails), and the running balance is one ADD on a
 * random shard per provider and currency.
 */
export function postingItems(postings: readonly Posting[]): TransactItem[] {
  const items: TransactItem[] = entries(postings).map(([first, ...more]) => {
    const p = first as Posting;
    return {
      Put: {
        TableName: tableName(),
        Item: {
          ...keys.posting(p.merchantId, p.mode, p.id),
          ...keys.postingsIndex(p.merchantId, p.mode, p.createdAt, p.id),
          type: 'posting',
          ...p,
          ...(more.length > 0
            ? { more: more.map((m) => ({ id: m.id, kind: m.kind, amount: m.amount, lines: m.lines })) }
            : {}),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  });
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

const line = z.object({ account: z.enum(ledgerAccounts), amount: check.int });

/** A posting item's first (or only) posting as the domain's Posting: checked, without its keys. */
export const readPosting = reader<Posting>(
  'posting',
  {
    id: check.id('btx_'),
    merchantId: check.text,
    mode: check.mode,
    provider: check.provider,
    currency: check.text,
    kind: z.enum(postingKinds),
    amount: check.int,
    lines: z.array(line),
    paymentId: check.text,
  },
  { strip: ['more'] },
);
/** The former name of `readPosting`. */
export const stripPosting = readPosting;

const readMore = reader<{ more?: Pick<Posting, 'id' | 'kind' | 'amount' | 'lines'>[] }>('posting', {
  more: z.optional(
    z.array(
      z.looseObject({
        id: check.id('btx_'),
        kind: z.enum(postingKinds),
        amount: check.int,
        lines: z.array(line),
      }),
    ),
  ),
});

/**
 * Every posting a posting item holds: the first, and those of the same cause
 * written with it (`more`; items written before entries carry one posting).
 */
export function readPostings(item: Item): Posting[] {
  const first = readPosting(item);
  const more = readMore(item).more ?? [];
  return [
    first,
    ...more.map((m) => ({ ...first, id: m.id, kind: m.kind, amount: m.amount, lines: m.lines })),
  ];
}

export interface PostingFilters {
  kind?: PostingKind | undefined;
  provider?: string | undefined;
  currency?: string | undefined;
  paymentId?: string | undefined;
  createdFrom?: Date | undefined;
  createdTo?: Date | undefined;
}

/**
 * A page's cursor: the list convention's start key, then `.<n>` when the page
 * ended inside an item holding several postings (the next page re-reads that
 * item and skips the n it already answered). Without the suffix it is the plain
 * start key, as before entries.
 */
function splitCursor(cursor: string | undefined): { start: string | undefined; skip: number } {
  if (cursor === undefined) return { start: undefined, skip: 0 };
  const dot = cursor.lastIndexOf('.');
  if (dot === -1) return { start: cursor, skip: 0 };
  const skip = Number(cursor.slice(dot + 1));
  if (!/^[1-9]$/.test(cursor.slice(dot + 1)) || !Number.isInteger(skip)) {
    throw new ValidationFailed('invalid_cursor', 'The cursor is not valid for this list.', 'cursor');
  }
  return { start: dot === 0 ? undefined : cursor.slice(0, dot), skip };
}

const joinCursor = (start: string | null | undefined, skip: number): string =>
  skip === 0 && start ? start : `${start ?? ''}.${skip}`;

/** Postings newest first (the `gsi1` time index), filtered; the list convention's cursor. */
export async function listPostings(
  merchantId: string,
  mode: Mode,
  filters: PostingFilters,
  limit: number,
  cursor?: string,
): Promise<Page<Posting>> {
  const { start, skip } = splitCursor(cursor);
  const page = await queryPage<Item>({
    index: 'gsi1',
    partition: keys.postings(merchantId, mode),
    sortKey: { between: keys.postingsCreated(filters.createdFrom, filters.createdTo) },
    filter: allOf(
      // An entry's other postings (`more`) are checked for the kind once read.
      filters.kind === undefined
        ? undefined
        : {
            expression: '#f_kind = :f_kind OR attribute_exists(#f_more)',
            names: { '#f_kind': 'kind', '#f_more': 'more' },
            values: { ':f_kind': filters.kind },
          },
      equals('provider', filters.provider),
      equals('currency', filters.currency),
      equals('paymentId', filters.paymentId),
    ),
    limit,
    cursor: start,
    read: (item) => item,
  });
  const data: Posting[] = [];
  // Where a page cut inside an item resumes: the key after the last item answered whole.
  let resume: string | null | undefined = start;
  for (const [i, item] of page.data.entries()) {
    const postings = readPostings(item).filter((p) => filters.kind === undefined || p.kind === filters.kind);
    for (let j = i === 0 ? skip : 0; j < postings.length; j += 1) {
      if (data.length === limit) return { data, hasMore: true, nextCursor: joinCursor(resume, j) };
      data.push(postings[j] as Posting);
    }
    resume = encodeCursor({ gsi1pk: item.gsi1pk, gsi1sk: item.gsi1sk, pk: item.pk, sk: item.sk });
  }
  return { data, hasMore: page.hasMore, nextCursor: page.nextCursor };
}

/** Every posting of a merchant and mode (the invariant check; an admin tool, not a request path). */
export async function allPostings(merchantId: string, mode: Mode): Promise<Posting[]> {
  const items = await allWithPrefix(keys.modePartition(merchantId, mode), keys.postingPrefix, readPostings);
  return items.flat();
}
