import { table } from '#infra/definitions';
import type { CallRecord } from './instrument.ts';

/**
 * Reading recorded calls: what kind of item a DynamoDB call touched (from the
 * key shapes in functions/store/keys.ts), whether it reads or writes, and the
 * capacity it consumed.
 */

const byPartitionPrefix: readonly [string, string][] = [
  ['LOGIN#', 'login'],
  ['SESSION#', 'session'],
  ['APIKEY#', 'api-key-by-hash'],
  ['RATE#', 'rate-counter'],
  ['HOOK#', 'webhook-token'],
  ['ATTEMPT#', 'attempt-index'],
  ['IDEM#', 'idempotency'],
  ['PEVT#', 'provider-event'],
  ['SEC#UNATTRIBUTED', 'security-event'],
];

const bySortPrefix: Readonly<Record<string, string>> = {
  MERCHANT: 'merchant',
  USER: 'user',
  KEY: 'api-key',
  AUDIT: 'audit',
  SEC: 'security-event',
  PROVIDER: 'provider-config',
  PAY: 'payment',
  EVT: 'event',
  WE: 'endpoint',
  DLV: 'delivery',
  ATT: 'delivery-attempt',
};

/** `MER#…#test` + `PAY#pay_…` → `payment`. */
export function itemKind(pk: unknown, sk: unknown): string {
  const p = typeof pk === 'string' ? pk : '';
  const s = typeof sk === 'string' ? sk : '';
  for (const [prefix, kind] of byPartitionPrefix) if (p.startsWith(prefix)) return kind;
  return bySortPrefix[s.split('#')[0] ?? ''] ?? (s || p || '?');
}

type Input = Readonly<Record<string, unknown>>;

const keyOf = (input: Input, field: 'Key' | 'Item'): string => {
  const key = (input[field] ?? {}) as { pk?: unknown; sk?: unknown };
  return itemKind(key.pk, key.sk);
};

function queryKind(input: Input): string {
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  const partition = values[':pk'] ?? values[':p'];
  const sortPrefix = Object.values(values).find(
    (v): v is string => typeof v === 'string' && v !== partition && /^[A-Z]+#/.test(v),
  );
  const index = typeof input.IndexName === 'string' ? `${input.IndexName} ` : '';
  const kind = sortPrefix ? itemKind(partition, sortPrefix) : itemKind(partition, '');
  return `${index}${kind.endsWith('y') ? `${kind.slice(0, -1)}ies` : `${kind}s`}`;
}

function transactionParts(input: Input, units: readonly number[] | undefined): string[] {
  const items = (input.TransactItems ?? []) as Record<string, Input>[];
  return items.map((item, i) => {
    const [op, body] = Object.entries(item)[0] ?? ['?', {}];
    const kind = 'Item' in body ? keyOf(body, 'Item') : keyOf(body, 'Key');
    return `${op} ${kind}${units?.[i] === undefined ? '' : ` ${units[i]}`}`;
  });
}

const readCommands = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const writeCommands = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

export type CallClass = 'read' | 'write' | 'control';

/** Billed reads, billed writes, or control-plane calls (DescribeTable: not billed per request). */
export function classOf(record: CallRecord): CallClass {
  if (readCommands.has(record.command)) return 'read';
  if (writeCommands.has(record.command)) return 'write';
  return 'control';
}

/** `GetItem api-key-by-hash`, `TransactWriteItems[Put payment, Put attempt-index, …]`, `SendMessage`. */
export function describeCall(record: CallRecord): string {
  const input = record.input;
  let text: string;
  switch (record.command) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      text = `${record.command} ${keyOf(input, 'Key')}${input.ConsistentRead === true ? ' (strong)' : ''}`;
      break;
    case 'PutItem':
      text = `PutItem ${keyOf(input, 'Item')}`;
      break;
    case 'Query':
      text = `Query ${queryKind(input)}${input.ConsistentRead === true ? ' (strong)' : ''}`;
      break;
    case 'TransactWriteItems':
      text = `TransactWriteItems[${transactionParts(input, record.itemUnits).join(', ')}]`;
      break;
    default:
      text = record.command;
  }
  if (record.ok === false) {
    text +=
      record.error === 'ConditionalCheckFailedException' ? ' ✗condition' : ` ✗${record.error ?? 'error'}`;
  }
  return text;
}

/** DynamoDB's item size: attribute names plus values (UTF-8 strings, ~1 byte per 2 digits of a number, …). */
export function itemSize(item: Readonly<Record<string, unknown>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += Buffer.byteLength(name) + valueSize(value);
  }
  return size;
}

function valueSize(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    const digits = String(value)
      .replace(/[^0-9]/g, '')
      .replace(/^0+/, '').length;
    return Math.ceil(Math.max(1, digits) / 2) + 1;
  }
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set)
    return 3 + [...(value as Set<unknown>)].reduce<number>((n, v) => n + valueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce<number>((n, v) => n + 1 + valueSize(v), 0);
  if (typeof value === 'object') {
    return (
      3 +
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k) + valueSize(v), 0)
    );
  }
  return 1;
}

/** Indexes an item is written to (it carries both of an index's key attributes; projection ALL). */
const indexesOf = (item: Readonly<Record<string, unknown>>): number =>
  table.globalIndexes.filter((i) => item[i.partitionKey] !== undefined && item[i.sortKey] !== undefined)
    .length;

