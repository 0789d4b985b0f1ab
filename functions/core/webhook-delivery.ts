import type { Mode } from './actor.ts';
import { newId } from './ids.ts';
import { signWebhook } from './webhook-signature.ts';
import { signingSecrets } from './webhook-endpoints.ts';
import {
  clockOf,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryJob,
  type DeliveryKey,
  type DeliveryPatch,
  disableAfterMs,
  emitEvent,
  type EndpointSecrets,
  eventBody,
  retryDelay,
  subscribes,
  type WebhookDeps,
  type WebhookEndpoint,
} from './webhooks.ts';

/** What came of one POST to a merchant URL: an answer, or the kind of failure (network outcomes are values). */
export type PostResult =
  | { status: number; headers: Record<string, string>; bodyPrefix: string; latencyMs: number }
  | { error: string; message: string; latencyMs: number };

/** The delivery worker's needs beyond the store and queue. */
export interface DeliveryDeps extends WebhookDeps {
  readonly secrets: EndpointSecrets;
  /** POSTs under the SSRF policy with a deadline and no redirects (runtime/outbound.ts `safePost`). */
  readonly post: (
    url: string,
    request: { body: string; headers: Record<string, string>; mode: Mode },
  ) => Promise<PostResult>;
  /** Seconds before each attempt (configuration; Standard Webhooks' schedule by default). */
  readonly retrySchedule: () => readonly number[];
  /** Jitter source for retry delays. */
  readonly random?: () => number;
  /** A claim this old without its attempt recorded was abandoned (default `abandonedClaimMs`). */
  readonly abandonedClaimMs?: number;
}

/**
 * A claim not recorded after this long was abandoned: its worker stopped between the claim and the
 * record (a crash, a timeout, a failed write), and the message SQS redelivers must send again. Twice
 * the deliver worker's 30 s timeout (lib/definitions.ts), so an attempt still in flight is never taken.
 */
export const abandonedClaimMs = 60_000;

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'disabled' | 'deferred' | 'skipped';

/** A message up to this early is attempted now rather than queued again. */
const earlyToleranceMs = 1000;

/**
 * One attempt at one delivery: claim the attempt (one conditional write from the
 * attempt count the message was queued at, so a duplicate message sends nothing
 * twice), sign per Standard Webhooks with every live secret, POST, then record the
 * attempt together with the delivery's move: delivered, the next try scheduled
 * (honouring Retry-After; waits beyond the queue's maximum delay are chained
 * through `notBefore`), or — schedule spent — failed and parked in the dead-letter
 * queue. 410 disables the endpoint; so does 5 days of failures. The event's body
 * comes with the message when the queue carries it; otherwise it is read.
 */
