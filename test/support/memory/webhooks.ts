import type { Mode } from '#core/actor';
import type { Page, SecurityNote } from '#core/identity';
import type { PaymentActivityEntry, PaymentActivityLog } from '#core/payment-activity';
import type { TransitionOutcome } from '#core/payments';
import type { ParsedWebhook, ProviderAdapter, SignatureCheck } from '#core/provider-adapter';
import type {
  Delivery,
  DeliveryAttempt,
  DeliveryKey,
  DeliveryPatch,
  DeliveryQueue,
  EndpointSecrets,
  EventFilters,
  OutboundEvent,
  PageCursor,
  PaymentTransitionRecord,
  ProcessedProviderEvent,
  RecoverStep,
  Telemetry,
  WebhookEndpoint,
  WebhookStore,
} from '#core/webhooks';
import { copy } from './conditions.ts';
import type { MemoryPayments } from './payments.ts';

/**
 * The webhook domain's ports in memory (core/webhooks.ts), with the conditions
 * of store/webhooks.ts: an endpoint is created only if absent and replaced only
 * if unchanged (`updatedAt`), a delivery moves only from the status and attempt
 * count the caller saw, a provider event is marked processed once (applied or
 * ignored), and a payment's move records its event and deliveries with it, all
 * or nothing. Every read hands out a copy, as a database would.
 */

const scope = (merchantId: string, mode: Mode) => `${merchantId}#${mode}`;
const deliveryId = (d: DeliveryKey) => `${scope(d.merchantId, d.mode)}#${d.eventId}#${d.endpointId}`;

/** The webhook store on Maps; payments' moves go through the payments store's own transaction. */
export class MemoryWebhookStore implements WebhookStore {
  readonly endpoints = new Map<string, WebhookEndpoint>();
  readonly events = new Map<string, OutboundEvent & { merchantId: string }>();
  readonly deliveries = new Map<string, Delivery>();
  readonly attempts: (DeliveryAttempt & { merchantId: string; mode: Mode })[] = [];
  readonly providerEvents = new Map<string, ProcessedProviderEvent & { reason?: string }>();
  /** Security notes written with endpoint changes, in order. */
  readonly notes: SecurityNote[] = [];

  private readonly payments: MemoryPayments | undefined;

  /** `payments`: the payments store whose `transition` moves the payment (needed for payment transitions). */
  constructor(payments?: MemoryPayments) {
    this.payments = payments;
  }

  async listEndpoints(merchantId: string, mode: Mode): Promise<WebhookEndpoint[]> {
    return [...this.endpoints.values()]
      .filter((e) => e.merchantId === merchantId && e.mode === mode)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map(copy);
  }

  async getEndpoint(merchantId: string, mode: Mode, id: string): Promise<WebhookEndpoint | undefined> {
    const found = this.endpoints.get(`${scope(merchantId, mode)}#${id}`);
    return found && copy(found);
  }

  async putEndpoint(
    endpoint: WebhookEndpoint,
    expectedUpdatedAt: string | null,
    note?: SecurityNote,
  ): Promise<boolean> {
    const k = `${scope(endpoint.merchantId, endpoint.mode)}#${endpoint.id}`;
    const current = this.endpoints.get(k);
    if (expectedUpdatedAt === null ? current !== undefined : current?.updatedAt !== expectedUpdatedAt) {
      return false;
    }
    this.endpoints.set(k, copy(endpoint));
    if (note) this.notes.push(copy(note));
    return true;
  }

  async deleteEndpoint(merchantId: string, mode: Mode, id: string, note?: SecurityNote): Promise<boolean> {
    if (!this.endpoints.delete(`${scope(merchantId, mode)}#${id}`)) return false;
    if (note) this.notes.push(copy(note));
    return true;
  }

