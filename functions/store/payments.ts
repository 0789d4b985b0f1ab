import * as z from 'zod/mini';
import {
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  DeleteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Mode } from '#core/actor';
import {
  type IdempotencyClaim,
  type Payment,
  type PaymentsStore,
  type PaymentStatus,
  paymentStatuses,
} from '#core/payments';
import type { RefundPolicy } from '#core/refunds';
import { dynamoClient } from '#runtime/clients';
import { auditPut } from './audit.ts';
import { isConditionFailure, written } from './conditions.ts';
import { allOf, type Clause, equals } from './expressions.ts';
import { check, type Item, optional, reader } from './items.ts';
import { keys } from './keys.ts';
import { type Page, queryPage } from './pagination.ts';
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
}

/** An idempotency record (payments', refunds' and payment-link submissions' keys share it). */
export const readIdempotency = reader<IdempotencyItem>('idempotency', {
  requestHash: check.text,
  paymentId: check.text,
  state: z.enum(['in_progress', 'completed']),
  lockedUntil: check.number,
});

/**
 * Fields a payment item leaves out while they hold their empty value (null, `{}`,
 * false), and `readPayment` puts back: a fresh payment carried ~150 bytes of
 * them, close to the 1 KB past which every write of it (and each index copy in
 * a transaction) costs double. Items written before keep them; both read alike.
 */
const emptyValues = {
  reference: null,
  description: null,
  redirectUrl: null,
  failureReason: null,
  lastCheckedAt: null,
  nextCheckAt: null,
  settledBy: null,
  amountMismatch: null,
  acceptOverpayment: false,
  lateSettlement: false,
} as const satisfies Partial<Payment>;

function withoutEmpty(p: Payment): Partial<Payment> {
  const out: Record<string, unknown> = { ...p };
  for (const [field, empty] of Object.entries(emptyValues)) if (out[field] === empty) delete out[field];
  if (Object.keys(p.metadata).length === 0) delete out.metadata;
  return out;
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
  ...withoutEmpty(p),
  // The customer's email folded to lower case, for the case-insensitive `email` filter
  // (left out when the email is already lower case: the filter then matches the email itself).
  ...(p.customer.email.toLowerCase() === p.customer.email
    ? {}
    : { emailKey: p.customer.email.toLowerCase() }),
});

/** Separates sweepers sharing one table (test files, two local stacks); empty in the cloud. */
export const reconcileNamespace = (): string => process.env.RECONCILE_NAMESPACE ?? '';

/**
 * The sweeper's sparse index keys (keys.reconcileDue) of a payment or refund whose
 * next check is `nextCheckAt`, as an update's parts: set while a check is due,
 * removed once none is, so settled history never costs a sweep.
 */
export function dueIndex(
  id: string,
  nextCheckAt: string | null | undefined,
): { set: Record<string, string>; remove: string[] } {
  return nextCheckAt
    ? { set: keys.reconcileDue(reconcileNamespace(), id, nextCheckAt), remove: [] }
    : { set: {}, remove: ['gsi2pk', 'gsi2sk'] };
}

const readStoredPayment = reader<Payment>(
  'payment',
  {
    id: check.id('pay_'),
    merchantId: check.text,
    mode: check.mode,
    status: z.enum(paymentStatuses),
    amount: check.int,
    currency: check.text,
    provider: check.provider,
    version: check.int,
  },
  { strip: ['emailKey'] },
);
/** A payment item as the domain's Payment: checked, without its keys or the store's `emailKey`, empty fields put back. */
export const readPayment = (item: Item): Payment => {
  const payment = readStoredPayment(item) as unknown as Record<string, unknown>;
  for (const [field, empty] of Object.entries({ ...emptyValues, metadata: {} })) {
    if (!(field in payment)) payment[field] = empty;
  }
  return payment as unknown as Payment;
};
/** The former name of `readPayment`. */
export const stripPayment = readPayment;

/** Where a provider attempt reference points. */
interface AttemptRef {
  merchantId: string;
  mode: Mode;
  paymentId: string;
}
const readAttempt = reader<AttemptRef>(
  'payment attempt',
  { merchantId: check.text, mode: check.mode, paymentId: check.id('pay_') },
  { type: 'payment_attempt' },
);

