import { capturePostings } from '#core/ledger';
import { postingItems } from './ledger.ts';
import { refundFieldOrder } from '#core/refunds';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { encodeTime } from 'ulid';
import type { Mode } from '#core/actor';
import type { SecurityNote } from '#core/identity';
import { idFirst, inFieldOrder } from '#core/field-order';
import { type Payment, publicPayment, type TransitionOutcome } from '#core/payments';
import {
  type Delivery,
  type DeliveryAttempt,
  eventFieldOrder,
  type EventFilters,
  type OutboundEvent,
  type PaymentTransitionRecord,
  type WebhookEndpoint,
  type WebhookStore,
} from '#core/webhooks';
import { dynamoClient } from '#runtime/clients';
import { auditPut } from './audit.ts';
import { cancellationReasons, isConditionFailure } from './conditions.ts';
import { keys } from './keys.ts';
import { securityEventPut } from './security-events.ts';
import { reconcileNamespace } from './payments.ts';
import {
  decodeCursor,
  encodeCursor,
  itemsWithPrefix,
  type Page,
  ulidTime,
  withinRange,
} from './pagination.ts';
import { tableName } from './table-name.ts';

type Item = Record<string, unknown>;
const strip = <T>(item: Item): T => {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, type: _t, ...rest } = item;
  return rest as T;
};

/** The item's `type` names the item kind, so the event's own type is stored as `eventType`. */
export const eventItem = ({ type: eventType, ...rest }: OutboundEvent, merchantId: string) => ({
  ...keys.event(merchantId, rest.mode, rest.id),
  type: 'event',
  merchantId,
  ...rest,
  eventType,
});
const fromEventItem = (item: Item): OutboundEvent => {
  const {
    merchantId: _m,
    eventType,
    ...rest
  } = strip<OutboundEvent & { merchantId: string; eventType: string }>(item);
  // DynamoDB keeps no attribute order, nested maps included: answer and deliver in the schema's.
  const object = rest.data.object;
  const ordered =
    object !== null && typeof object === 'object'
      ? String((object as { id?: unknown }).id).startsWith('pay_')
        ? publicPayment(object as Payment)
        : String((object as { id?: unknown }).id).startsWith('re_')
          ? inFieldOrder(object, refundFieldOrder)
          : idFirst(object)
      : object;
  return inFieldOrder(
    { ...rest, type: eventType as OutboundEvent['type'], data: { object: ordered } },
    eventFieldOrder,
  );
};
export const deliveryItem = (d: Delivery) => ({
  ...keys.delivery(d.merchantId, d.mode, d.eventId, d.endpointId),
  ...keys.deliveriesOfEndpoint(d.merchantId, d.mode, d.endpointId, d.createdAt, d.eventId),
  type: 'delivery',
  ...d,
});

/** Every endpoint of a merchant in one mode (a merchant has few: one query). */
export function listEndpoints(merchantId: string, mode: Mode): Promise<WebhookEndpoint[]> {
  return itemsWithPrefix(
    keys.modePartition(merchantId, mode),
    keys.endpointPrefix,
    (i) => strip<WebhookEndpoint>(i),
    {
      consistent: true,
    },
  );
}

export async function getEndpoint(
  merchantId: string,
  mode: Mode,
  id: string,
): Promise<WebhookEndpoint | undefined> {
  const out = await dynamoClient().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.endpoint(merchantId, mode, id),
      ConsistentRead: true,
    }),
  );
  return out.Item ? strip<WebhookEndpoint>(out.Item) : undefined;
}

/** Writes an endpoint; `expectedUpdatedAt` makes it a conditional replace (null = must not exist). */
/**
 * Writes an endpoint (created when `expectedUpdatedAt` is null, else only if it
 * is unchanged). With `note`, the owner's security event is written in the same
 * transaction: a merchant's own changes to where events go are always recorded.
 */