  async recordPaymentTransition(input: PaymentTransitionRecord): Promise<TransitionOutcome> {
    if (!this.payments) throw new Error('MemoryWebhookStore needs the payments store for payment moves');
    const { payment, providerEvent } = input;
    const seen = providerEvent
      ? `${scope(payment.merchantId, payment.mode)}#${providerEvent.provider}#${providerEvent.eventId}`
      : undefined;
    // An event marked ignored earlier holds the same key: the move's condition on it fails.
    if (seen && this.providerEvents.has(seen)) return 'duplicate';
    const outcome = await this.payments.transition(payment, input.change, providerEvent);
    if (outcome !== 'recorded') return outcome;
    if (seen) {
      this.providerEvents.set(seen, {
        eventId: input.event?.id ?? null,
        outcome: 'applied',
        merchantId: payment.merchantId,
        mode: payment.mode,
      });
    }
    if (input.event)
      this.events.set(this.eventKey(payment.merchantId, input.event), {
        ...copy(input.event),
        merchantId: payment.merchantId,
      });
    for (const d of input.deliveries) this.deliveries.set(deliveryId(d), copy(d));
    return 'recorded';
  }

  async recordIgnoredProviderEvent(
    provider: string,
    eventId: string,
    info: { type: string; merchantId: string; mode: Mode; paymentId: string; reason: string; now: string },
  ): Promise<'recorded' | 'duplicate'> {
    const k = `${scope(info.merchantId, info.mode)}#${provider}#${eventId}`;
    if (this.providerEvents.has(k)) return 'duplicate';
    this.providerEvents.set(k, {
      eventId: null,
      outcome: 'ignored',
      merchantId: info.merchantId,
      mode: info.mode,
      reason: info.reason,
    });
    return 'recorded';
  }

  async getProviderEvent(
    merchantId: string,
    mode: Mode,
    provider: string,
    eventId: string,
  ): Promise<ProcessedProviderEvent | undefined> {
    const found = this.providerEvents.get(`${scope(merchantId, mode)}#${provider}#${eventId}`);
    return found && copy(found);
  }

  async insertEvent(merchantId: string, event: OutboundEvent, deliveries: Delivery[]): Promise<void> {
    const k = this.eventKey(merchantId, event);
    if (this.events.has(k)) throw new Error(`event ${event.id} exists`);
    this.events.set(k, { ...copy(event), merchantId });
    for (const d of deliveries) this.deliveries.set(deliveryId(d), copy(d));
  }

  async getEvent(merchantId: string, mode: Mode, eventId: string): Promise<OutboundEvent | undefined> {
    const found = this.events.get(`${scope(merchantId, mode)}#${eventId}`);
    if (!found) return undefined;
    const { merchantId: _m, ...event } = copy(found);
    return event;
  }

  async listEvents(
    merchantId: string,
    mode: Mode,
    filters: EventFilters,
    limit: number,
    cursor?: string,
  ): Promise<Page<OutboundEvent>> {
    const all = [...this.events.values()]
      .filter((e) => e.merchantId === merchantId && e.mode === mode)
      .filter((e) => !filters.type || e.type === filters.type)
      .filter((e) => !filters.paymentId || e.paymentId === filters.paymentId)
      .sort((a, b) => b.id.localeCompare(a.id))
      .filter((e) => cursor === undefined || e.id < cursor);
    const data = all.slice(0, limit).map(({ merchantId: _m, ...e }) => copy(e));
    const more = all.length > limit;
    return { data, hasMore: more, nextCursor: more ? (data.at(-1)?.id ?? null) : null };
  }

  async getDelivery(
    merchantId: string,
    mode: Mode,
    eventId: string,
    endpointId: string,
  ): Promise<Delivery | undefined> {
    const found = this.deliveries.get(deliveryId({ merchantId, mode, eventId, endpointId }));
    return found && copy(found);
  }

  async deliveriesOfEvent(merchantId: string, mode: Mode, eventId: string): Promise<Delivery[]> {
    return [...this.deliveries.values()]
      .filter((d) => d.merchantId === merchantId && d.mode === mode && d.eventId === eventId)
      .map(copy);
  }

