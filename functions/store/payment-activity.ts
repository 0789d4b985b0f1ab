import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Mode } from '#core/actor';
import type {
  PaymentActivity,
  PaymentActivityEntry,
  ProviderWebhookOutcome,
  VerifySource,
} from '#core/payment-activity';
import { paymentStatuses, type PaymentStatus } from '#core/payments';
import { type ProviderName, providerNames } from '#core/provider-adapter';
import { dynamoClient } from '#runtime/clients';
import { keys } from './keys.ts';
import { hit } from './rate-limits.ts';
import { tableName } from './table-name.ts';

/**
 * A payment's activity (core/payment-activity.ts): one small item per entry in the
 * merchant's mode partition, sort key `PACT#<pay>#<at>#<random>`, so one Query
 * returns a payment's timeline in time order and never another merchant's, mode's
 * or payment's. Items expire after `activityRetentionSeconds`.
 */

/** How long an entry stays: the timeline's webhook and verify entries cover the last 90 days. */
export const activityRetentionSeconds = 90 * 24 * 60 * 60;

/** At most this many entries are returned for one payment: the newest, in time order. */
export const activityReadLimit = 100;

/**
 * Entries for webhooks whose signature was rejected are written by whoever can reach
 * the merchant's webhook URL: at most this many per merchant and mode a minute (the
 * rest are dropped, as security events are), so a forger cannot grow a partition.
 */
export const rejectedPerMinute = 30;

const maxWord = 64;
const maxProviderEventId = 128;
const clip = (value: string, max: number) => value.slice(0, max);

const outcomes: readonly ProviderWebhookOutcome[] = ['applied', 'duplicate', 'ignored', 'retry', 'rejected'];
const sources: readonly VerifySource[] = ['api', 'reconciliation'];

/** Appends one entry. Resolves without writing when a rejected-signature entry is over its budget. */
export async function recordPaymentActivity(entry: PaymentActivityEntry): Promise<void> {
  if (entry.kind === 'provider_webhook' && entry.signature === 'rejected') {
    const budget = await hit(
      'payment_activity_rejected',
      `${entry.merchantId}#${entry.mode}`,
      rejectedPerMinute,
      60,
    );
    if (!budget.allowed) return;
  }
  const at = new Date(entry.at);
  if (Number.isNaN(at.getTime())) throw new TypeError('payment activity: `at` is not a date');
  const iso = at.toISOString();
  const item: Record<string, unknown> = {
    ...keys.paymentActivity(
      entry.merchantId,
      entry.mode,
      entry.paymentId,
      iso,
      randomBytes(6).toString('base64url'),
    ),
    type: 'payment_activity',
    kind: entry.kind,
    at: iso,
    provider: entry.provider,
    ttl: Math.floor(at.getTime() / 1000) + activityRetentionSeconds,
  };
  if (entry.kind === 'provider_webhook') {
    item.signature = entry.signature;
    item.outcome = entry.outcome;
    if (entry.reason !== undefined) item.reason = clip(entry.reason, maxWord);
    if (entry.providerEventId !== undefined)
      item.providerEventId = clip(entry.providerEventId, maxProviderEventId);
  } else {
    item.source = entry.source;
    if (entry.status !== undefined) item.status = entry.status;
    if (entry.errorCode !== undefined) item.errorCode = clip(entry.errorCode, maxWord);
  }
  await dynamoClient().send(new PutCommand({ TableName: tableName(), Item: item }));
}

/** A payment's newest `activityReadLimit` entries, oldest first; `hasMore` when older ones were left out. */
export async function listPaymentActivity(
  merchantId: string,
  mode: Mode,
  paymentId: string,
): Promise<{ data: PaymentActivity[]; hasMore: boolean }> {
  const out = await dynamoClient().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': keys.modePartition(merchantId, mode),
        ':prefix': keys.paymentActivityPrefix(paymentId),
      },
      ScanIndexForward: false,
      Limit: activityReadLimit,
    }),
  );
  const data = (out.Items ?? []).map(fromItem).reverse();
  return { data, hasMore: out.LastEvaluatedKey !== undefined };
}

const str = (item: Record<string, unknown>, name: string): string => {
  const value = item[name];
  if (typeof value !== 'string') throw new TypeError(`payment activity item: ${name} is not a string`);
  return value;
};
const optional = (item: Record<string, unknown>, name: string): string | undefined =>
  item[name] === undefined ? undefined : str(item, name);
function oneOf<T extends string>(item: Record<string, unknown>, name: string, allowed: readonly T[]): T {
  const value = str(item, name);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new TypeError(`payment activity item: ${name} is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** Checks an item on read and keeps only the entry's own fields (no keys, no ttl). */
function fromItem(item: Record<string, unknown>): PaymentActivity {
  const base = {
    at: str(item, 'at'),
    provider: oneOf<ProviderName>(item, 'provider', providerNames),
  };
  const kind = oneOf(item, 'kind', ['provider_webhook', 'verify'] as const);
  if (kind === 'provider_webhook') {
    const reason = optional(item, 'reason');
    const providerEventId = optional(item, 'providerEventId');
    return {
      kind,
      ...base,
      signature: oneOf(item, 'signature', ['valid', 'rejected'] as const),
      outcome: oneOf(item, 'outcome', outcomes),
      ...(reason === undefined ? {} : { reason }),
      ...(providerEventId === undefined ? {} : { providerEventId }),
    };
  }
  const status =
    item.status === undefined ? undefined : oneOf<PaymentStatus>(item, 'status', paymentStatuses);
  const errorCode = optional(item, 'errorCode');
  return {
    kind,
    ...base,
    source: oneOf(item, 'source', sources),
    ...(status === undefined ? {} : { status }),
    ...(errorCode === undefined ? {} : { errorCode }),
  };
}
