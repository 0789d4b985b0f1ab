import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationFailed } from '#core/errors';
import { dynamoClient } from '#runtime/clients';
import { type Clause, queryParams } from './expressions.ts';
import type { Item } from './items.ts';
import { tableName } from './table-name.ts';

/** A page of a list, newest first (ARCHITECTURE.md, Conventions: Lists). */
export interface Page<T> {
  data: T[];
  hasMore: boolean;
  nextCursor: string | null;
}

type StartKey = Record<string, string>;

/** Opaque cursor: the DynamoDB start key, base64url-encoded. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  if (!key) return null;
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor and checks it is a start key this very query could have
 * produced: exactly the key attributes of the table (and index), all non-empty
 * strings, the partition being queried, and a sort key inside the queried
 * range. A cursor from another merchant, another list or a forger is a 400,
 * never passed on for DynamoDB to reject with a 500.
 */
export function decodeCursor(
  cursor: string | undefined,
  partition: { name: 'pk' | 'gsi1pk'; value: string },
  skPrefix?: string,
): StartKey | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () =>
    new ValidationFailed('invalid_cursor', 'The cursor is not valid for this list.', 'cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid();
  const expected = partition.name === 'pk' ? ['pk', 'sk'] : ['gsi1pk', 'gsi1sk', 'pk', 'sk'];
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (
    entries.length !== expected.length ||
    entries.some(
      ([k, v]) => !expected.includes(k) || typeof v !== 'string' || v.length === 0 || v.length > 1024,
    )
  ) {
    throw invalid();
  }
  const key = parsed as StartKey;
  if (key[partition.name] !== partition.value) throw invalid();
  if (
    skPrefix !== undefined &&
    !(key[partition.name === 'pk' ? 'sk' : 'gsi1sk'] ?? '').startsWith(skPrefix)
  ) {
    throw invalid();
  }
  return key;
}

/**
 * A start key must lie inside the queried sort-key range (`sk`, or `gsi1sk` on
 * the index), or DynamoDB refuses the whole query (a 500, where a 400 is due).
 */
export function withinRange(
  key: StartKey | undefined,
  lower: string,
  upper: string,
  sortKey: 'sk' | 'gsi1sk' = 'sk',
): StartKey | undefined {
  if (key === undefined) return undefined;
  const sk = key[sortKey] ?? '';
  if (sk < lower || sk > upper) {
    throw new ValidationFailed('invalid_cursor', 'The cursor is not valid for this list.', 'cursor');
  }
  return key;
}

/** One list query: a partition of the table or of `gsi1`, the part of it, a filter. */
export interface PageQuery<T> {
  /** The table's `pk`, or with `index: 'gsi1'` the index's `gsi1pk`. */
  partition: string;
  index?: 'gsi1';
  /** Sort keys starting with `prefix`, or inside `between` (both ends included); all when absent. */
  sortKey?: { prefix: string } | { between: readonly [string, string] };
  filter?: Clause | undefined;
  limit: number;
  cursor: string | undefined;
  /** Reads one item (store/items.ts): checks it and strips its keys. */
  read: (item: Item) => T;
  /** Items of the range that are not this list's (left out of the page before they are read). */
  keep?: (item: Item) => boolean;
}

/**
 * One page of a list, newest first (our sort keys end in ULIDs or timestamps),
 * with the list convention's cursor checked against this very query.
 */
export async function queryPage<T>(query: PageQuery<T>): Promise<Page<T>> {
  const onIndex = query.index === 'gsi1';
  const pkName = onIndex ? 'gsi1pk' : 'pk';
  const skName = onIndex ? 'gsi1sk' : 'sk';
  const sortKey = query.sortKey;
  const key: Clause =
    sortKey === undefined
      ? { expression: `${pkName} = :pk`, values: { ':pk': query.partition } }
      : 'prefix' in sortKey
        ? {
            expression: `${pkName} = :pk AND begins_with(${skName}, :prefix)`,
            values: { ':pk': query.partition, ':prefix': sortKey.prefix },
          }
        : {
            expression: `${pkName} = :pk AND ${skName} BETWEEN :lower AND :upper`,
            values: { ':pk': query.partition, ':lower': sortKey.between[0], ':upper': sortKey.between[1] },
          };
  const start = decodeCursor(
    query.cursor,
    { name: pkName, value: query.partition },
    sortKey && 'prefix' in sortKey ? sortKey.prefix : undefined,
  );
  const out = await dynamoClient().send(
    new QueryCommand({
      TableName: tableName(),
      ...(onIndex ? { IndexName: 'gsi1' } : {}),
      ...queryParams(key, query.filter),
      ScanIndexForward: false,
      Limit: query.limit,
      ExclusiveStartKey:
        sortKey && 'between' in sortKey
          ? withinRange(start, sortKey.between[0], sortKey.between[1], skName)
          : start,
    }),
  );
  const items = out.Items ?? [];
  return {
    data: (query.keep ? items.filter(query.keep) : items).map(query.read),
    hasMore: out.LastEvaluatedKey !== undefined,
    nextCursor: encodeCursor(out.LastEvaluatedKey),
  };
}

/**
 * One page of the items in partition `pk` whose sort key starts with `prefix`,
 * newest first (our sort keys end in ULIDs), with the list convention's cursor.
 */
export function pageOfPrefix<T>(
  pk: string,
  prefix: string,
  limit: number,
  cursor: string | undefined,
  read: (item: Item) => T,
): Promise<Page<T>> {
  return queryPage({ partition: pk, sortKey: { prefix }, limit, cursor, read });
}

/**
 * The items in partition `pk` whose sort key starts with `prefix`, in one query:
 * for small, bounded sets (a merchant's ≤ 20 endpoints, one event's deliveries
 * and attempts). `newestFirst` reverses the ULID order; `limit` caps the set.
 */
export async function itemsWithPrefix<T>(
  pk: string,
  prefix: string,
  map: (item: Item) => T,
  options: { consistent?: boolean; newestFirst?: boolean; limit?: number } = {},
): Promise<T[]> {
  const out = await dynamoClient().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
      ...(options.consistent ? { ConsistentRead: true } : {}),
      ...(options.newestFirst ? { ScanIndexForward: false } : {}),
      ...(options.limit ? { Limit: options.limit } : {}),
    }),
  );
  return (out.Items ?? []).map(map);
}

/**
 * Every item in partition `pk` whose sort key starts with `prefix`, page after page, read
 * consistently: for operator tools (the ledger check), never a request path.
 */
export async function allWithPrefix<T>(pk: string, prefix: string, map: (item: Item) => T): Promise<T[]> {
  const found: T[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamoClient().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    found.push(...(out.Items ?? []).map(map));
    start = out.LastEvaluatedKey;
  } while (start);
  return found;
}
