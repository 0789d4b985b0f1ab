import type { Mode, RequestMeta } from './actor.ts';
import type { Page, SecurityEventKind, SecurityNote } from './identity.ts';
import { newId } from './ids.ts';
import type {
  Payment,
  PaymentChange,
  PaymentStatus,
  ProviderEventRef,
  TransitionOutcome,
} from './payments.ts';
import type { RefundStatus } from './refunds.ts';

/** Outbound event types (ARCHITECTURE.md, Outbound events). */
export const eventTypes = [
  'payment.succeeded',
  'payment.failed',
  'payment.cancelled',
  'payment.expired',
  'payment.amount_mismatch',
  'refund.created',
  'refund.succeeded',
  'refund.failed',
  'refund.requires_action',
  'webhook_endpoint.test',
  'webhook_endpoint.disabled',
] as const;
export type EventType = (typeof eventTypes)[number];

/** The event a refund's move to `status` produces for merchants, if any (`refund.created` is sent at creation). */
export function refundEventTypeFor(status: RefundStatus): EventType | undefined {
  switch (status) {
    case 'succeeded':
      return 'refund.succeeded';
    case 'failed':
      return 'refund.failed';
    case 'requires_action':
      return 'refund.requires_action';
    case 'pending':
      return undefined;
  }
}

/** The event a payment status produces for merchants, if any. */
export function eventTypeFor(status: PaymentStatus): EventType | undefined {
  switch (status) {
    case 'succeeded':
      return 'payment.succeeded';
    case 'failed':
      return 'payment.failed';
    case 'cancelled':
      return 'payment.cancelled';
    case 'expired':
      return 'payment.expired';
    case 'requires_review':
      return 'payment.amount_mismatch';
    // Not final, or (refunds) announced by the refund's own events.
    case 'pending':
    case 'processing':
    case 'partially_refunded':
    case 'refunded':
      return undefined;
  }
}

/** The event's fields in the order of its answer schema (`id` first). */
export const eventFieldOrder = ['id', 'type', 'createdAt', 'mode', 'data', 'paymentId'] as const;

export interface OutboundEvent {
  id: string;
  type: EventType;
  createdAt: string;
  mode: Mode;
  data: { object: unknown };
  /** The payment the event is about, for filtering. */
  paymentId: string | null;
}

/** The exact body merchants receive (and that is signed). */
export function eventBody(event: OutboundEvent): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    createdAt: event.createdAt,
    mode: event.mode,
    data: event.data,
  });
}

export interface EndpointSecret {
  /** Envelope-sealed `whsec_…` (runtime/envelope.ts). */
  sealed: unknown;
  createdAt: string;
  /** Set when rotated out: still signs until then. */
  expiresAt: string | null;
}

