import type { Actor, Mode, RequestMeta } from '#core/actor';
import { ValidationFailed } from '#core/errors';
import { attemptSummary, type DeliveryDeps, deliver } from '#core/webhook-delivery';
import {
  createEndpoint,
  type EndpointDeps,
  recoverEndpoint,
  recoverStep,
  removeEndpoint,
  resendEvent,
  rotateSecret,
  sendTestEvent,
  updateEndpoint,
} from '#core/webhook-endpoints';
import { transitionPayment as recordTransition } from '#core/webhook-transitions';
import type { Payment, PaymentChange, ProviderEventRef } from '#core/payments';
import type {
  DeliveryKey,
  DeliveryQueue,
  EndpointSecrets,
  Telemetry,
  WebhookDeps,
  WebhookEndpoint,
} from '#core/webhooks';
import { webhookStore } from '#store/webhooks';
import { allowLoopbackWebhooks, config, retrySchedule } from '#runtime/config';
import { type Envelope, openSecret, sealSecret } from '#runtime/envelope';
import { logger } from '#runtime/logger';
import { safePost } from '#runtime/outbound';
import {
  type DeliveryMessage,
  enqueueDeliveries,
  enqueueRecoverJob,
  maxCarriedBodyBytes,
  type RecoverJob,
  sendDeliveryToDeadLetter,
} from '#runtime/queues';
import { checkWebhookUrl, resolveAndCheck } from '#runtime/ssrf';
import { emitCount } from '#app/silence';
import { webhookEndpointReads, webhookEventReads } from '#app/webhook-reads';

/**
 * The webhook domain (core/webhook-*.ts) wired once per cold start: DynamoDB
 * (store/webhooks.ts), the deliveries queue (runtime/queues.ts), envelope
 * encryption for endpoint secrets, the SSRF-safe POST and the logger. The
 * provider-webhook side, which also needs payments and refunds, is wired in
 * app/inbound.ts (payments depend on the transition built here).
 */

const message = (
  d: DeliveryKey & { attemptCount?: number | undefined },
  notBefore: number,
  body?: string,
): DeliveryMessage => ({
  merchantId: d.merchantId,
  mode: d.mode,
  eventId: d.eventId,
  endpointId: d.endpointId,
  notBefore,
  ...(d.attemptCount === undefined ? {} : { attemptCount: d.attemptCount }),
  // A large event is read by the worker instead (SQS messages and batches have a size limit).
  ...(body !== undefined && Buffer.byteLength(body) <= maxCarriedBodyBytes ? { body } : {}),
});

const queue: DeliveryQueue = {
  enqueue: (deliveries, notBefore, body) =>
    enqueueDeliveries(deliveries.map((d) => message(d, notBefore, body))),
  enqueueRecover: (step) =>
    enqueueRecoverJob({
      kind: 'recover',
      merchantId: step.merchantId,
      mode: step.mode,
      endpointId: step.endpointId,
      since: step.since.toISOString(),
      ...(step.cursor ? { cursor: step.cursor } : {}),
    }),
  deadLetter: (d, notBefore) => sendDeliveryToDeadLetter(message(d, notBefore)),
};

const telemetry: Telemetry = {
  log: (level, text, fields) => logger[level](text, fields),
  count: (metric, dimensions) => emitCount(metric, dimensions),
};

/** The encryption context binds a sealed secret to its endpoint: it opens for no other. */
const context = (e: Pick<WebhookEndpoint, 'merchantId' | 'mode' | 'id'>) => ({
  purpose: 'webhook_endpoint_secret',
  merchantId: e.merchantId,
  mode: e.mode,
  endpointId: e.id,
});

const secrets: EndpointSecrets = {
  seal: (secret, endpoint) => sealSecret(secret, context(endpoint)),
  open: (sealed, endpoint) => openSecret(sealed as Envelope, context(endpoint)),
};

/** The URL rules: https in live mode, no private, loopback (outside the local stack) or metadata addresses. */
async function assertDeliverableUrl(url: string, mode: Mode): Promise<void> {
  const policy = { mode, allowLoopback: allowLoopbackWebhooks() };
  const checked = checkWebhookUrl(url, policy);
  if (checked.host.kind === 'name') {
    try {
      await resolveAndCheck(checked.url.hostname, policy);
    } catch (error) {
      if (error instanceof ValidationFailed) throw error;
      throw new ValidationFailed('url_unresolvable', 'The URL’s host name does not resolve.', 'url', 422);
    }
  }
}

/** What every part of the webhook domain stands on. */
export const webhookDeps: WebhookDeps = { store: webhookStore, queue, telemetry };

/** How many deliveries one recover step reads (tests lower it to see the chaining). */
export const recoverTuning = { pageSize: 100 };

const endpointDeps: EndpointDeps = {
  ...webhookDeps,
  secrets,
  checkUrl: assertDeliverableUrl,
  recoverPageSize: () => recoverTuning.pageSize,
};

const deliveryDeps: DeliveryDeps = {
  ...webhookDeps,
  secrets,
  post: (url, request) =>
    safePost(url, {
      ...request,
      timeoutMs: config().WEBHOOK_TIMEOUT_MS,
      allowLoopback: allowLoopbackWebhooks(),
    }),
  retrySchedule,
};

/** `PaymentDeps.transition`: the payment's move with its event and deliveries, then queued. */
export const transitionPayment = (
  payment: Payment,
  change: PaymentChange,
  providerEvent?: ProviderEventRef,
) => recordTransition(webhookDeps, payment, change, providerEvent);

type Caller = { merchantId: string; mode: Mode; actor: Actor };
type Scope = { merchantId: string; mode: Mode };

/**
 * The merchant's webhook endpoints, for the API handlers (always in the caller's merchant and mode); a
 * handler that only reads imports app/webhook-reads.ts instead, and bundles none of this wiring.
 */
export const webhookEndpoints = {
  ...webhookEndpointReads,
  create: (
    caller: Caller,
    input: { url: string; events: string[]; description?: string | undefined },
    meta: RequestMeta,
  ) => createEndpoint(endpointDeps, caller, input, meta),
  update: (caller: Caller, id: string, patch: Parameters<typeof updateEndpoint>[3], meta: RequestMeta) =>
    updateEndpoint(endpointDeps, caller, id, patch, meta),
  remove: (caller: Caller, id: string, meta: RequestMeta) => removeEndpoint(endpointDeps, caller, id, meta),
  rotateSecret: (caller: Caller, id: string, meta: RequestMeta) =>
    rotateSecret(endpointDeps, caller, id, meta),
  sendTest: (caller: Scope, id: string) => sendTestEvent(endpointDeps, caller, id),
  recover: (caller: Scope, id: string, since: Date) => recoverEndpoint(endpointDeps, caller, id, since),
};

/** The merchant's outbound events, their deliveries and attempts. */
export const webhookEvents = {
  ...webhookEventReads,
  resend: (caller: Scope, id: string, endpointId?: string) =>
    resendEvent(endpointDeps, caller, id, endpointId),
};

/** The deliveries queue's work: one delivery attempt, or one recover step. */
export const webhookDeliveries = {
  deliver: (m: DeliveryMessage) => deliver(deliveryDeps, m, m.notBefore),
  /** Why the attempt just made failed and when the next is due (for the log line; never a body). */
  lastAttempt: (m: DeliveryMessage) => attemptSummary(deliveryDeps, m),
  recoverStep: (job: RecoverJob) =>
    recoverStep(endpointDeps, {
      merchantId: job.merchantId,
      mode: job.mode,
      endpointId: job.endpointId,
      since: new Date(job.since),
      cursor: job.cursor,
    }),
};