/** Write units for one item in a transaction: 2 per KB, for the table and each index it is in. */
const transactionalUnits = (item: Readonly<Record<string, unknown>> | undefined): number =>
  item === undefined ? 2 : 2 * Math.ceil(itemSize(item) / 1024) * (1 + indexesOf(item));

export type ItemReader = (
  tableName: string,
  key: Readonly<Record<string, unknown>>,
) => Promise<Record<string, unknown> | undefined>;

/**
 * The units DynamoDB would bill for each call, in `record.units`:
 * - `reported`: DynamoDB Local's figure (single-item writes, reads: these match
 *   DynamoDB's rules: 1 per KB written, index writes included; 0.5 or 1 per 4 KB read);
 * - `computed`: TransactWriteItems, for which DynamoDB Local reports far too
 *   little (2 units for a four-item transaction): 2 × each item's size in KB, for
 *   the table and each index it is written to; an updated item is sized as it
 *   is now (read back with `read`);
 * - `minimum`: a read DynamoDB Local reported 0 for (a Query that found nothing):
 *   DynamoDB bills at least 0.5, or 1 when strongly consistent;
 * - `estimated`: a write refused by its condition: billed, but DynamoDB sends no
 *   figure; 1 WRU (every item ours refuses is under 1 KB).
 */
export async function resolveUnits(records: readonly CallRecord[], read: ItemReader): Promise<void> {
  for (const record of records) {
    if (record.service !== 'dynamodb' || record.units !== undefined) continue;
    const kind = classOf(record);
    if (kind === 'control') {
      record.units = 0;
      record.unitSource = 'reported';
    } else if (record.command === 'TransactWriteItems') {
      const itemUnits: number[] = [];
      for (const entry of (record.input.TransactItems ?? []) as Record<string, Record<string, unknown>>[]) {
        const [op, body] = Object.entries(entry)[0] ?? ['', {}];
        if (op === 'Put') itemUnits.push(transactionalUnits(body.Item as Record<string, unknown>));
        else {
          const item = await read(String(body.TableName), body.Key as Record<string, unknown>);
          itemUnits.push(transactionalUnits(item));
        }
      }
      record.itemUnits = itemUnits;
      record.units = itemUnits.reduce((n, u) => n + u, 0);
      record.unitSource = record.ok === false ? 'estimated' : 'computed';
    } else if (kind === 'read' && !record.capacity) {
      record.units = record.input.ConsistentRead === true ? 1 : 0.5;
      record.unitSource = 'minimum';
    } else if (record.capacity !== undefined) {
      record.units = record.capacity;
      record.unitSource = 'reported';
    } else {
      record.units = kind === 'write' ? 1 : 0;
      record.unitSource = 'estimated';
    }
  }
}

/** The billed units of a call (after `resolveUnits`; before it, what DynamoDB Local reported). */
export function unitsOf(record: CallRecord): number {
  return record.units ?? record.capacity ?? 0;
}

export interface CallSummary {
  readonly requests: number;
  readonly reads: number;
  readonly writes: number;
  readonly control: number;
  readonly rcu: number;
  readonly wcu: number;
  /** Where units did not come from DynamoDB Local's figure: the reasons present (see `resolveUnits`). */
  readonly unitNotes: readonly ('computed' | 'minimum' | 'estimated')[];
  readonly commands: readonly string[];
}

/** DynamoDB calls of one operation: counts, capacity and the commands in the order they started. */
export function summarizeDynamo(records: readonly CallRecord[]): CallSummary {
  const calls = records.filter((r) => r.service === 'dynamodb').sort((a, b) => a.startedAt - b.startedAt);
  let rcu = 0;
  let wcu = 0;
  const notes = new Set<'computed' | 'minimum' | 'estimated'>();
  for (const call of calls) {
    if (call.unitSource && call.unitSource !== 'reported') notes.add(call.unitSource);
    if (classOf(call) === 'read') rcu += unitsOf(call);
    if (classOf(call) === 'write') wcu += unitsOf(call);
  }
  const reads = calls.filter((c) => classOf(c) === 'read').length;
  const writes = calls.filter((c) => classOf(c) === 'write').length;
  return {
    requests: reads + writes,
    reads,
    writes,
    control: calls.length - reads - writes,
    rcu,
    wcu,
    unitNotes: [...notes],
    commands: calls.map((c) => `${describeCall(c)} (${unitsOf(c)})`),
  };
}

/** SQS requests of one operation that a deployment pays for: sends, receives that got messages, deletes. */
export function summarizeSqs(records: readonly CallRecord[]): { requests: number; commands: string[] } {
  const calls = records
    .filter((r) => r.service === 'sqs')
    .filter((r) => r.command !== 'ReceiveMessage' || (r.messages ?? 0) > 0)
    .sort((a, b) => a.startedAt - b.startedAt);
  return { requests: calls.length, commands: calls.map(describeCall) };
}

/**
 * Groups calls that overlapped in time (started before the group's last one
 * ended): each group is one step on the critical path, its calls concurrent.
 */
export function concurrentGroups<T extends { startedAt: number; endedAt?: number }>(
  calls: readonly T[],
): T[][] {
  const sorted = [...calls].sort((a, b) => a.startedAt - b.startedAt);
  const groups: T[][] = [];
  let groupEnd = Number.NEGATIVE_INFINITY;
  for (const call of sorted) {
    const last = groups[groups.length - 1];
    if (last && call.startedAt < groupEnd) last.push(call);
    else groups.push([call]);
    groupEnd = Math.max(groupEnd, call.endedAt ?? call.startedAt);
  }
  return groups;
}
