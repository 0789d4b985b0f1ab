import * as z from 'zod/mini';
import {
  GetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Actor, Mode, RequestMeta } from '#core/actor';
import type { Posting } from '#core/ledger';
import type { Payment } from '#core/payments';
import {
  defaultRefundPolicy,
  type Refund,
  type RefundChange,
  type RefundPolicy,
  type RefundsStore,
  type RefundStatus,
  refundStatuses,
} from '#core/refunds';
import type { Delivery, OutboundEvent } from '#core/webhooks';
import { dynamoClient } from '#runtime/clients';
import { auditPut } from './audit.ts';
import { cancellationReasons, written } from './conditions.ts';
import { allOf, equals, update } from './expressions.ts';
import { check, optional, reader } from './items.ts';
import { keys } from './keys.ts';
import { postingItems } from './ledger.ts';
import { type Page, queryPage } from './pagination.ts';
import { dueIndex, readModeSettings, reconcileNamespace } from './payments.ts';
import { tableName } from './table-name.ts';
import { deliveryItem, eventItem } from './webhooks.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const refundItem = (r: Refund) => ({
  ...keys.refund(r.merchantId, r.mode, r.id),
  ...keys.refundsOfPayment(r.merchantId, r.mode, r.paymentId, r.id),
  ...(r.nextCheckAt ? keys.reconcileDue(reconcileNamespace(), r.id, r.nextCheckAt) : {}),
  type: 'refund',
  ...r,
});

/** A refund item as the domain's Refund: checked, without its keys. */
export const readRefund = reader<Refund>('refund', {
  id: check.id('re_'),
  merchantId: check.text,
  mode: check.mode,
  paymentId: check.id('pay_'),
  status: z.enum(refundStatuses),
  amount: check.int,
  currency: check.text,
  version: check.int,
});
/** The former name of `readRefund`. */
export const stripRefund = readRefund;

/**
 * Sends a transaction, retrying DynamoDB's TransactionConflict (another
 * transaction touching the same payment at that instant: concurrent refunds of
 * one payment) with jittered back-off. A failed condition is not retried: the
 * caller decides what it means.
 */
async function transact(items: TransactItem[]): Promise<'ok' | { failed: (string | undefined)[] }> {
  for (let attempt = 0; ; attempt++) {
    try {
      await dynamoClient().send(new TransactWriteCommand({ TransactItems: items }));
      return 'ok';
    } catch (error) {
      const codes = cancellationReasons(error);
      if (codes.includes('ConditionalCheckFailed')) return { failed: codes };
      const conflict =
        codes.includes('TransactionConflict') ||
        (error as { name?: string }).name === 'TransactionConflictException';
      if (!conflict || attempt >= 12) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 40 * (attempt + 1)));
    }
  }
}

/** The DynamoDB side of refunds: reads, the reserve and transition transactions, checks and leases. */
export const refundsStore: RefundsStore & {
  reserve: typeof reserve;
  transition: typeof transition;
} = {
  async getRefund(merchantId, mode, id) {
    const out = await dynamoClient().send(
      new GetCommand({
        TableName: tableName(),
        Key: keys.refund(merchantId, mode, id),
        ConsistentRead: true,
      }),
    );
    return optional(readRefund)(out.Item);
  },

  async refundsOfPayment(merchantId, mode, paymentId) {
    const { data } = await queryPage({
      index: 'gsi1',
      partition: keys.paymentRefunds(merchantId, mode, paymentId),
      limit: 100,
      cursor: undefined,
      read: readRefund,
    });
    // The index is eventually consistent: read each refund itself for its current state.
    const found = await Promise.all(data.map((r) => refundsStore.getRefund(merchantId, mode, r.id)));
    return found.filter((r): r is Refund => r !== undefined);
  },

  async refundPolicy(merchantId, mode) {
    const out = await dynamoClient().send(
      new GetCommand({ TableName: tableName(), Key: keys.amountLimits(merchantId, mode) }),
    );
    return { ...defaultRefundPolicy, ...optional(readModeSettings)(out.Item)?.refundPolicy };
  },

  async saveCheck(refund, fields) {
    const { version: _v, updatedAt: _u, ...rest } = fields;
    const due = dueIndex(refund.id, 'nextCheckAt' in fields ? fields.nextCheckAt : refund.nextCheckAt);
    return written(
      dynamoClient().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.refund(refund.merchantId, refund.mode, refund.id),
          ...update(
            { version: refund.version + 1, updatedAt: new Date().toISOString(), ...rest, ...due.set },
            due.remove,
            { expression: 'version = :version', values: { ':version': refund.version } },
          ),
        }),
      ),
    );
  },

  async takeSubmitLease(refund, until) {
    return written(
      dynamoClient().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.refund(refund.merchantId, refund.mode, refund.id),
          UpdateExpression: 'SET submitLeaseUntil = :until, version = :next',
          ConditionExpression: 'version = :version AND submitLeaseUntil = :seen',
          ExpressionAttributeValues: {
            ':until': until,
            ':next': refund.version + 1,
            ':version': refund.version,
            ':seen': refund.submitLeaseUntil,
          },
        }),
      ),
    );
  },

  reserve,
  transition,
};