export async function putEndpoint(
  endpoint: WebhookEndpoint,
  expectedUpdatedAt: string | null,
  note?: SecurityNote,
): Promise<boolean> {
  const put = {
    TableName: tableName(),
    Item: {
      ...keys.endpoint(endpoint.merchantId, endpoint.mode, endpoint.id),
      type: 'webhook_endpoint',
      ...endpoint,
    },
    ...(expectedUpdatedAt === null
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : {
          ConditionExpression: 'updatedAt = :u',
          ExpressionAttributeValues: { ':u': expectedUpdatedAt },
        }),
  };
  try {
    if (note) {
      await dynamoClient().send(
        new TransactWriteCommand({ TransactItems: [{ Put: put }, securityNotePut(note)] }),
      );
    } else {
      await dynamoClient().send(new PutCommand(put));
    }
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

const securityNotePut = (n: SecurityNote) => ({
  Put: securityEventPut(n.merchantId, n.kind, n.meta, n.detail),
});

export async function deleteEndpoint(
  merchantId: string,
  mode: Mode,
  id: string,
  note?: SecurityNote,
): Promise<boolean> {
  const del = {
    TableName: tableName(),
    Key: keys.endpoint(merchantId, mode, id),
    ConditionExpression: 'attribute_exists(pk)',
  };
  try {
    if (note) {
      await dynamoClient().send(
        new TransactWriteCommand({ TransactItems: [{ Delete: del }, securityNotePut(note)] }),
      );
    } else {
      await dynamoClient().send(new DeleteCommand(del));
    }
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export type { TransitionOutcome };

/**
 * How long a processed provider event is remembered: past every provider's retry
 * window (Paystack 72 h, Stripe 3 days, Flutterwave's dashboard setting) and a
 * manual resend from a provider dashboard weeks later. After it, a redelivery is
 * reconciled again and changes nothing, since states only move forward.
 */
export const providerEventTtlSeconds = 30 * 24 * 60 * 60;
const providerEventTtl = (now: string): number =>
  Math.floor(Date.parse(now) / 1000) + providerEventTtlSeconds;

/**
 * The verify worker's one write: the payment's new status, the provider event
 * marked as processed, the outbound event and one delivery per subscribed
 * endpoint — all or nothing. `duplicate`: the provider event was processed
 * already; `stale`: the payment moved meanwhile (re-read and re-decide).
 */
export async function recordPaymentTransition(input: PaymentTransitionRecord): Promise<TransitionOutcome> {
  const { payment, change } = input;
  // A move to `succeeded` records what was captured, and posts it to the ledger in this transaction.
  const capture = change.status === 'succeeded' ? change.capture : undefined;
  // The sweeper's sparse index keys follow the payment: kept while a check is due, removed once none is.
  const due = change.nextCheckAt
    ? keys.reconcileDue(reconcileNamespace(), payment.id, change.nextCheckAt)
    : undefined;
  const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
    {
      Update: {
        TableName: tableName(),
        Key: keys.payment(payment.merchantId, payment.mode, payment.id),
        UpdateExpression: `SET #status = :status, failureReason = :reason, updatedAt = :now, version = :next, settledBy = :by, lateSettlement = :late, amountMismatch = :mismatch, lastCheckedAt = :checked, nextCheckAt = :nextCheck${
          capture
            ? ', capturedAmount = :captured, refundableAmount = :captured, chargeId = :charge, fee = :fee'
            : ''
        }${due ? ', gsi2pk = :g2pk, gsi2sk = :g2sk' : ' REMOVE gsi2pk, gsi2sk'}`,
        ConditionExpression: 'version = :version',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': change.status,
          ':reason': change.failureReason,
          ':now': input.now,
          ':version': payment.version,
          ':next': payment.version + 1,
          ':by': change.settledBy,
          ':late': change.lateSettlement,
          ':mismatch': change.amountMismatch,
          ':checked': change.checkedAt,
          ':nextCheck': change.nextCheckAt,
          ...(due ? { ':g2pk': due.gsi2pk, ':g2sk': due.gsi2sk } : {}),
          ...(capture
            ? { ':captured': capture.amount, ':charge': capture.chargeId, ':fee': capture.fee }
            : {}),
        },
      },
    },
  ];
  const providerEvent = input.providerEvent;
  if (providerEvent) {
    items.push({
      Put: {
        TableName: tableName(),
        Item: {
          ...keys.providerEvent(
            payment.merchantId,
            payment.mode,
            providerEvent.provider,
            providerEvent.eventId,
          ),
          type: 'provider_event',
          providerEventType: providerEvent.type,
          merchantId: payment.merchantId,
          mode: payment.mode,
          paymentId: payment.id,
          outcome: 'applied',
          eventId: input.event?.id ?? null,
          processedAt: input.now,
          ttl: providerEventTtl(input.now),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
  }
  if (input.event)
    items.push({ Put: { TableName: tableName(), Item: eventItem(input.event, payment.merchantId) } });
  for (const d of input.deliveries) items.push({ Put: { TableName: tableName(), Item: deliveryItem(d) } });
  if (change.auditReason) {
    items.push(
      auditPut(
        payment.merchantId,
        { kind: 'anonymous' },
        `payment.${change.status}`,
        { type: 'payment', id: payment.id },
        { ip: '', userAgent: '', requestId: input.event?.id ?? '' },
        {
          mode: payment.mode,
          actorOverride: { type: 'system', id: change.settledBy },
          reason: change.auditReason,
        },
      ),
    );
  }
  if (capture) {
    items.push(...postingItems(capturePostings(payment, capture.amount, capture.fee, input.now)));
  }
  try {
    await dynamoClient().send(new TransactWriteCommand({ TransactItems: items }));
    return 'recorded';
  } catch (error) {
    const codes = cancellationReasons(error);
    if (providerEvent && codes[1] === 'ConditionalCheckFailed') return 'duplicate';
    if (codes[0] === 'ConditionalCheckFailed') return 'stale';
    throw error;
  }
}

/** Records a provider event that changed nothing (late, out of order, not ours): processed, ignored. */
export async function recordIgnoredProviderEvent(
  provider: string,
  eventId: string,
  info: { type: string; merchantId: string; mode: Mode; paymentId: string; reason: string; now: string },
): Promise<'recorded' | 'duplicate'> {
  try {
    await dynamoClient().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...keys.providerEvent(info.merchantId, info.mode, provider, eventId),
          type: 'provider_event',
          providerEventType: info.type,
          merchantId: info.merchantId,
          mode: info.mode,
          paymentId: info.paymentId,
          outcome: 'ignored',
          reason: info.reason,
          processedAt: info.now,
          ttl: providerEventTtl(info.now),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return 'recorded';
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return 'duplicate';
    throw error;
  }
}

/** A provider event this merchant and mode processed before, if any. */
export async function getProviderEvent(
  merchantId: string,
  mode: Mode,
  provider: string,
  eventId: string,
): Promise<{ eventId: string | null; outcome: string; merchantId: string; mode: Mode } | undefined> {
  const out = await dynamoClient().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.providerEvent(merchantId, mode, provider, eventId),
      ConsistentRead: true,
    }),
  );
  return out.Item as { eventId: string | null; outcome: string; merchantId: string; mode: Mode } | undefined;
}

/** An event and its deliveries, written together (test events, endpoint-disabled events). */
export async function insertEvent(
  merchantId: string,
  event: OutboundEvent,
  deliveries: Delivery[],
): Promise<void> {
  await dynamoClient().send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: tableName(),
            Item: eventItem(event, merchantId),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...deliveries.map((d) => ({ Put: { TableName: tableName(), Item: deliveryItem(d) } })),
      ],
    }),
  );
}

