import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Payment } from '#core/payments';
import type { DueRef } from '#core/reconciliation';
import { dynamoClient } from '#runtime/clients';
import { written } from './conditions.ts';
import { update } from './expressions.ts';
import { check, reader } from './items.ts';
import { keys, reconcileShards } from './keys.ts';
import { dueIndex, reconcileNamespace } from './payments.ts';
import { tableName } from './table-name.ts';

/** A hit of the sweeper's index: the projection names the owner, mode and id (a payment's or a refund's). */
const readDue = reader<{ merchantId: string; mode: DueRef['mode']; id: string }>(
  'due check',
  { merchantId: check.text, mode: check.mode, id: check.text },
  { type: null },
);

/**
 * The sweeper's reads and writes. Due payments come from the sparse `gsi2`
 * index (keys.reconcileDue): one Query per shard for `gsi2sk <= now`, so the
 * cost is the open payments that are due, never the table. Each hit names its
 * merchant and mode, and the sweeper reads the payment under that merchant's
 * mode partition (consistently) before it decides anything.
 */
export async function duePayments(now: Date, limit: number): Promise<DueRef[]> {
  const ns = reconcileNamespace();
  const upper = `${now.toISOString()}#~`;
  const found: DueRef[] = [];
  for (let shard = 0; shard < reconcileShards && found.length < limit; shard++) {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await dynamoClient().send(
        new QueryCommand({
          TableName: tableName(),
          IndexName: 'gsi2',
          KeyConditionExpression: 'gsi2pk = :p AND gsi2sk <= :upper',
          ExpressionAttributeValues: { ':p': keys.reconcilePartition(ns, shard), ':upper': upper },
          ProjectionExpression: 'merchantId, #mode, id',
          ExpressionAttributeNames: { '#mode': 'mode' },
          Limit: Math.min(100, limit - found.length),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) {
        const { merchantId, mode, id } = readDue(item);
        found.push({ merchantId, mode, paymentId: id });
      }
      start = out.LastEvaluatedKey;
    } while (start && found.length < limit);
  }
  return found;
}

/**
 * A check that moved nothing: when it ran and when the next is due (null takes
 * the payment out of the index). Conditional on the version read, so it never
 * overwrites a transition that happened meanwhile, and never puts a settled
 * payment back into the index.
 */
export async function recordCheck(
  payment: Payment,
  checkedAt: string,
  nextCheckAt: string | null,
  counted: boolean,
): Promise<void> {
  const due = dueIndex(payment.id, nextCheckAt);
  // False when the payment moved meanwhile: the transition set its index keys.
  await written(
    dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.payment(payment.merchantId, payment.mode, payment.id),
        ...update(
          {
            lastCheckedAt: checkedAt,
            nextCheckAt,
            checkCount: (payment.checkCount ?? 0) + (counted ? 1 : 0),
            ...due.set,
          },
          due.remove,
          { expression: 'version = :version', values: { ':version': payment.version } },
        ),
      }),
    ),
  );
}

/**
 * Claims the once-a-day provider-silence alert for a merchant's provider and
 * mode: true for the one caller that should record it.
 */
export async function claimSilenceAlert(
  merchantId: string,
  mode: Payment['mode'],
  provider: string,
  now: Date,
): Promise<boolean> {
  const nowSec = Math.floor(now.getTime() / 1000);
  return written(
    dynamoClient().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...keys.providerSilence(merchantId, mode, provider),
          type: 'provider_silence',
          alertedAt: now.toISOString(),
          ttl: nowSec + 24 * 3600,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':now': nowSec },
      }),
    ),
  );
}