export interface WebhookEndpoint {
  id: string;
  merchantId: string;
  mode: Mode;
  url: string;
  /** Event types, or `['*']` for all. */
  events: string[];
  description: string | null;
  enabled: boolean;
  secrets: EndpointSecret[];
  /** When the endpoint started failing every delivery (cleared by a success). */
  failingSince: string | null;
  disabledReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export function subscribes(endpoint: Pick<WebhookEndpoint, 'events' | 'enabled'>, type: EventType): boolean {
  if (!endpoint.enabled) return false;
  return endpoint.events.includes('*') || endpoint.events.includes(type);
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface Delivery {
  /** `msg_…`: the `webhook-id` header, the same on every retry and resend. */
  id: string;
  merchantId: string;
  mode: Mode;
  eventId: string;
  endpointId: string;
  status: DeliveryStatus;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryAttempt {
  id: string;
  eventId: string;
  endpointId: string;
  deliveryId: string;
  attempt: number;
  at: string;
  /** HTTP status, when an answer came. */
  status: number | null;
  latencyMs: number;
  /** First 1 KB of the answer. */
  responseBody: string | null;
  error: string | null;
}

/** Svix/Standard Webhooks' schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const defaultRetrySchedule = [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400] as const;

/**
 * Seconds to wait before attempt number `attempt` (1-based: attempt 1 is the
 * first try), or undefined when the schedule is spent. ±20 % jitter spreads
 * retries; a larger Retry-After from the endpoint wins.
 */
export function retryDelay(
  schedule: readonly number[],
  attempt: number,
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  const base = schedule[attempt - 1];
  if (base === undefined) return undefined;
  const jittered = Math.round(base * (0.8 + 0.4 * random()));
  return Math.max(jittered, retryAfterSeconds ?? 0);
}

/** An endpoint failing every delivery for this long is disabled. */
export const disableAfterMs = 5 * 24 * 3600 * 1000;

/**
 * Which delivery: one event to one endpoint, in one merchant and mode. The deliveries queue carries it
 * (its message schema is in runtime/queues.ts); the delivery's state is claimed in the store, never taken
 * from the message.
 */
export type DeliveryKey = Pick<Delivery, 'merchantId' | 'mode' | 'eventId' | 'endpointId'>;

/**
 * A delivery as queued: which one, the attempt count it was queued at (the claim's condition: a
 * duplicate or outdated message claims nothing), and, when the queue carries it, the event's exact
 * body (`eventBody`), so the worker need not read the event. Messages queued before these fields
 * existed have neither: the worker then reads the delivery and the event.
 */
export interface DeliveryJob extends DeliveryKey {
  attemptCount?: number | undefined;
  body?: string | undefined;
}

/** What a delivery attempt changes on its delivery (status, schedule). */
export type DeliveryPatch = Partial<
  Pick<Delivery, 'status' | 'attemptCount' | 'nextAttemptAt' | 'lastAttemptAt'>
>;

/** A fresh, pending delivery of an event to one endpoint (its id is the `webhook-id`). */
export const newDelivery = (
  event: Pick<OutboundEvent, 'id' | 'mode'>,
  merchantId: string,
  endpointId: string,
  now: string,
): Delivery => ({
  id: newId('msg'),
  merchantId,
  mode: event.mode,
  eventId: event.id,
  endpointId,
  status: 'pending',
  attemptCount: 0,
  nextAttemptAt: now,
  lastAttemptAt: null,
  createdAt: now,
  updatedAt: now,
});

/** What the API shows of an endpoint: never a secret. */
export function publicEndpoint(e: WebhookEndpoint) {
  const { merchantId: _m, secrets, ...rest } = e;
  return { ...rest, secretRotatedUntil: secrets.find((s) => s.expiresAt)?.expiresAt ?? null };
}

// ---------------------------------------------------------------------------
// Ports: what the webhook domain needs from outside core (app/webhooks.ts wires them).
// ---------------------------------------------------------------------------

/** A provider event processed before (the dedupe record): the event it produced, if it moved a payment. */
export interface ProcessedProviderEvent {
  eventId: string | null;
  outcome: string;
  merchantId: string;
  mode: Mode;
}

/** One payment move as the store writes it, all or nothing. */
export interface PaymentTransitionRecord {
  payment: Payment;
  change: PaymentChange;
  /** The provider event that caused it (de-duplicated in the same write); none for verify or the sweeper. */
  providerEvent: ProviderEventRef | undefined;
  event: OutboundEvent | undefined;
  deliveries: Delivery[];
  now: string;
}

export interface EventFilters {
  type?: string | undefined;
  paymentId?: string | undefined;
  createdFrom?: Date | undefined;
  createdTo?: Date | undefined;
}

/** Where an interrupted page read continues (opaque to the domain). */
export type PageCursor = Record<string, unknown>;

/** The webhook aggregate's store (store/webhooks.ts on DynamoDB; test/support/memory/webhooks.ts in memory). */
export interface WebhookStore {
  listEndpoints(merchantId: string, mode: Mode): Promise<WebhookEndpoint[]>;
  getEndpoint(merchantId: string, mode: Mode, id: string): Promise<WebhookEndpoint | undefined>;
  /** Creates (`expectedUpdatedAt` null) or replaces if unchanged; with `note`, the security event in the same write. */
  putEndpoint(
    endpoint: WebhookEndpoint,
    expectedUpdatedAt: string | null,
    note?: SecurityNote,
  ): Promise<boolean>;
  deleteEndpoint(merchantId: string, mode: Mode, id: string, note?: SecurityNote): Promise<boolean>;
  /**
   * The payment's move, the provider event marked processed, the merchant event and its deliveries:
   * `duplicate` when the provider event was processed already, `stale` when the payment moved meanwhile.
   */
  recordPaymentTransition(input: PaymentTransitionRecord): Promise<TransitionOutcome>;
  /** Marks a provider event processed without a move (late, out of order). */
  recordIgnoredProviderEvent(
    provider: string,
    eventId: string,
    info: { type: string; merchantId: string; mode: Mode; paymentId: string; reason: string; now: string },
  ): Promise<'recorded' | 'duplicate'>;
  getProviderEvent(
    merchantId: string,
    mode: Mode,
    provider: string,
    eventId: string,
  ): Promise<ProcessedProviderEvent | undefined>;
  /** An event and its deliveries, written together. */
  insertEvent(merchantId: string, event: OutboundEvent, deliveries: Delivery[]): Promise<void>;
  getEvent(merchantId: string, mode: Mode, eventId: string): Promise<OutboundEvent | undefined>;
  listEvents(
    merchantId: string,
    mode: Mode,
    filters: EventFilters,
    limit: number,
    cursor?: string,
  ): Promise<Page<OutboundEvent>>;
  getDelivery(
    merchantId: string,
    mode: Mode,
    eventId: string,
    endpointId: string,
  ): Promise<Delivery | undefined>;
  deliveriesOfEvent(merchantId: string, mode: Mode, eventId: string): Promise<Delivery[]>;
  /** One page of an endpoint's failed deliveries created since a time; `next` continues it. */
  failedDeliveriesPage(
    merchantId: string,
    mode: Mode,
    endpointId: string,
    since: Date,
    limit: number,
    start?: PageCursor,
  ): Promise<{ deliveries: Delivery[]; next: PageCursor | undefined }>;
  /**
   * Claims the next attempt of a pending delivery in one conditional write: only while it is pending
   * with `seenAttemptCount` attempts (and, when given, `seenLastAttemptAt`: taking over an abandoned
   * claim), it counts one more, `lastAttemptAt` = `now` and `nextAttemptAt` null until the attempt is
   * recorded. Answers the delivery as it was before the claim, or undefined when another claim (or a
   * resend, or the end of its schedule) came first.
   */
  claimDelivery(
    key: DeliveryKey,
    seenAttemptCount: number,
    now: string,
    seenLastAttemptAt?: string,
  ): Promise<Delivery | undefined>;
  /** Moves a delivery on only if its status and attempt count are still what the caller saw. */
  updateDelivery(delivery: Delivery, patch: DeliveryPatch, now: string): Promise<boolean>;
  /**
   * The attempt log's entry and the delivery's move (as `updateDelivery`), in one write. When the
   * delivery moved meanwhile (a resend reset it), the entry is still logged and the answer is false.
   */
  recordAttempt(
    delivery: Delivery,
    attempt: DeliveryAttempt,
    patch: DeliveryPatch,
    now: string,
  ): Promise<boolean>;
  /** Creates or resets a delivery. */
  putDelivery(delivery: Delivery): Promise<void>;
  listAttempts(merchantId: string, mode: Mode, eventId: string): Promise<DeliveryAttempt[]>;
}

/** A step of a recover: failed deliveries of one endpoint since a time, from `cursor`. */
export interface RecoverStep {
  merchantId: string;
  mode: Mode;
  endpointId: string;
  since: Date;
  cursor?: PageCursor | undefined;
}

/** The deliveries queue (runtime/queues.ts on SQS). */
export interface DeliveryQueue {
  /**
   * Queues deliveries due at `notBefore` (epoch ms); a queue may hold each back at most so long, then it
   * comes early. Each goes with its attempt count when it has one; `body` is the event's (`eventBody`),
   * when all are of one event and the caller has it (a queue may leave a large one out).
   */
  enqueue(
    deliveries: readonly (DeliveryKey & { attemptCount?: number | undefined })[],
    notBefore: number,
    body?: string,
  ): Promise<void>;
  /** Queues the next step of a recover. */
  enqueueRecover(step: RecoverStep): Promise<void>;
  /** Parks a delivery whose schedule is spent (it stays resendable). */
  deadLetter(delivery: DeliveryKey, notBefore: number): Promise<void>;
}

/** Seals and opens endpoint secrets (envelope encryption), bound to the endpoint they belong to. */
export interface EndpointSecrets {
  seal(secret: string, endpoint: Pick<WebhookEndpoint, 'merchantId' | 'mode' | 'id'>): Promise<unknown>;
  open(sealed: unknown, endpoint: Pick<WebhookEndpoint, 'merchantId' | 'mode' | 'id'>): Promise<string>;
}

/** Structured log lines and counted metrics (the operator's metric filters read both). */
export interface Telemetry {
  log(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown>): void;
  count(metric: string, dimensions: Record<string, string>): void;
}

/** What every part of the webhook domain is built on. */
export interface WebhookDeps {
  readonly store: WebhookStore;
  readonly queue: DeliveryQueue;
  readonly telemetry: Telemetry;
  /** Epoch ms; defaults to Date.now. */
  readonly now?: () => number;
}

export const clockOf = (deps: Pick<WebhookDeps, 'now'>): number => (deps.now ?? Date.now)();

/** A security event written for the merchant (rejected signatures). */
export type SecurityEventWriter = (
  merchantId: string,
  kind: SecurityEventKind,
  meta: RequestMeta,
  detail: Record<string, string>,
) => Promise<void>;

/** Records an event and one pending delivery per given endpoint, then queues them (test and system events). */
export async function emitEvent(
  deps: WebhookDeps,
  merchantId: string,
  event: OutboundEvent,
  endpoints: readonly Pick<WebhookEndpoint, 'id'>[],
): Promise<OutboundEvent> {
  const deliveries = endpoints.map((e) => newDelivery(event, merchantId, e.id, event.createdAt));
  await deps.store.insertEvent(merchantId, event, deliveries);
  if (deliveries.length > 0) await deps.queue.enqueue(deliveries, clockOf(deps), eventBody(event));
  return event;
}
