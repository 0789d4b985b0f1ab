import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Actor, Mode, RequestMeta } from '#core/actor';
import type { PaymentLink, UpdatePaymentLinkInput } from '#core/payment-links';
import { dynamoClient } from '#runtime/clients';
import { auditPut } from './audit.ts';
import { conditionFailedAt, isConditionFailure, written } from './conditions.ts';
import { update } from './expressions.ts';
import { check, optional, reader } from './items.ts';
import { keys } from './keys.ts';
import { type Page, pageOfPrefix } from './pagination.ts';
import { readIdempotency } from './payments.ts';
import { tableName } from './table-name.ts';

/** How long a form submission's claim on the counter is kept (as long as its idempotency record). */
const submissionTtlSeconds = 24 * 3600;

/** A payment link item as the domain's PaymentLink: checked, without its keys. */
const readPaymentLink = reader<PaymentLink>(
  'payment link',
  {
    id: check.id('plink_'),
    merchantId: check.text,
    mode: check.mode,
    slug: check.text,
    currency: check.text,
    active: check.boolean,
    paymentsCount: check.int,
  },
  { type: 'payment_link' },
);

/** The public slug's item: where the link lives. */
const readSlug = reader<{ merchantId: string; mode: Mode; linkId: string }>(
  'payment link slug',
  { merchantId: check.text, mode: check.mode, linkId: check.id('plink_') },
  { type: 'payment_link_slug' },
);

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
  return optional(readPaymentLink)(out.Item);
}

/** The link behind a public slug, or undefined. */
export async function findPaymentLinkBySlug(slug: string): Promise<PaymentLink | undefined> {
  const out = await dynamoClient().send(
    new GetCommand({ TableName: tableName(), Key: keys.paymentLinkSlug(slug) }),
  );
  const ref = optional(readSlug)(out.Item);
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
  return pageOfPrefix(
    keys.modePartition(merchantId, mode),
    keys.paymentLinkPrefix,
    limit,
    cursor,
    readPaymentLink,
  );
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
  const { active, title, description } = changes;
  try {
    await dynamoClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName(),
              Key: keys.paymentLink(merchantId, mode, linkId),
              ...update({ updatedAt: now.toISOString(), active, title, description }, [], {
                expression: 'attribute_exists(pk)',
              }),
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
    if (conditionFailedAt(error, 0)) return 'already_claimed';
    if (conditionFailedAt(error, 1)) return 'unavailable';
    throw error;
  }
}

/** Gives a claim back when its payment could not be started (the provider failed): the token may try again. */
export async function releaseSubmission(link: PaymentLink, token: string): Promise<void> {
  await written(
    dynamoClient().send(
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
    ),
  );
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
  return optional(readIdempotency)(out.Item)?.paymentId;
}
