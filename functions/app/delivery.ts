import { newId } from '#core/ids';
import { signWebhook } from '#core/webhook-signature';
import {
  type DeliveryMessage,
  deliveryMessage,
  disableAfterMs,
  eventBody,
  retryDelay,
  subscribes,
  type WebhookEndpoint,
} from '#core/webhooks';
import {
  getDelivery,
  getEndpoint,
  getEvent,
  listEndpoints,
  putAttempt,
  putEndpoint,
  updateDelivery,
} from '#store/webhooks';
import { allowLoopbackWebhooks, config, retrySchedule } from '#runtime/config';
import { logger } from '#runtime/logger';
import { safePost } from '#runtime/outbound';
import { enqueueDeliveries, sendDeliveryToDeadLetter } from '#runtime/queues';
import { emitEvent, signingSecrets } from '#app/webhook-endpoints';

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'disabled' | 'deferred' | 'skipped';

/**
 * One attempt at one delivery: claim the attempt (so a duplicate message sends
 * nothing twice), sign per Standard Webhooks with every live secret, POST under
 * the SSRF policy with a 15 s timeout and no redirects, record the attempt, then
 * mark delivered, schedule the next try (honouring Retry-After; waits beyond
 * SQS's 15 minutes are chained), or — schedule spent — mark failed and park the
 * message in the DLQ. 410 disables the endpoint; so does 5 days of failures.
 */
export async function deliver(message: DeliveryMessage, now = Date.now()): Promise<DeliveryOutcome> {
  if (message.notBefore > now + 1000) {
    await enqueueDeliveries([message], now); // still early: wait again (≤ 15 min per hop)
    return 'deferred';
  }
  const delivery = await getDelivery(message.merchantId, message.mode, message.eventId, message.endpointId);
  if (!delivery || delivery.status !== 'pending') return 'skipped';
  const at = new Date(now).toISOString();
  const endpoint = await getEndpoint(message.merchantId, message.mode, message.endpointId);
  const event = await getEvent(message.merchantId, message.mode, message.eventId);
  if (!endpoint || !endpoint.enabled || !event) {
    await updateDelivery(delivery, { status: 'failed', nextAttemptAt: null }, at);
    return 'failed';
  }
  const attempt = delivery.attemptCount + 1;
  if (!(await updateDelivery(delivery, { attemptCount: attempt, lastAttemptAt: at }, at))) return 'skipped';
  const claimed = { ...delivery, attemptCount: attempt, lastAttemptAt: at };

  const body = eventBody(event);
  const timestamp = Math.floor(now / 1000);
  const result = await safePost(endpoint.url, {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'PayBridge-Webhooks/1',
      'webhook-id': delivery.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook({
        id: delivery.id,
        timestamp,
        body,
        secrets: await signingSecrets(endpoint, now),
      }),
    },
    timeoutMs: config().WEBHOOK_TIMEOUT_MS,
    allowLoopback: allowLoopbackWebhooks(),
    mode: endpoint.mode,
  });
  const status = 'status' in result ? result.status : null;
  await putAttempt(message.merchantId, message.mode, {
    id: newId('att'),
    eventId: event.id,
    endpointId: endpoint.id,
    deliveryId: delivery.id,
    attempt,
    at,
    status,
    latencyMs: result.latencyMs,
    responseBody: 'bodyPrefix' in result ? answerText(result) : null,
    error: 'error' in result ? `${result.error}: ${result.message}` : null,
  });

  if (status !== null && status >= 200 && status < 300) {
    await updateDelivery(claimed, { status: 'delivered', nextAttemptAt: null }, at);
    if (endpoint.failingSince)
      await putEndpoint({ ...endpoint, failingSince: null, updatedAt: at }, endpoint.updatedAt);
    return 'delivered';
  }
  if (status === 410) {
    await updateDelivery(claimed, { status: 'failed', nextAttemptAt: null }, at);
    await disable(endpoint, 'gone', at);
    return 'disabled';
  }
  const failingSince = endpoint.failingSince ?? at;
  if (!endpoint.failingSince)
    await putEndpoint({ ...endpoint, failingSince, updatedAt: at }, endpoint.updatedAt);
  if (now - Date.parse(failingSince) >= disableAfterMs) {
    await updateDelivery(claimed, { status: 'failed', nextAttemptAt: null }, at);
    await disable({ ...endpoint, failingSince }, 'failing_for_5_days', at);
    return 'disabled';
  }
  const retryAfter = 'headers' in result ? parseRetryAfter(result.headers['retry-after'], now) : undefined;
  const delay = retryDelay(retrySchedule(), attempt + 1, retryAfter);
  if (delay === undefined) {
    await updateDelivery(claimed, { status: 'failed', nextAttemptAt: null }, at);
    await sendDeliveryToDeadLetter(message);
    logger.warn('delivery failed after its schedule', {
      eventId: event.id,
      endpointId: endpoint.id,
      attempt,
    });
    return 'failed';
  }
  const next = now + delay * 1000;
  await updateDelivery(claimed, { nextAttemptAt: new Date(next).toISOString() }, at);
  await enqueueDeliveries([deliveryMessage(claimed, next)], now);
  return 'retrying';
}

/** Disables an endpoint and tells the merchant's other endpoints with a `webhook_endpoint.disabled` event. */
async function disable(endpoint: WebhookEndpoint, reason: string, at: string): Promise<void> {
  const latest = (await getEndpoint(endpoint.merchantId, endpoint.mode, endpoint.id)) ?? endpoint;
  if (!latest.enabled) return;
  await putEndpoint({ ...latest, enabled: false, disabledReason: reason, updatedAt: at }, latest.updatedAt);
  await emitEvent(
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
    (await listEndpoints(endpoint.merchantId, endpoint.mode)).filter(
      (e) => e.id !== endpoint.id && subscribes(e, 'webhook_endpoint.disabled'),
    ),
  );
  logger.warn('webhook endpoint disabled', { endpointId: endpoint.id, reason });
}

/** Retry-After as seconds or an HTTP date; capped at a day. */
function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) : (Date.parse(value) - now) / 1000;
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(Math.ceil(seconds), 86_400) : undefined;
}

/** Content types whose body is text a human may read in the attempt log. */
const textual =
  /^\s*(?:text\/[\w.+-]+|application\/(?:json|xml|x-www-form-urlencoded|[\w.-]+\+(?:json|xml)))\s*(?:;|$)/i;

/**
 * What of a merchant endpoint's answer we keep: its first 1 KB (safePost reads no more),
 * and only when it is text: declared textual (or undeclared) and free of control bytes and
 * invalid UTF-8. Anything else (an image, a binary blob, a file) is not ours to store.
 */
function answerText(response: { headers: Record<string, string>; bodyPrefix: string }): string | null {
  const type = response.headers['content-type'];
  if (type !== undefined && !textual.test(type)) return null;
  // A multi-byte character cut at the 1 KB boundary decodes as one trailing U+FFFD: drop it.
  const text = response.bodyPrefix.replace(/\uFFFD$/, '');
  // eslint-disable-next-line no-control-regex -- looking for exactly these bytes
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFD]/.test(text)) return null;
  return text;
}