export async function getEvent(
  merchantId: string,
  mode: Mode,
  eventId: string,
): Promise<OutboundEvent | undefined> {
  const out = await dynamoClient().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.event(merchantId, mode, eventId),
      ConsistentRead: true,
    }),
  );
  return out.Item ? fromEventItem(out.Item) : undefined;
}

export type { EventFilters };

/** Events newest first; ids are ULIDs, so a created range is a key range. */
export async function listEvents(
  merchantId: string,
  mode: Mode,
  filters: EventFilters,
  limit: number,
  cursor?: string,
): Promise<Page<OutboundEvent>> {
  const pk = keys.modePartition(merchantId, mode);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {
    ':pk': pk,
    ':lower': filters.createdFrom ? `EVT#evt_${encodeTime(ulidTime(filters.createdFrom), 10)}` : 'EVT#',
    ':upper': filters.createdTo ? `EVT#evt_${encodeTime(ulidTime(filters.createdTo), 10)}~` : 'EVT#~',
  };
  const filter: string[] = [];
  if (filters.type) {
    names['#et'] = 'eventType';
    values[':et'] = filters.type;
    filter.push('#et = :et');
  }
  if (filters.paymentId) {
    values[':pay'] = filters.paymentId;
    filter.push('paymentId = :pay');
  }
  const out = await dynamoClient().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
      ...(filter.length > 0 ? { FilterExpression: filter.join(' AND ') } : {}),
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: withinRange(
        decodeCursor(cursor, { name: 'pk', value: pk }, keys.eventPrefix),
        values[':lower'] as string,
        values[':upper'] as string,
      ),
    }),
  );
  return {
    data: (out.Items ?? []).map(fromEventItem),
    hasMore: out.LastEvaluatedKey !== undefined,
    nextCursor: encodeCursor(out.LastEvaluatedKey),
  };
}

