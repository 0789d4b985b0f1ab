import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  DeleteCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { encodeTime } from 'ulid';
import type { Mode } from '#core/actor';
import type { IdempotencyClaim, Payment, PaymentsStore, PaymentStatus } from '#core/payments';
import { dynamoClient } from '#runtime/clients';
import { auditPut } from './audit.ts';
import { isConditionFailure } from './conditions.ts';
import { keys } from './keys.ts';
import { decodeCursor, encodeCursor, ulidTime, withinRange, type Page } from './pagination.ts';
import { tableName } from './table-name.ts';

const idempotencyTtlSeconds = 24 * 3600;
/** A claim whose holder has not finished after this long is presumed crashed and may be taken over. */
const claimLeaseMs = 60_000;

interface IdempotencyItem {
  requestHash: string;
  paymentId: string;
  state: 'in_progress' | 'completed';
  lockedUntil: number;
  response?: { status: number; body: unknown };
  ttl: number;
}

const paymentItem = (p: Payment) => ({
  ...keys.payment(p.merchantId, p.mode, p.id),
  ...(p.reference
    ? keys.paymentReferenceIndex(p.merchantId, p.mode, p.reference, p.id)
    : p.paymentLinkId
      ? keys.paymentsOfLink(p.merchantId, p.mode, p.paymentLinkId, p.id)
      : {}),
  ...(p.nextCheckAt ? keys.reconcileDue(reconcileNamespace(), p.id, p.nextCheckAt) : {}),
  type: 'payment',
  ...p,
  // The customer's email folded to lower case, for the case-insensitive `email` filter.
  emailKey: p.customer.email.toLowerCase(),
});

/** Separates sweepers sharing one table (test files, two local stacks); empty in the cloud. */
export const reconcileNamespace = (): string => process.env.RECONCILE_NAMESPACE ?? '';

export const stripPayment = (item: Record<string, unknown>): Payment => {
  const {
    pk: _pk,
    sk: _sk,
    gsi1pk: _a,
    gsi1sk: _b,
    gsi2pk: _c,
    gsi2sk: _d,
    type: _t,
    emailKey: _e,
    ...rest
  } = item;
  return rest as unknown as Payment;
};