export async function deliver(
  deps: DeliveryDeps,
  job: DeliveryJob,
  notBefore: number,
): Promise<DeliveryOutcome> {
  const now = clockOf(deps);
  if (notBefore > now + earlyToleranceMs) {
    await deps.queue.enqueue([job], notBefore, job.body); // still early: wait again
    return 'deferred';
  }
  const { store } = deps;
  const at = new Date(now).toISOString();
  let seen = job.attemptCount;
  if (seen === undefined) {
    // A message queued before messages carried the attempt count: read it (once, for such a message);
    // a claim not yet recorded is left to the take-over below, like a refused claim.
    const found = await store.getDelivery(job.merchantId, job.mode, job.eventId, job.endpointId);
    if (!found || found.status !== 'pending') return 'skipped';
    seen = found.lastAttemptAt !== null && found.nextAttemptAt === null ? -1 : found.attemptCount;
  }
  let before = seen < 0 ? undefined : await store.claimDelivery(job, seen, at);
  if (!before) {
    const taken = await takeOverAbandoned(deps, job, now, at);
    if (taken === 'in_flight') {
      // Another worker may still be attempting it: look again once that claim would be abandoned.
      await deps.queue.enqueue([job], now + (deps.abandonedClaimMs ?? abandonedClaimMs), job.body);
      return 'deferred';
    }
    if (!taken) return 'skipped';
    before = taken;
  }
  const attempt = before.attemptCount + 1;
  const claimed: Delivery = { ...before, attemptCount: attempt, lastAttemptAt: at, updatedAt: at };

  const endpoint = await store.getEndpoint(job.merchantId, job.mode, job.endpointId);
  const body = job.body ?? (await eventBodyOf(deps, job));
  if (!endpoint || !endpoint.enabled || body === undefined) {
    // Nothing is sent: the claim is given back and the delivery ends failed.
    await store.updateDelivery(
      claimed,
      {
        status: 'failed',
        nextAttemptAt: null,
        attemptCount: before.attemptCount,
        lastAttemptAt: before.lastAttemptAt,
      },
      at,
    );
    return 'failed';
  }

  const timestamp = Math.floor(now / 1000);
  const result = await deps.post(endpoint.url, {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'PayBridge-Webhooks/1',
      'webhook-id': claimed.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook({
        id: claimed.id,
        timestamp,
        body,
        secrets: await signingSecrets(deps.secrets, endpoint, now),
      }),
    },
    mode: endpoint.mode,
  });
  const status = 'status' in result ? result.status : null;
  const entry: DeliveryAttempt = {
    id: newId('att'),
    eventId: job.eventId,
    endpointId: endpoint.id,
    deliveryId: claimed.id,
    attempt,
    at,
    status,
    latencyMs: result.latencyMs,
    responseBody: 'bodyPrefix' in result ? answerText(result) : null,
    error: 'error' in result ? `${result.error}: ${result.message}` : null,
  };
  /** The attempt's log entry and the delivery's move, written together. */
  const record = (patch: DeliveryPatch) => store.recordAttempt(claimed, entry, patch, at);
  const ended: DeliveryPatch = { status: 'failed', nextAttemptAt: null };

  if (status !== null && status >= 200 && status < 300) {
    await record({ status: 'delivered', nextAttemptAt: null });
    if (endpoint.failingSince)
      await store.putEndpoint({ ...endpoint, failingSince: null, updatedAt: at }, endpoint.updatedAt);
    return 'delivered';
  }
  if (status === 410) {
    await record(ended);
    await disable(deps, endpoint, 'gone', at);
    return 'disabled';
  }
  const failingSince = endpoint.failingSince ?? at;
  if (!endpoint.failingSince)
    await store.putEndpoint({ ...endpoint, failingSince, updatedAt: at }, endpoint.updatedAt);
  if (now - Date.parse(failingSince) >= disableAfterMs) {
    await record(ended);
    await disable(deps, { ...endpoint, failingSince }, 'failing_for_5_days', at);
    return 'disabled';
  }
  const retryAfter = 'headers' in result ? parseRetryAfter(result.headers['retry-after'], now) : undefined;
  const delay = retryDelay(deps.retrySchedule(), attempt + 1, retryAfter, deps.random);
  if (delay === undefined) {
    await record(ended);
    await deps.queue.deadLetter(job, notBefore);
    deps.telemetry.log('warn', 'delivery failed after its schedule', {
      eventId: job.eventId,
      endpointId: endpoint.id,
      attempt,
    });
    return 'failed';
  }
  const next = now + delay * 1000;
  await record({ nextAttemptAt: new Date(next).toISOString() });
  await deps.queue.enqueue([{ ...pickKey(job), attemptCount: attempt }], next, body);
  return 'retrying';
}

/**
 * After a refused claim: a duplicate or outdated message (nothing to do: the delivery is done, or its
 * next attempt has its own message), or the redelivery of a message whose worker stopped between its
 * claim and its record — pending, claimed (`nextAttemptAt` null) and never recorded. That one is taken
 * over once the claim is abandoned, conditioned on the claim it saw, so one worker sends again.
 */
async function takeOverAbandoned(
  deps: DeliveryDeps,
  job: DeliveryKey,
  now: number,
  at: string,
): Promise<Delivery | 'in_flight' | undefined> {
  const current = await deps.store.getDelivery(job.merchantId, job.mode, job.eventId, job.endpointId);
  if (!current || current.status !== 'pending' || current.lastAttemptAt === null) return undefined;
  if (current.nextAttemptAt !== null) return undefined; // recorded: its next attempt is queued
  if (now - Date.parse(current.lastAttemptAt) < (deps.abandonedClaimMs ?? abandonedClaimMs))
    return 'in_flight';
  return deps.store.claimDelivery(job, current.attemptCount, at, current.lastAttemptAt);
}

