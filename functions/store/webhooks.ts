import { capturePostings } from '#core/ledger';
import { postingItems } from './ledger.ts';
import { refundFieldOrder } from '#core/refunds';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { Mode } from '#core/actor';
import type { SecurityNote } from '#core/identity';
import { idFirst, inFieldOrder } from '#core/field-order';
import { type Payment, publicPayment, type TransitionOutcome } from '#core/payments';
import {
  type Delivery,
  type DeliveryAttempt,
  type DeliveryKey,
  type DeliveryPatch,
  eventFieldOrder,
  eventTypes,
  type EventFilters,
  type OutboundEvent,
  type PaymentTransitionRecord,
  type WebhookEndpoint,
  type WebhookStore,
} from '#core/webhooks';
import { dynamoClient } from '#runtime/clients';
import { auditPut } from './audit.ts';
import { cancellationReasons, conditionFailedAt, isConditionFailure, written } from './conditions.ts';
import { allOf, equals, update } from './expressions.ts';
import { check, type Item, optional, reader } from './items.ts';
import { keys } from './keys.ts';
import { securityEventPut } from './security-events.ts';
import { dueIndex } from './payments.ts';
import { itemsWithPrefix, type Page, queryPage } from './pagination.ts';
import { tableName } from './table-name.ts';

/** The readers of the webhook aggregate's items: each checks its type and identifying fields. */
const owned = { merchantId: check.text, mode: check.mode } as const;
const readEndpoint = reader<WebhookEndpoint>(
  'webhook endpoint',
  { id: check.id('we_'), ...owned, url: check.text, enabled: check.boolean, events: z.array(check.text) },
  { type: 'webhook_endpoint' },
);
const readDelivery = reader<Delivery>('delivery', {
  id: check.id('msg_'),
  ...owned,
  eventId: check.id('evt_'),
  endpointId: check.id('we_'),
  status: z.enum(['pending', 'delivered', 'failed']),
  attemptCount: check.int,
});
const readAttempt = reader<DeliveryAttempt>(
  'delivery attempt',
  { id: check.id('att_'), eventId: check.id('evt_'), attempt: check.int },
  { type: 'delivery_attempt' },
);
/** An event item: the event's own type is stored as `eventType` (the item's `type` is `event`). */
const readEvent = reader<Omit<OutboundEvent, 'type'> & { eventType: OutboundEvent['type'] }>(
  'event',
  {
    id: check.id('evt_'),
    mode: check.mode,
    eventType: z.enum(eventTypes),
    data: z.looseObject({ object: z.unknown() }),
  },
  { strip: ['merchantId'] },
);
interface ProcessedProviderEvent {
  eventId: string | null;
  outcome: string;
  merchantId: string;
  mode: Mode;
}
const readProviderEvent = reader<ProcessedProviderEvent>(
  'provider event',
  { ...owned, eventId: z.nullable(check.text), outcome: check.text },
  { type: 'provider_event' },
);

/** The item's `type` names the item kind, so the event's own type is stored as `eventType`. */
export const eventItem = ({ type: eventType, ...rest }: OutboundEvent, merchantId: string) => ({
  ...keys.event(merchantId, rest.mode, rest.id),
  type: 'event',
  merchantId,
  ...rest,
  eventType,
});
const fromEventItem = (item: Item): OutboundEvent => {
  const { eventType, ...rest } = readEvent(item);
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
  return inFieldOrder({ ...rest, type: eventType, data: { object: ordered } }, eventFieldOrder);
};
/**
 * A delivery item. Its `gsi1` keys (the endpoint's deliveries by creation time) are set only while it
 * has failed: `recover` reads failed deliveries and nothing else does, so a sparse index spares every
 * pending or delivered delivery its index write (half of each write's units).
 */
export const deliveryItem = (d: Delivery) => ({
  ...keys.delivery(d.merchantId, d.mode, d.eventId, d.endpointId),
  ...(d.status === 'failed' ? failedIndex(d) : {}),
  type: 'delivery',
  ...d,
});
const failedIndex = (d: Delivery) =>
  keys.deliveriesOfEndpoint(d.merchantId, d.mode, d.endpointId, d.createdAt, d.eventId);

/** Every endpoint of a merchant in one mode (a merchant has few: one query). */
export function listEndpoints(merchantId: string, mode: Mode): Promise<WebhookEndpoint[]> {
  return itemsWithPrefix(keys.modePartition(merchantId, mode), keys.endpointPrefix, readEndpoint, {
    consistent: true,
  });
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
  return optional(readEndpoint)(out.Item);
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
  const due = dueIndex(payment.id, change.nextCheckAt);
  const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
    {
      Update: {
        TableName: tableName(),
        Key: keys.payment(payment.merchantId, payment.mode, payment.id),
        ...update(
          {
            status: change.status,
            failureReason: change.failureReason,
            updatedAt: input.now,
            version: payment.version + 1,
            settledBy: change.settledBy,
            lateSettlement: change.lateSettlement,
            amountMismatch: change.amountMismatch,
            lastCheckedAt: change.checkedAt,
            nextCheckAt: change.nextCheckAt,
            ...(capture
              ? {
                  capturedAmount: capture.amount,
                  refundableAmount: capture.amount,
                  chargeId: capture.chargeId,
                  fee: capture.fee,
                }
              : {}),
            ...due.set,
          },
          due.remove,
          { expression: 'version = :version', values: { ':version': payment.version } },
        ),
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
  const stored = await written(
    dynamoClient().send(
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
    ),
  );
  return stored ? 'recorded' : 'duplicate';
}

/** A provider event this merchant and mode processed before, if any. */
export async function getProviderEvent(
  merchantId: string,
  mode: Mode,
  provider: string,
  eventId: string,
): Promise<ProcessedProviderEvent | undefined> {
  const out = await dynamoClient().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.providerEvent(merchantId, mode, provider, eventId),
      ConsistentRead: true,
    }),
  );
  return optional(readProviderEvent)(out.Item);
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
export function listEvents(
  merchantId: string,
  mode: Mode,
  filters: EventFilters,
  limit: number,
  cursor?: string,
): Promise<Page<OutboundEvent>> {
  return queryPage({
    partition: keys.modePartition(merchantId, mode),
    sortKey: { between: keys.eventsCreated(filters.createdFrom, filters.createdTo) },
    filter: allOf(equals('eventType', filters.type), equals('paymentId', filters.paymentId)),
    limit,
    cursor,
    read: fromEventItem,
  });
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
  return optional(readDelivery)(out.Item);
}

