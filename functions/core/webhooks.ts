import type { Mode } from './actor.ts';
import { newId } from './ids.ts';
import type { PaymentStatus } from './payments.ts';

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

/** The message on the deliveries queue. */
export interface DeliveryMessage {
  merchantId: string;
  mode: Mode;
  eventId: string;
  endpointId: string;
  /** Epoch ms before which the delivery must not be attempted (SQS delays stop at 15 min: longer waits chain). */
  notBefore: number;
}

/** The queue message for a delivery, due at `notBefore` (epoch ms). */
export const deliveryMessage = (d: Delivery, notBefore: number): DeliveryMessage => ({
  merchantId: d.merchantId,
  mode: d.mode,
  eventId: d.eventId,
  endpointId: d.endpointId,
  notBefore,
});

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