/**
 * The refund's creation, all or nothing: the payment's counters (the condition
 * that keeps Σ refunds ≤ captured and the policy's count), the refund, its ledger
 * hold, `refund.created` with one delivery per subscribed endpoint, the audit
 * entry and the completed idempotency record.
 */
async function reserve(input: {
  payment: Payment;
  refund: Refund;
  policy: RefundPolicy;
  hold: Posting;
  event: OutboundEvent;
  deliveries: Delivery[];
  idempotency: { key: string; status: number; body: unknown };
  audit: { actor: Actor; meta: RequestMeta };
}): Promise<'reserved' | 'refused'> {
  const { payment, refund } = input;
  const items: TransactItem[] = [
    {
      Update: {
        TableName: tableName(),
        Key: keys.payment(payment.merchantId, payment.mode, payment.id),
        UpdateExpression:
          'SET refundableAmount = if_not_exists(refundableAmount, #amount) - :amt, refundCount = if_not_exists(refundCount, :zero) + :one',
        ConditionExpression:
          '#status IN (:succeeded, :partial) AND (refundableAmount >= :amt OR (attribute_not_exists(refundableAmount) AND #amount >= :amt)) AND (attribute_not_exists(refundCount) OR refundCount < :max)',
        ExpressionAttributeNames: { '#amount': 'amount', '#status': 'status' },
        ExpressionAttributeValues: {
          ':amt': refund.amount,
          ':zero': 0,
          ':one': 1,
          ':max': input.policy.maxRefundsPerPayment,
          ':succeeded': 'succeeded',
          ':partial': 'partially_refunded',
        },
      },
    },
    {
      Put: {
        TableName: tableName(),
        Item: refundItem(refund),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    ...postingItems([input.hold]),
    { Put: { TableName: tableName(), Item: eventItem(input.event, refund.merchantId) } },
    ...input.deliveries.map((d) => ({ Put: { TableName: tableName(), Item: deliveryItem(d) } })),
    auditPut(
      refund.merchantId,
      input.audit.actor,
      'refund.created',
      { type: 'refund', id: refund.id },
      input.audit.meta,
      { mode: refund.mode },
    ),
    {
      Update: {
        TableName: tableName(),
        Key: keys.idempotency(refund.merchantId, refund.mode, input.idempotency.key),
        UpdateExpression: 'SET #state = :done, #response = :response',
        ConditionExpression: 'paymentId = :id AND #state = :progress',
        ExpressionAttributeNames: { '#state': 'state', '#response': 'response' },
        ExpressionAttributeValues: {
          ':done': 'completed',
          ':response': { status: input.idempotency.status, body: input.idempotency.body },
          ':id': refund.id,
          ':progress': 'in_progress',
        },
      },
    },
  ];
  const out = await transact(items);
  if (out === 'ok') return 'reserved';
  if (out.failed[0] === 'ConditionalCheckFailed') return 'refused';
  throw new Error(`refund reserve failed on a condition other than the payment's: ${out.failed.join(',')}`);
}

/**
 * A refund's move, all or nothing: the refund (conditional on its version), the
 * payment (on `succeeded`: its refunded total and status, conditional on its
 * version; on `failed`: the amount back to its counter), the ledger postings,
 * and the event with its deliveries.
 */
async function transition(input: {
  refund: Refund;
  change: RefundChange;
  /** The payment as read for this move; required for `succeeded` and `failed`. */
  payment: Payment | undefined;
  paymentStatus: Payment['status'] | undefined;
  postings: Posting[];
  event: OutboundEvent | undefined;
  deliveries: Delivery[];
}): Promise<'recorded' | 'stale'> {
  const { refund, change, payment } = input;
  const due = dueIndex(refund.id, change.nextCheckAt);
  const items: TransactItem[] = [
    {
      Update: {
        TableName: tableName(),
        Key: keys.refund(refund.merchantId, refund.mode, refund.id),
        ...update(
          {
            status: change.status,
            providerRefundId: change.providerRefundId,
            providerStatus: change.providerStatus,
            failureReason: change.failureReason,
            nextAction: change.nextAction,
            lastCheckedAt: change.checkedAt,
            nextCheckAt: change.nextCheckAt,
            updatedAt: change.checkedAt,
            version: refund.version + 1,
            submitted: refund.submitted || change.providerRefundId !== null,
            ...due.set,
          },
          due.remove,
          { expression: 'version = :version', values: { ':version': refund.version } },
        ),
      },
    },
  ];
  if (change.status === 'succeeded' && payment && input.paymentStatus) {
    items.push({
      Update: {
        TableName: tableName(),
        Key: keys.payment(payment.merchantId, payment.mode, payment.id),
        UpdateExpression:
          'SET amountRefunded = if_not_exists(amountRefunded, :zero) + :amt, #status = :status, version = :next, updatedAt = :now',
        ConditionExpression: 'version = :version',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':zero': 0,
          ':amt': refund.amount,
          ':status': input.paymentStatus,
          ':version': payment.version,
          ':next': payment.version + 1,
          ':now': change.checkedAt,
        },
      },
    });
  }
  if (change.status === 'failed' && payment) {
    // The amount goes back to what can be refunded; the failed refund no longer counts against the policy.
    items.push({
      Update: {
        TableName: tableName(),
        Key: keys.payment(payment.merchantId, payment.mode, payment.id),
        UpdateExpression: 'SET refundableAmount = refundableAmount + :amt, refundCount = refundCount - :one',
        ConditionExpression: 'attribute_exists(refundableAmount)',
        ExpressionAttributeValues: { ':amt': refund.amount, ':one': 1 },
      },
    });
  }
  items.push(...postingItems(input.postings));
  if (input.event)
    items.push({ Put: { TableName: tableName(), Item: eventItem(input.event, refund.merchantId) } });
  for (const d of input.deliveries) items.push({ Put: { TableName: tableName(), Item: deliveryItem(d) } });
  const out = await transact(items);
  return out === 'ok' ? 'recorded' : 'stale';
}

export interface RefundFilters {
  status?: RefundStatus | undefined;
  paymentId?: string | undefined;
  createdFrom?: Date | undefined;
  createdTo?: Date | undefined;
}

/** Refunds newest first (ULID ids sort), filtered; the list convention's cursor. */
export async function listRefunds(
  merchantId: string,
  mode: Mode,
  filters: RefundFilters,
  limit: number,
  cursor?: string,
): Promise<Page<Refund>> {
  return queryPage({
    partition: keys.modePartition(merchantId, mode),
    sortKey: { between: keys.refundsCreated(filters.createdFrom, filters.createdTo) },
    filter: allOf(equals('status', filters.status), equals('paymentId', filters.paymentId)),
    limit,
    cursor,
    read: readRefund,
  });
}

/** Sets a merchant's refund policy in one mode (`npm run admin -- set-refund-policy`). */
export async function setRefundPolicy(merchantId: string, mode: Mode, policy: RefundPolicy): Promise<void> {
  await dynamoClient().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.amountLimits(merchantId, mode),
      UpdateExpression: 'SET refundPolicy = :policy',
      ExpressionAttributeValues: { ':policy': policy },
    }),
  );
}