export function deliveriesOfEvent(merchantId: string, mode: Mode, eventId: string): Promise<Delivery[]> {
  return itemsWithPrefix(keys.modePartition(merchantId, mode), keys.deliveryPrefix(eventId), readDelivery, {
    consistent: true,
  });
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
        ':p': keys.endpointDeliveries(merchantId, mode, endpointId),
        ':since': since.toISOString(),
        ':failed': 'failed',
      },
      Limit: limit,
      ExclusiveStartKey: start,
    }),
  );
  return { deliveries: (out.Items ?? []).map(readDelivery), next: out.LastEvaluatedKey };
}

/** A delivery's move as an update, only if it is still in the status and attempt count the caller saw. */
function deliveryUpdate(delivery: Delivery, patch: DeliveryPatch, now: string) {
  // Failed: into the sparse index `recover` reads; moved on from failed: out of it.
  const index = patch.status === 'failed' ? failedIndex(delivery) : {};
  const leaving = patch.status !== undefined && patch.status !== 'failed' && delivery.status === 'failed';
  return {
    TableName: tableName(),
    Key: keys.delivery(delivery.merchantId, delivery.mode, delivery.eventId, delivery.endpointId),
    ...update({ updatedAt: now, ...patch, ...index }, leaving ? ['gsi1pk', 'gsi1sk'] : [], {
      expression: '#status = :seen AND attemptCount = :seenCount',
      names: { '#status': 'status' },
      values: { ':seen': delivery.status, ':seenCount': delivery.attemptCount },
    }),
  };
}

/** Moves a delivery on, only if it is still in the status the caller saw. */
export async function updateDelivery(
  delivery: Delivery,
  patch: DeliveryPatch,
  now: string,
): Promise<boolean> {
  return written(dynamoClient().send(new UpdateCommand(deliveryUpdate(delivery, patch, now))));
}

/**
 * The deliver worker's claim: one conditional update that counts the next attempt of a pending
 * delivery still at `seenAttemptCount`, answering the delivery as it was (undefined when refused).
 */
export async function claimDelivery(
  key: DeliveryKey,
  seenAttemptCount: number,
  now: string,
  seenLastAttemptAt?: string,
): Promise<Delivery | undefined> {
  const claimed = {
    attemptCount: seenAttemptCount + 1,
    lastAttemptAt: now,
    nextAttemptAt: null,
    updatedAt: now,
  };
  try {
    const out = await dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.delivery(key.merchantId, key.mode, key.eventId, key.endpointId),
        ...update(claimed, [], {
          expression:
            '#status = :pending AND attemptCount = :seenCount' +
            (seenLastAttemptAt === undefined ? '' : ' AND lastAttemptAt = :seenLast'),
          names: { '#status': 'status' },
          values: {
            ':pending': 'pending',
            ':seenCount': seenAttemptCount,
            ...(seenLastAttemptAt === undefined ? {} : { ':seenLast': seenLastAttemptAt }),
          },
        }),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return optional(readDelivery)(out.Attributes);
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

const attemptPut = (merchantId: string, mode: Mode, attempt: DeliveryAttempt) => ({
  TableName: tableName(),
  Item: {
    ...keys.deliveryAttempt(merchantId, mode, attempt.eventId, attempt.id),
    type: 'delivery_attempt',
    ...attempt,
  },
});

/** The attempt's log entry and the delivery's move in one transaction; the entry alone if the delivery moved. */
export async function recordAttempt(
  delivery: Delivery,
  attempt: DeliveryAttempt,
  patch: DeliveryPatch,
  now: string,
): Promise<boolean> {
  const put = attemptPut(delivery.merchantId, delivery.mode, attempt);
  try {
    await dynamoClient().send(
      new TransactWriteCommand({
        TransactItems: [{ Put: put }, { Update: deliveryUpdate(delivery, patch, now) }],
      }),
    );
    return true;
  } catch (error) {
    if (!conditionFailedAt(error, 1)) throw error;
    // A resend reset the delivery meanwhile: the attempt was made all the same, so it is logged.
    await dynamoClient().send(new PutCommand(put));
    return false;
  }
}

/** Creates or resets a delivery to pending (resend keeps its id, so the `webhook-id` stays the same). */
export async function putDelivery(delivery: Delivery): Promise<void> {
  await dynamoClient().send(new PutCommand({ TableName: tableName(), Item: deliveryItem(delivery) }));
}

export function listAttempts(merchantId: string, mode: Mode, eventId: string): Promise<DeliveryAttempt[]> {
  return itemsWithPrefix(keys.modePartition(merchantId, mode), keys.attemptPrefix(eventId), readAttempt, {
    newestFirst: true,
    limit: 200,
  });
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
  claimDelivery,
  updateDelivery,
  recordAttempt,
  putDelivery,
  listAttempts,
};