export async function getDelivery(
  merchantId: string,
  mode: Mode,
  eventId: string,
  endpointId: string,
): Promise<Delivery | undefined> {
  const out = await dynamoClient().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.delivery(merchantId, mode, eventId, endpointId),
      ConsistentRead: true,
    }),
  );
  return out.Item ? strip<Delivery>(out.Item) : undefined;
}

export function deliveriesOfEvent(merchantId: string, mode: Mode, eventId: string): Promise<Delivery[]> {
  return itemsWithPrefix(
    keys.modePartition(merchantId, mode),
    keys.deliveryPrefix(eventId),
    (i) => strip<Delivery>(i),
    {
      consistent: true,
    },
  );
}

/**
 * One page of an endpoint's failed deliveries created since a time (for recover):
 * one Query, so a caller's time is bounded; `next` continues it, undefined at the end.
 */
export async function failedDeliveriesPage(
  merchantId: string,
  mode: Mode,
  endpointId: string,
  since: Date,
  limit: number,
  start?: Record<string, unknown>,
): Promise<{ deliveries: Delivery[]; next: Record<string, unknown> | undefined }> {
  const out = await dynamoClient().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p AND gsi1sk >= :since',
      FilterExpression: '#status = :failed',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':p': keys.deliveriesOfEndpoint(merchantId, mode, endpointId, '', '').gsi1pk,
        ':since': since.toISOString(),
        ':failed': 'failed',
      },
      Limit: limit,
      ExclusiveStartKey: start,
    }),
  );
  return { deliveries: (out.Items ?? []).map((i) => strip<Delivery>(i)), next: out.LastEvaluatedKey };
}

/** Moves a delivery on, only if it is still in the status the caller saw. */
export async function updateDelivery(
  delivery: Delivery,
  patch: Partial<Pick<Delivery, 'status' | 'attemptCount' | 'nextAttemptAt' | 'lastAttemptAt'>>,
  now: string,
): Promise<boolean> {
  const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = {
    ':seen': delivery.status,
    ':seenCount': delivery.attemptCount,
    ':now': now,
  };
  const sets = ['#updatedAt = :now'];
  for (const [field, value] of Object.entries(patch)) {
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  }
  try {
    await dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.delivery(delivery.merchantId, delivery.mode, delivery.eventId, delivery.endpointId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: '#status = :seen AND attemptCount = :seenCount',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Creates or resets a delivery to pending (resend keeps its id, so the `webhook-id` stays the same). */
export async function putDelivery(delivery: Delivery): Promise<void> {
  await dynamoClient().send(new PutCommand({ TableName: tableName(), Item: deliveryItem(delivery) }));
}

export async function putAttempt(merchantId: string, mode: Mode, attempt: DeliveryAttempt): Promise<void> {
  await dynamoClient().send(
    new PutCommand({
      TableName: tableName(),
      Item: {
        ...keys.deliveryAttempt(merchantId, mode, attempt.eventId, attempt.id),
        type: 'delivery_attempt',
        ...attempt,
      },
    }),
  );
}

export function listAttempts(merchantId: string, mode: Mode, eventId: string): Promise<DeliveryAttempt[]> {
  return itemsWithPrefix(
    keys.modePartition(merchantId, mode),
    keys.attemptPrefix(eventId),
    (i) => strip<DeliveryAttempt>(i),
    { newestFirst: true, limit: 200 },
  );
}

/** The webhook aggregate on DynamoDB: the port core/webhooks.ts declares. */
export const webhookStore: WebhookStore = {
  listEndpoints,
  getEndpoint,
  putEndpoint,
  deleteEndpoint,
  recordPaymentTransition,
  recordIgnoredProviderEvent,
  getProviderEvent,
  insertEvent,
  getEvent,
  listEvents,
  getDelivery,
  deliveriesOfEvent,
  failedDeliveriesPage,
  updateDelivery,
  putDelivery,
  putAttempt,
  listAttempts,
};
