import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { encodeTime } from 'ulid';
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
} from '#core/refunds';
import type { Delivery, OutboundEvent } from '#core/webhooks';
import { dynamoClient } from '#runtime/clients';
import { auditPut } from './audit.ts';
import { cancellationReasons } from './conditions.ts';
import { keys } from './keys.ts';
import { postingItems } from './ledger.ts';
import { decodeCursor, encodeCursor, type Page, ulidTime, withinRange } from './pagination.ts';
import { reconcileNamespace } from './payments.ts';
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

export const stripRefund = (item: Record<string, unknown>): Refund => {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, type: _t, ...rest } = item;
  return rest as unknown as Refund;
};

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
    return out.Item ? stripRefund(out.Item) : undefined;
  },

  async refundsOfPayment(merchantId, mode, paymentId) {
    const gsi1pk = keys.refundsOfPayment(merchantId, mode, paymentId, '').gsi1pk;
    const out = await dynamoClient().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': gsi1pk },
        ScanIndexForward: false,
        Limit: 100,
      }),
    );
    // The index is eventually consistent: read each refund itself for its current state.
    const ids = (out.Items ?? []).map((i) => i.id as string);
    const found = await Promise.all(ids.map((id) => refundsStore.getRefund(merchantId, mode, id)));
    return found.filter((r): r is Refund => r !== undefined);
  },

  async refundPolicy(merchantId, mode) {
    const out = await dynamoClient().send(
      new GetCommand({ TableName: tableName(), Key: keys.amountLimits(merchantId, mode) }),
    );
    const stored = out.Item?.refundPolicy as Partial<RefundPolicy> | undefined;
    return { ...defaultRefundPolicy, ...stored };
  },

  async saveCheck(refund, fields) {
    const sets: string[] = ['version = :next', 'updatedAt = :now'];
    const values: Record<string, unknown> = {
      ':version': refund.version,
      ':next': refund.version + 1,
      ':now': new Date().toISOString(),
    };
    for (const [name, value] of Object.entries(fields)) {
      if (name === 'version' || name === 'updatedAt') continue;
      sets.push(`${name} = :${name}`);
      values[`:${name}`] = value;
    }
    const nextCheckAt = 'nextCheckAt' in fields ? fields.nextCheckAt : refund.nextCheckAt;
    const due = nextCheckAt ? keys.reconcileDue(reconcileNamespace(), refund.id, nextCheckAt) : undefined;
    if (due) {
      sets.push('gsi2pk = :g2pk', 'gsi2sk = :g2sk');
      values[':g2pk'] = due.gsi2pk;
      values[':g2sk'] = due.gsi2sk;
    }
    try {
      await dynamoClient().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.refund(refund.merchantId, refund.mode, refund.id),
          UpdateExpression: `SET ${sets.join(', ')}${due ? '' : ' REMOVE gsi2pk, gsi2sk'}`,
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  },

  async takeSubmitLease(refund, until) {
    try {
      await dynamoClient().send(
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
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
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
  const due = change.nextCheckAt
    ? keys.reconcileDue(reconcileNamespace(), refund.id, change.nextCheckAt)
    : undefined;
  const items: TransactItem[] = [
    {
      Update: {
        TableName: tableName(),
        Key: keys.refund(refund.merchantId, refund.mode, refund.id),
        UpdateExpression: `SET #status = :status, providerRefundId = :prid, providerStatus = :pstatus, failureReason = :reason, nextAction = :action, lastCheckedAt = :checked, nextCheckAt = :nextCheck, updatedAt = :checked, version = :next, submitted = :submitted${
          due ? ', gsi2pk = :g2pk, gsi2sk = :g2sk' : ' REMOVE gsi2pk, gsi2sk'
        }`,
        ConditionExpression: 'version = :version',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': change.status,
          ':prid': change.providerRefundId,
          ':pstatus': change.providerStatus,
          ':reason': change.failureReason,
          ':action': change.nextAction,
          ':checked': change.checkedAt,
          ':nextCheck': change.nextCheckAt,
          ':version': refund.version,
          ':next': refund.version + 1,
          ':submitted': refund.submitted || change.providerRefundId !== null,
          ...(due ? { ':g2pk': due.gsi2pk, ':g2sk': due.gsi2sk } : {}),
        },
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
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const parts: string[] = [];
  if (filters.status) {
    names['#status'] = 'status';
    values[':status'] = filters.status;
    parts.push('#status = :status');
  }
  if (filters.paymentId) {
    values[':payment'] = filters.paymentId;
    parts.push('paymentId = :payment');
  }
  const pk = keys.modePartition(merchantId, mode);
  const lower = filters.createdFrom
    ? `REFUND#re_${encodeTime(ulidTime(filters.createdFrom), 10)}`
    : 'REFUND#';
  const upper = filters.createdTo ? `REFUND#re_${encodeTime(ulidTime(filters.createdTo), 10)}~` : 'REFUND#~';
  values[':pk'] = pk;
  values[':lower'] = lower;
  values[':upper'] = upper;
  const out = await dynamoClient().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
      ...(parts.length > 0 ? { FilterExpression: parts.join(' AND ') } : {}),
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: withinRange(
        decodeCursor(cursor, { name: 'pk', value: pk }, keys.refundPrefix),
        lower,
        upper,
      ),
    }),
  );
  return {
    data: (out.Items ?? []).map(stripRefund),
    hasMore: out.LastEvaluatedKey !== undefined,
    nextCursor: encodeCursor(out.LastEvaluatedKey),
  };
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