/** The DynamoDB implementation of the payments port. */
export const paymentsStore: PaymentsStore = {
  async claimIdempotency(merchantId, mode, key, hash, paymentId, now): Promise<IdempotencyClaim> {
    const Key = keys.idempotency(merchantId, mode, key);
    const nowSec = Math.floor(now.getTime() / 1000);
    try {
      await dynamoClient().send(
        new PutCommand({
          TableName: tableName(),
          Item: {
            ...Key,
            type: 'idempotency',
            requestHash: hash,
            paymentId,
            state: 'in_progress',
            lockedUntil: now.getTime() + claimLeaseMs,
            ttl: nowSec + idempotencyTtlSeconds,
          },
          // An expired record may linger until TTL deletes it: it no longer counts.
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': nowSec },
        }),
      );
      return { kind: 'claimed', paymentId };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const out = await dynamoClient().send(
      new GetCommand({ TableName: tableName(), Key, ConsistentRead: true }),
    );
    const held = out.Item as IdempotencyItem | undefined;
    if (!held) return { kind: 'in_progress' }; // released between our put and get: try again
    if (held.requestHash !== hash) return { kind: 'mismatch' };
    if (held.state === 'completed' && held.response) {
      return { kind: 'replay', status: held.response.status, body: held.response.body };
    }
    if (held.lockedUntil < now.getTime()) {
      // The first holder crashed mid-flight: take over, keeping its payment id.
      try {
        await dynamoClient().send(
          new UpdateCommand({
            TableName: tableName(),
            Key,
            UpdateExpression: 'SET lockedUntil = :lease',
            ConditionExpression: 'lockedUntil = :seen AND #state = :progress',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':lease': now.getTime() + claimLeaseMs,
              ':seen': held.lockedUntil,
              ':progress': 'in_progress',
            },
          }),
        );
        return { kind: 'claimed', paymentId: held.paymentId };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    return { kind: 'in_progress' };
  },

  async releaseIdempotency(merchantId, mode, key) {
    await dynamoClient()
      .send(
        new DeleteCommand({
          TableName: tableName(),
          Key: keys.idempotency(merchantId, mode, key),
          ConditionExpression: '#state = :progress',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':progress': 'in_progress' },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
  },

  async insertPayment(payment, idempotency, audit) {
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      {
        Put: {
          TableName: tableName(),
          Item: paymentItem(payment),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        // Provider webhooks name the attempt's reference: this finds the payment.
        Put: {
          TableName: tableName(),
          Item: {
            ...keys.attempt(payment.provider, payment.attemptReference),
            type: 'payment_attempt',
            merchantId: payment.merchantId,
            mode: payment.mode,
            paymentId: payment.id,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      auditPut(
        payment.merchantId,
        audit.actor,
        'payment.created',
        { type: 'payment', id: payment.id },
        audit.meta,
        { mode: payment.mode },
      ),
    ];
    if (idempotency) {
      items.push({
        Update: {
          TableName: tableName(),
          Key: keys.idempotency(payment.merchantId, payment.mode, idempotency.key),
          UpdateExpression: 'SET #state = :done, #response = :response',
          ConditionExpression: 'paymentId = :id AND #state = :progress',
          ExpressionAttributeNames: { '#state': 'state', '#response': 'response' },
          ExpressionAttributeValues: {
            ':done': 'completed',
            ':response': { status: idempotency.status, body: idempotency.body },
            ':id': payment.id,
            ':progress': 'in_progress',
          },
        },
      });
    }
    await dynamoClient().send(new TransactWriteCommand({ TransactItems: items }));
  },

  async getPayment(merchantId, mode, paymentId) {
    const out = await dynamoClient().send(
      new GetCommand({
        TableName: tableName(),
        Key: keys.payment(merchantId, mode, paymentId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? stripPayment(out.Item) : undefined;
  },

  async amountLimits(merchantId, mode) {
    const out = await dynamoClient().send(
      new GetCommand({ TableName: tableName(), Key: keys.amountLimits(merchantId, mode) }),
    );
    return (out.Item?.limits as Partial<Record<string, number>> | undefined) ?? {};
  },
};

/**
 * Sets (or, with `null`, removes) a merchant's maximum amount for one currency in
 * one mode, in minor units. An operator command (`npm run admin -- set-max-amount`).
 */
export async function setAmountLimit(
  merchantId: string,
  mode: Mode,
  currency: string,
  max: number | null,
): Promise<void> {
  if (max === null) {
    try {
      await dynamoClient().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.amountLimits(merchantId, mode),
          UpdateExpression: 'REMOVE limits.#c',
          ConditionExpression: 'attribute_exists(limits)',
          ExpressionAttributeNames: { '#c': currency },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    return;
  }
  await dynamoClient().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.amountLimits(merchantId, mode),
      UpdateExpression: 'SET limits = if_not_exists(limits, :empty), #type = :type',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':empty': {}, ':type': 'amount_limits' },
    }),
  );
  // A second update: DynamoDB cannot create a map and set a key in it in one expression.
  await dynamoClient().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.amountLimits(merchantId, mode),
      UpdateExpression: 'SET limits.#c = :max',
      ExpressionAttributeNames: { '#c': currency },
      ExpressionAttributeValues: { ':max': max },
    }),
  );
}

export interface PaymentFilters {
  status?: PaymentStatus | undefined;
  provider?: string | undefined;
  /** ISO 4217 code, upper case. */
  currency?: string | undefined;
  /** The customer's email, matched exactly but for case. */
  email?: string | undefined;
  reference?: string | undefined;
  /** Only payments made through this payment link (`plink_…`). */
  paymentLink?: string | undefined;
  createdFrom?: Date | undefined;
  createdTo?: Date | undefined;
}

/**
 * A merchant's payments in one mode, newest first. Payment ids are ULIDs, so a
 * created range is a sort-key range; a merchant reference goes through gsi1, and
 * so does a payment link (link payments carry no merchant reference); status and
 * provider filter the page (a page may then hold fewer than `limit`).
 */
export async function listPayments(
  merchantId: string,
  mode: Mode,
  filters: PaymentFilters,
  limit: number,
  cursor?: string,
): Promise<Page<Payment>> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const filterParts: string[] = [];
  if (filters.status) {
    names['#status'] = 'status';
    values[':status'] = filters.status;
    filterParts.push('#status = :status');
  }
  if (filters.provider) {
    names['#provider'] = 'provider';
    values[':provider'] = filters.provider;
    filterParts.push('#provider = :provider');
  }
  if (filters.currency) {
    names['#currency'] = 'currency';
    values[':currency'] = filters.currency;
    filterParts.push('#currency = :currency');
  }
  if (filters.email) {
    // `emailKey` is the lower-cased email; payments written before it existed match as stored.
    names['#emailKey'] = 'emailKey';
    names['#customer'] = 'customer';
    names['#email'] = 'email';
    values[':email'] = filters.email.toLowerCase();
    filterParts.push(
      '(#emailKey = :email OR (attribute_not_exists(#emailKey) AND #customer.#email = :email))',
    );
  }
  if (filters.paymentLink && filters.reference) {
    names['#link'] = 'paymentLinkId';
    values[':link'] = filters.paymentLink;
    filterParts.push('#link = :link');
  }
  const lower = filters.createdFrom ? `PAY#pay_${encodeTime(ulidTime(filters.createdFrom), 10)}` : 'PAY#';
  const upper = filters.createdTo ? `PAY#pay_${encodeTime(ulidTime(filters.createdTo), 10)}~` : 'PAY#~';
  let command: QueryCommand;
  if (filters.reference || filters.paymentLink) {
    const gsi1pk = filters.reference
      ? keys.paymentReferenceIndex(merchantId, mode, filters.reference, '').gsi1pk
      : keys.paymentsOfLink(merchantId, mode, filters.paymentLink as string, '').gsi1pk;
    values[':p'] = gsi1pk;
    command = new QueryCommand({
      TableName: tableName(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ...(filterParts.length > 0 ? { FilterExpression: filterParts.join(' AND ') } : {}),
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: decodeCursor(cursor, { name: 'gsi1pk', value: gsi1pk }),
    });
  } else {
    const pk = keys.modePartition(merchantId, mode);
    values[':pk'] = pk;
    values[':lower'] = lower;
    values[':upper'] = upper;
    command = new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
      ...(filterParts.length > 0 ? { FilterExpression: filterParts.join(' AND ') } : {}),
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: withinRange(
        decodeCursor(cursor, { name: 'pk', value: pk }, keys.paymentPrefix),
        values[':lower'] as string,
        values[':upper'] as string,
      ),
    });
  }
  const out = await dynamoClient().send(command);
  const items = (out.Items ?? []).filter((i) => i.type === 'payment').map(stripPayment);
  return {
    data: items,
    hasMore: out.LastEvaluatedKey !== undefined,
    nextCursor: encodeCursor(out.LastEvaluatedKey),
  };
}

/** The payment a provider attempt reference belongs to (for webhooks). */
export async function findAttempt(
  provider: string,
  reference: string,
): Promise<{ merchantId: string; mode: Mode; paymentId: string } | undefined> {
  const out = await dynamoClient().send(
    new GetCommand({ TableName: tableName(), Key: keys.attempt(provider, reference) }),
  );
  return out.Item as { merchantId: string; mode: Mode; paymentId: string } | undefined;
}