  async failedDeliveriesPage(
    merchantId: string,
    mode: Mode,
    endpointId: string,
    since: Date,
    limit: number,
    start?: PageCursor,
  ): Promise<{ deliveries: Delivery[]; next: PageCursor | undefined }> {
    // Like the gsi1 query: the endpoint's failed deliveries (the index is sparse) by creation time.
    const ordered = [...this.deliveries.values()]
      .filter((d) => d.merchantId === merchantId && d.mode === mode && d.endpointId === endpointId)
      .filter((d) => d.status === 'failed')
      .filter((d) => d.createdAt >= since.toISOString())
      .sort((a, b) => (a.createdAt + a.eventId).localeCompare(b.createdAt + b.eventId));
    const from = typeof start?.after === 'string' ? ordered.findIndex((d) => d.id === start.after) + 1 : 0;
    const read = ordered.slice(from, from + limit);
    const last = read.at(-1);
    return {
      deliveries: read.filter((d) => d.status === 'failed').map(copy),
      next: from + limit < ordered.length && last ? { after: last.id } : undefined,
    };
  }

  async claimDelivery(
    key: DeliveryKey,
    seenAttemptCount: number,
    now: string,
    seenLastAttemptAt?: string,
  ): Promise<Delivery | undefined> {
    const k = deliveryId(key);
    const current = this.deliveries.get(k);
    if (!current || current.status !== 'pending' || current.attemptCount !== seenAttemptCount)
      return undefined;
    if (seenLastAttemptAt !== undefined && current.lastAttemptAt !== seenLastAttemptAt) return undefined;
    this.deliveries.set(k, {
      ...current,
      attemptCount: seenAttemptCount + 1,
      lastAttemptAt: now,
      nextAttemptAt: null,
      updatedAt: now,
    });
    return copy(current);
  }

  async updateDelivery(delivery: Delivery, patch: DeliveryPatch, now: string): Promise<boolean> {
    const k = deliveryId(delivery);
    const current = this.deliveries.get(k);
    if (!current || current.status !== delivery.status || current.attemptCount !== delivery.attemptCount) {
      return false;
    }
    this.deliveries.set(k, { ...current, ...patch, updatedAt: now });
    return true;
  }

  async recordAttempt(
    delivery: Delivery,
    attempt: DeliveryAttempt,
    patch: DeliveryPatch,
    now: string,
  ): Promise<boolean> {
    // One transaction in DynamoDB: the entry, and the move if the delivery is as seen; the entry alone if not.
    this.attempts.push({ ...copy(attempt), merchantId: delivery.merchantId, mode: delivery.mode });
    return this.updateDelivery(delivery, patch, now);
  }

  async putDelivery(delivery: Delivery): Promise<void> {
    this.deliveries.set(deliveryId(delivery), copy(delivery));
  }

  async listAttempts(merchantId: string, mode: Mode, eventId: string): Promise<DeliveryAttempt[]> {
    return this.attempts
      .filter((a) => a.merchantId === merchantId && a.mode === mode && a.eventId === eventId)
      .reverse()
      .map(({ merchantId: _m, mode: _mo, ...a }) => copy(a));
  }

  /** Every event of a merchant and mode, oldest first (for assertions). */
  eventsOf(merchantId: string, mode: Mode): OutboundEvent[] {
    return [...this.events.values()]
      .filter((e) => e.merchantId === merchantId && e.mode === mode)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map(({ merchantId: _m, ...e }) => copy(e));
  }

  private eventKey(merchantId: string, event: Pick<OutboundEvent, 'mode' | 'id'>): string {
    return `${scope(merchantId, event.mode)}#${event.id}`;
  }
}

/** The deliveries queue as a list of what was sent where. */
export class MemoryDeliveryQueue implements DeliveryQueue {
  /** Each queued delivery with what its message carries: the attempt count it was queued at, the event's body. */
  readonly queued: { delivery: DeliveryKey; notBefore: number; attemptCount?: number; body?: string }[] = [];
  readonly recovers: RecoverStep[] = [];
  readonly deadLettered: { delivery: DeliveryKey; notBefore: number }[] = [];

  async enqueue(
    deliveries: readonly (DeliveryKey & { attemptCount?: number | undefined })[],
    notBefore: number,
    body?: string,
  ): Promise<void> {
    for (const d of deliveries) {
      this.queued.push({
        delivery: pick(d),
        notBefore,
        ...(d.attemptCount === undefined ? {} : { attemptCount: d.attemptCount }),
        ...(body === undefined ? {} : { body }),
      });
    }
  }

  async enqueueRecover(step: RecoverStep): Promise<void> {
    this.recovers.push(copy(step));
  }

