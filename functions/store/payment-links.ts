import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Actor, Mode, RequestMeta } from '#core/actor';
import type { PaymentLink, UpdatePaymentLinkInput } from '#core/payment-links';
import { dynamoClient } from '#runtime/clients';
import { auditPut } from './audit.ts';
import { isConditionFailure } from './conditions.ts';
import { keys } from './keys.ts';
import { type Page, pageOfPrefix } from './pagination.ts';
import { tableName } from './table-name.ts';

/** How long a form submission's claim on the counter is kept (as long as its idempotency record). */
const submissionTtlSeconds = 24 * 3600;

const strip = (item: Record<string, unknown>): PaymentLink => {
  const { pk: _pk, sk: _sk, type: _t, ...rest } = item;
  return rest as unknown as PaymentLink;
};

interface Audit {
  actor: Actor;
  meta: RequestMeta;
}

/** Writes a new link, its slug and the audit entry in one transaction. */
export async function insertPaymentLink(link: PaymentLink, audit: Audit): Promise<void> {
  await dynamoClient().send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: tableName(),
            Item: { ...keys.paymentLink(link.merchantId, link.mode, link.id), type: 'payment_link', ...link },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: tableName(),
            Item: {
              ...keys.paymentLinkSlug(link.slug),
              type: 'payment_link_slug',
              merchantId: link.merchantId,
              mode: link.mode,
              linkId: link.id,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        auditPut(
          link.merchantId,
          audit.actor,
          'payment_link.created',
          { type: 'payment_link', id: link.id },
          audit.meta,
          { mode: link.mode },
        ),
      ],
    }),
  );
}

export async function getPaymentLink(
  merchantId: string,
  mode: Mode,
  linkId: string,
  consistent = false,
): Promise<PaymentLink | undefined> {
  const out = await dynamoClient().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.paymentLink(merchantId, mode, linkId),
      ...(consistent ? { ConsistentRead: true } : {}),
    }),
  );
  return out.Item ? strip(out.Item) : undefined;
}

/** The link behind a public slug, or undefined. */
export async function findPaymentLinkBySlug(slug: string): Promise<PaymentLink | undefined> {
  const out = await dynamoClient().send(
    new GetCommand({ TableName: tableName(), Key: keys.paymentLinkSlug(slug) }),
  );
  const ref = out.Item as { merchantId: string; mode: Mode; linkId: string } | undefined;
  if (!ref) return undefined;
  // Consistent: the counter and `active` decide what the customer is offered.
  return getPaymentLink(ref.merchantId, ref.mode, ref.linkId, true);
}

/** A merchant's links in one mode, newest first. */
export function listPaymentLinks(
  merchantId: string,
  mode: Mode,
  limit: number,
  cursor?: string,
): Promise<Page<PaymentLink>> {
  return pageOfPrefix(keys.modePartition(merchantId, mode), keys.paymentLinkPrefix, limit, cursor, strip);
}

/** Changes `active`, `title` or `description`; undefined when there is no such link. */
export async function updatePaymentLink(
  merchantId: string,
  mode: Mode,
  linkId: string,
  changes: UpdatePaymentLinkInput,
  now: Date,
  audit: Audit,
): Promise<PaymentLink | undefined> {
  const names: Record<string, string> = { '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = { ':now': now.toISOString() };
  const sets = ['#updatedAt = :now'];
  for (const field of ['active', 'title', 'description'] as const) {
    if (changes[field] === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = changes[field];
    sets.push(`#${field} = :${field}`);
  }
  try {
    await dynamoClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName(),
              Key: keys.paymentLink(merchantId, mode, linkId),
              UpdateExpression: `SET ${sets.join(', ')}`,
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            },
          },
          auditPut(
            merchantId,
            audit.actor,
            'payment_link.updated',
            { type: 'payment_link', id: linkId },
            audit.meta,
            { mode },
          ),
        ],
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
  return getPaymentLink(merchantId, mode, linkId, true);
}

export type SlotClaim = 'claimed' | 'already_claimed' | 'unavailable';

/**
 * Claims one of the link's payments for a form submission: the submission's
 * marker and the counter's increment in one transaction, the increment
 * conditioned on the link being active and (with `maxPayments`) below it. Never
 * a read-then-write: concurrent customers on the last payment get one
 * `claimed`, the rest `unavailable`. The same token again is `already_claimed`
 * (a double tap, a retry): it counts once.
 */
export async function claimSubmission(link: PaymentLink, token: string, now: Date): Promise<SlotClaim> {
  try {
    await dynamoClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName(),
              Item: {
                ...keys.paymentLinkSubmission(link.id, token),
                type: 'payment_link_submission',
                ttl: Math.floor(now.getTime() / 1000) + submissionTtlSeconds,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: tableName(),
              Key: keys.paymentLink(link.merchantId, link.mode, link.id),
              UpdateExpression: 'ADD paymentsCount :one',
              ConditionExpression:
                'attribute_exists(pk) AND active = :true AND (attribute_not_exists(maxPayments) OR attribute_type(maxPayments, :nullType) OR paymentsCount < maxPayments)',
              ExpressionAttributeValues: { ':one': 1, ':true': true, ':nullType': 'NULL' },
            },
          },
        ],
      }),
    );
    return 'claimed';
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const [marker, counter] = error.CancellationReasons ?? [];
    if (marker?.Code === 'ConditionalCheckFailed') return 'already_claimed';
    if (counter?.Code === 'ConditionalCheckFailed') return 'unavailable';
    throw error;
  }
}

/** Gives a claim back when its payment could not be started (the provider failed): the token may try again. */
export async function releaseSubmission(link: PaymentLink, token: string): Promise<void> {
  try {
    await dynamoClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: tableName(),
              Key: keys.paymentLinkSubmission(link.id, token),
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
          {
            Update: {
              TableName: tableName(),
              Key: keys.paymentLink(link.merchantId, link.mode, link.id),
              UpdateExpression: 'ADD paymentsCount :minusOne',
              ConditionExpression: 'paymentsCount > :zero',
              ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** The payment a submission's Idempotency-Key holds (the done page's lookup), or undefined. */
export async function paymentOfSubmission(
  merchantId: string,
  mode: Mode,
  idempotencyKey: string,
): Promise<string | undefined> {
  const out = await dynamoClient().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.idempotency(merchantId, mode, idempotencyKey),
      ConsistentRead: true,
    }),
  );
  return (out.Item as { paymentId?: string } | undefined)?.paymentId;
}