/** The per-mode settings item (amount limits, refund policy); written by operator commands. */
interface ModeSettings {
  limits?: Partial<Record<string, number>>;
  /** Stored as set: `setRefundPolicy` writes a whole policy. */
  refundPolicy?: RefundPolicy;
}
/** Reads the settings item: `setRefundPolicy` alone writes it without a `type`. */
export const readModeSettings = reader<ModeSettings>(
  'mode settings',
  {
    limits: z.optional(z.record(z.string(), check.number)),
    refundPolicy: z.optional(z.looseObject({ windowDays: check.int, maxRefundsPerPayment: check.int })),
  },
  { type: null },
);

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
    const held = optional(readIdempotency)(out.Item);
    if (!held) return { kind: 'in_progress' }; // released between our put and get: try again
    if (held.requestHash !== hash) return { kind: 'mismatch' };
    if (held.state === 'completed' && held.response) {
      return { kind: 'replay', status: held.response.status, body: held.response.body };
    }
    if (held.lockedUntil < now.getTime()) {
      // The first holder crashed mid-flight: take over, keeping its payment id.
      const taken = await written(
        dynamoClient().send(
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
        ),
      );
      if (taken) return { kind: 'claimed', paymentId: held.paymentId };
    }
    return { kind: 'in_progress' };
  },

  async releaseIdempotency(merchantId, mode, key) {
    await written(
      dynamoClient().send(
        new DeleteCommand({
          TableName: tableName(),
          Key: keys.idempotency(merchantId, mode, key),
          ConditionExpression: '#state = :progress',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':progress': 'in_progress' },
        }),
      ),
    );
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
    return optional(readPayment)(out.Item);
  },

  async amountLimits(merchantId, mode) {
    const out = await dynamoClient().send(
      new GetCommand({ TableName: tableName(), Key: keys.amountLimits(merchantId, mode) }),
    );
    return optional(readModeSettings)(out.Item)?.limits ?? {};
  },
};

type LimitsChanged = (merchantId: string, mode: Mode) => void;
const limitsWatchers = new Set<LimitsChanged>();

/**
 * Tells `watcher` whenever this process changes a merchant's amount limits
 * (`setAmountLimit`), so a per-container cache of them (app/payments.ts) drops
 * its copy at once instead of serving it out its few seconds.
 */
export function onAmountLimitsChanged(watcher: LimitsChanged): void {
  limitsWatchers.add(watcher);
}

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
  try {
    await writeAmountLimit(merchantId, mode, currency, max);
  } finally {
    for (const watcher of limitsWatchers) watcher(merchantId, mode);
  }
}

async function writeAmountLimit(
  merchantId: string,
  mode: Mode,
  currency: string,
  max: number | null,
): Promise<void> {
  if (max === null) {
    await written(
      dynamoClient().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.amountLimits(merchantId, mode),
          UpdateExpression: 'REMOVE limits.#c',
          ConditionExpression: 'attribute_exists(limits)',
          ExpressionAttributeNames: { '#c': currency },
        }),
      ),
    );
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
  const email: Clause | undefined = filters.email
    ? {
        // `emailKey` is the lower-cased email, left out when that is the email itself (and on payments
        // written before it existed): those match as stored.
        expression: '#emailKey = :email OR (attribute_not_exists(#emailKey) AND #customer.#email = :email)',
        names: { '#emailKey': 'emailKey', '#customer': 'customer', '#email': 'email' },
        values: { ':email': filters.email.toLowerCase() },
      }
    : undefined;
  const filter = allOf(
    equals('status', filters.status),
    equals('provider', filters.provider),
    equals('currency', filters.currency),
    email,
    // A reference and a link: the reference's index, then the link as a filter.
    filters.reference ? equals('paymentLinkId', filters.paymentLink) : undefined,
  );
  const page = { filter, limit, cursor, read: readPayment, keep: (i: Item) => i.type === 'payment' };
  if (filters.reference || filters.paymentLink) {
    return queryPage({
      index: 'gsi1',
      partition: filters.reference
        ? keys.paymentsWithReference(merchantId, mode, filters.reference)
        : keys.linkPayments(merchantId, mode, filters.paymentLink ?? ''),
      ...page,
    });
  }
  return queryPage({
    partition: keys.modePartition(merchantId, mode),
    sortKey: { between: keys.paymentsCreated(filters.createdFrom, filters.createdTo) },
    ...page,
  });
}

/** The payment a provider attempt reference belongs to (for webhooks). */
export async function findAttempt(
  provider: string,
  reference: string,
): Promise<{ merchantId: string; mode: Mode; paymentId: string } | undefined> {
  const out = await dynamoClient().send(
    new GetCommand({ TableName: tableName(), Key: keys.attempt(provider, reference) }),
  );
  return optional(readAttempt)(out.Item);
}