  async deadLetter(delivery: DeliveryKey, notBefore: number): Promise<void> {
    this.deadLettered.push({ delivery: pick(delivery), notBefore });
  }

  /** Takes everything queued so far (a worker's receive). */
  drain(): { delivery: DeliveryKey; notBefore: number; attemptCount?: number; body?: string }[] {
    return this.queued.splice(0);
  }
}

const pick = (d: DeliveryKey): DeliveryKey => ({
  merchantId: d.merchantId,
  mode: d.mode,
  eventId: d.eventId,
  endpointId: d.endpointId,
});

/**
 * Endpoint secrets "sealed" to their endpoint, as envelope encryption binds them
 * through the encryption context: opening one with another endpoint fails.
 */
export const memorySecrets: EndpointSecrets = {
  async seal(secret, endpoint) {
    return { sealedFor: `${endpoint.merchantId}/${endpoint.mode}/${endpoint.id}`, secret };
  },
  async open(sealed, endpoint) {
    const box = sealed as { sealedFor: string; secret: string };
    if (box.sealedFor !== `${endpoint.merchantId}/${endpoint.mode}/${endpoint.id}`) {
      throw new Error('the secret was sealed for another endpoint');
    }
    return box.secret;
  },
};

/** Log lines and metric counts, kept for assertions. */
export class RecordingTelemetry implements Telemetry {
  readonly lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  readonly counts: { metric: string; dimensions: Record<string, string> }[] = [];

  log(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown>): void {
    this.lines.push({ level, message, fields: copy(fields) });
  }

  count(metric: string, dimensions: Record<string, string>): void {
    this.counts.push({ metric, dimensions: { ...dimensions } });
  }

  messages(level?: string): string[] {
    return this.lines.filter((l) => level === undefined || l.level === level).map((l) => l.message);
  }
}

/** The payment activity log in memory; `failing` makes every record reject (it is best effort). */
export class MemoryActivity implements PaymentActivityLog {
  readonly entries: PaymentActivityEntry[] = [];
  failing = false;

  async record(entry: PaymentActivityEntry): Promise<void> {
    if (this.failing) throw new Error('activity store unavailable');
    this.entries.push(copy(entry));
  }
}

/**
 * A provider adapter's webhook half, scripted: the body is JSON
 * `{ kind, type, eventId, reference, status }`; the `x-test-signature` header
 * is `good` (a body signature), `static` (a static-secret signature, like
 * Flutterwave's verif-hash), `stale`, or anything else (a bad signature).
 */
export const scriptedWebhookAdapter: Pick<ProviderAdapter, 'verifyWebhookSignature' | 'parseWebhook'> = {
  verifyWebhookSignature(_raw, headers): SignatureCheck {
    const sig = headers['x-test-signature'];
    if (sig === undefined) return { ok: false, reason: 'missing_signature' };
    if (sig === 'good') return { ok: true, scheme: 'body' };
    if (sig === 'static') return { ok: true, scheme: 'static' };
    if (sig === 'stale') return { ok: false, reason: 'stale_timestamp' };
    return { ok: false, reason: 'bad_signature' };
  },
  parseWebhook(raw): ParsedWebhook {
    const body = JSON.parse(raw.toString('utf8')) as {
      kind?: 'payment' | 'refund' | 'ignored';
      type: string;
      eventId: string;
      reference: string;
      status?: 'succeeded' | 'failed' | 'pending';
      refundId?: string;
    };
    if (body.kind === 'ignored') return { kind: 'ignored', type: body.type };
    if (body.kind === 'refund') {
      return {
        kind: 'refund',
        eventId: body.eventId,
        type: body.type,
        reference: body.reference,
        providerReference: undefined,
        providerRefundId: undefined,
        refundId: body.refundId,
      };
    }
    return {
      kind: 'payment',
      eventId: body.eventId,
      type: body.type,
      reference: body.reference,
      providerReference: undefined,
      claimedStatus: body.status ?? 'succeeded',
    };
  },
};

/** The value, or a failed test when there is none (instead of a non-null assertion). */
export function present<T>(value: T | null | undefined, what = 'a value'): T {
  if (value === undefined || value === null) throw new Error(`expected ${what}`);
  return value;
}