/** The event's exact body, read from the store (for a message that does not carry it). */
async function eventBodyOf(deps: Pick<WebhookDeps, 'store'>, key: DeliveryKey): Promise<string | undefined> {
  const event = await deps.store.getEvent(key.merchantId, key.mode, key.eventId);
  return event ? eventBody(event) : undefined;
}

const pickKey = (k: DeliveryKey): DeliveryKey => ({
  merchantId: k.merchantId,
  mode: k.mode,
  eventId: k.eventId,
  endpointId: k.endpointId,
});

/** Disables an endpoint and tells the merchant's other endpoints with a `webhook_endpoint.disabled` event. */
async function disable(
  deps: WebhookDeps,
  endpoint: WebhookEndpoint,
  reason: string,
  at: string,
): Promise<void> {
  const latest = (await deps.store.getEndpoint(endpoint.merchantId, endpoint.mode, endpoint.id)) ?? endpoint;
  if (!latest.enabled) return;
  await deps.store.putEndpoint(
    { ...latest, enabled: false, disabledReason: reason, updatedAt: at },
    latest.updatedAt,
  );
  await emitEvent(
    deps,
    endpoint.merchantId,
    {
      id: newId('evt'),
      type: 'webhook_endpoint.disabled',
      createdAt: at,
      mode: endpoint.mode,
      paymentId: null,
      data: { object: { endpointId: endpoint.id, url: endpoint.url, reason } },
    },
    // The merchant's other endpoints that listen for it hear about it.
    (await deps.store.listEndpoints(endpoint.merchantId, endpoint.mode)).filter(
      (e) => e.id !== endpoint.id && subscribes(e, 'webhook_endpoint.disabled'),
    ),
  );
  deps.telemetry.log('warn', 'webhook endpoint disabled', { endpointId: endpoint.id, reason });
}

/** Retry-After as seconds or an HTTP date; capped at a day. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) : (Date.parse(value) - now) / 1000;
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(Math.ceil(seconds), 86_400) : undefined;
}

/** Content types whose body is text a human may read in the attempt log. */
const textual =
  /^\s*(?:text\/[\w.+-]+|application\/(?:json|xml|x-www-form-urlencoded|[\w.-]+\+(?:json|xml)))\s*(?:;|$)/i;

/**
 * What of a merchant endpoint's answer we keep: its first 1 KB (the POST reads no more),
 * and only when it is text: declared textual (or undeclared) and free of control bytes and
 * invalid UTF-8. Anything else (an image, a binary blob, a file) is not ours to store.
 */
export function answerText(response: { headers: Record<string, string>; bodyPrefix: string }): string | null {
  const type = response.headers['content-type'];
  if (type !== undefined && !textual.test(type)) return null;
  // A multi-byte character cut at the 1 KB boundary decodes as one trailing U+FFFD: drop it.
  const text = response.bodyPrefix.replace(/\uFFFD$/, '');
  // eslint-disable-next-line no-control-regex -- looking for exactly these bytes
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFD]/.test(text)) return null;
  return text;
}

/**
 * Why the attempt just made failed and when the next one is due, from the attempt log:
 * the HTTP status, or the kind of error (timeout, connection, tls, dns…). Never the
 * answer's body, the error's text or the URL. A failed lookup only thins the log line.
 */
export async function attemptSummary(
  deps: Pick<WebhookDeps, 'store'>,
  key: DeliveryKey,
): Promise<Record<string, unknown>> {
  try {
    const delivery = await deps.store.getDelivery(key.merchantId, key.mode, key.eventId, key.endpointId);
    if (!delivery) return {};
    const attempt = (await deps.store.listAttempts(key.merchantId, key.mode, key.eventId)).find(
      (a) => a.deliveryId === delivery.id && a.attempt === delivery.attemptCount,
    );
    return {
      attempt: delivery.attemptCount,
      ...(typeof attempt?.status === 'number' ? { status: attempt.status } : {}),
      ...(attempt?.error ? { errorKind: attempt.error.split(':', 1)[0] } : {}),
      nextAttemptAt: delivery.nextAttemptAt,
    };
  } catch {
    return {};
  }
}
