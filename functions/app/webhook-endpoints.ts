import type { Actor, Mode, RequestMeta } from '#core/actor';
import { actorDetail, type SecurityEventKind, type SecurityNote } from '#core/identity';
import { Conflict, NotFound, ValidationFailed } from '#core/errors';
import { newId } from '#core/ids';
import { newEndpointSecret } from '#core/webhook-signature';
import {
  type Delivery,
  deliveryMessage,
  type EndpointSecret,
  newDelivery,
  type OutboundEvent,
  type WebhookEndpoint,
} from '#core/webhooks';
import {
  deleteEndpoint,
  deliveriesOfEvent,
  failedDeliveriesPage,
  getEndpoint,
  getEvent,
  insertEvent,
  listEndpoints,
  putDelivery,
  putEndpoint,
} from '#store/webhooks';
import { allowLoopbackWebhooks } from '#runtime/config';
import { type Envelope, openSecret, sealSecret } from '#runtime/envelope';
import { enqueueDeliveries, enqueueRecoverJob, type RecoverJob } from '#runtime/queues';
import { checkWebhookUrl, resolveAndCheck } from '#runtime/ssrf';

/** A rotated-out secret keeps signing (alongside the new one) for this long. */
export const rotationOverlapMs = 24 * 3600 * 1000;
/** Endpoints per merchant and mode: deliveries for one event are written in one transaction. */
export const maxEndpoints = 20;

type Caller = { merchantId: string; mode: Mode; actor: Actor };

/** The owner's security event for a change to where events go (written with the change). */
const notice = (
  caller: Caller,
  meta: RequestMeta,
  kind: SecurityEventKind,
  endpoint: Pick<WebhookEndpoint, 'id' | 'url'>,
  extra: Record<string, string> = {},
): SecurityNote => ({
  merchantId: caller.merchantId,
  kind,
  meta,
  detail: {
    ...actorDetail(caller.actor),
    endpointId: endpoint.id,
    mode: caller.mode,
    url: endpoint.url,
    ...extra,
  },
});

const context = (e: Pick<WebhookEndpoint, 'merchantId' | 'mode' | 'id'>) => ({
  purpose: 'webhook_endpoint_secret',
  merchantId: e.merchantId,
  mode: e.mode,
  endpointId: e.id,
});

/** What the API shows of an endpoint: never a secret. */
export function publicEndpoint(e: WebhookEndpoint) {
  const { merchantId: _m, secrets, ...rest } = e;
  return { ...rest, secretRotatedUntil: secrets.find((s) => s.expiresAt)?.expiresAt ?? null };
}

/** The URL rules: https in live mode, no private, loopback (outside the local stack) or metadata addresses. */
export async function assertDeliverableUrl(url: string, mode: Mode): Promise<void> {
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

/** Secrets that still sign now: the current one and a rotated-out one within its overlap. */
export async function signingSecrets(endpoint: WebhookEndpoint, now = Date.now()): Promise<string[]> {
  const live = endpoint.secrets.filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now);
  return Promise.all(live.map((s) => openSecret(s.sealed as Envelope, context(endpoint))));
}

export async function createEndpoint(
  caller: Caller,
  input: { url: string; events: string[]; description?: string | undefined },
  meta: RequestMeta,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  await assertDeliverableUrl(input.url, caller.mode);
  if ((await listEndpoints(caller.merchantId, caller.mode)).length >= maxEndpoints) {
    throw new Conflict('too_many_endpoints', `At most ${maxEndpoints} webhook endpoints per mode.`);
  }
  const now = new Date().toISOString();
  const id = newId('we');
  const secret = newEndpointSecret();
  const endpoint: WebhookEndpoint = {
    id,
    merchantId: caller.merchantId,
    mode: caller.mode,
    url: input.url,
    events: input.events,
    description: input.description ?? null,
    enabled: true,
    secrets: [],
    failingSince: null,
    disabledReason: null,
    createdAt: now,
    updatedAt: now,
  };
  endpoint.secrets = [
    { sealed: await sealSecret(secret, context(endpoint)), createdAt: now, expiresAt: null },
  ];
  await putEndpoint(endpoint, null, notice(caller, meta, 'webhook_endpoint_created', endpoint));
  return { endpoint, secret };
}

export async function requireEndpoint(caller: Caller, id: string): Promise<WebhookEndpoint> {
  const endpoint = await getEndpoint(caller.merchantId, caller.mode, id);
  if (!endpoint) throw new NotFound('resource_missing', 'No such webhook endpoint.', 'id');
  return endpoint;
}

export async function updateEndpoint(
  caller: Caller,
  id: string,
  patch: {
    url?: string | undefined;
    events?: string[] | undefined;
    enabled?: boolean | undefined;
    description?: string | undefined;
  },
  meta: RequestMeta,
): Promise<WebhookEndpoint> {
  const current = await requireEndpoint(caller, id);
  if (patch.url !== undefined) await assertDeliverableUrl(patch.url, caller.mode);
  const next: WebhookEndpoint = {
    ...current,
    ...(patch.url === undefined ? {} : { url: patch.url }),
    ...(patch.events === undefined ? {} : { events: patch.events }),
    ...(patch.description === undefined ? {} : { description: patch.description }),
    ...(patch.enabled === undefined
      ? {}
      : { enabled: patch.enabled, ...(patch.enabled ? { disabledReason: null, failingSince: null } : {}) }),
    updatedAt: new Date().toISOString(),
  };
  const changed = [
    ...(next.url === current.url ? [] : ['url']),
    ...(JSON.stringify(next.events) === JSON.stringify(current.events) ? [] : ['events']),
    ...(next.enabled === current.enabled ? [] : ['enabled']),
    ...(next.description === current.description ? [] : ['description']),
  ];
  const note = notice(caller, meta, 'webhook_endpoint_changed', next, {
    changed: changed.join(',') || 'nothing',
    ...(next.url === current.url ? {} : { previousUrl: current.url }),
    enabled: String(next.enabled),
  });
  if (!(await putEndpoint(next, current.updatedAt, note))) {
    throw new Conflict('concurrent_update', 'The endpoint changed meanwhile; retry.');
  }
  return next;
}

export async function removeEndpoint(caller: Caller, id: string, meta: RequestMeta): Promise<void> {
  const current = await requireEndpoint(caller, id);
  const note = notice(caller, meta, 'webhook_endpoint_deleted', current);
  if (!(await deleteEndpoint(caller.merchantId, caller.mode, id, note))) {
    throw new NotFound('resource_missing', 'No such webhook endpoint.', 'id');
  }
}

/** A new secret signs from now; the previous one keeps signing for 24 h beside it. */
export async function rotateSecret(
  caller: Caller,
  id: string,
  meta: RequestMeta,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const current = await requireEndpoint(caller, id);
  const now = Date.now();
  const secret = newEndpointSecret();
  const kept: EndpointSecret[] = current.secrets
    .filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now)
    .map((s) =>
      s.expiresAt === null ? { ...s, expiresAt: new Date(now + rotationOverlapMs).toISOString() } : s,
    );
  const next: WebhookEndpoint = {
    ...current,
    secrets: [
      {
        sealed: await sealSecret(secret, context(current)),
        createdAt: new Date(now).toISOString(),
        expiresAt: null,
      },
      ...kept,
    ],
    updatedAt: new Date(now).toISOString(),
  };
  if (!(await putEndpoint(next, current.updatedAt, notice(caller, meta, 'webhook_secret_rotated', next)))) {
    throw new Conflict('concurrent_update', 'The endpoint changed meanwhile; retry.');
  }
  return { endpoint: next, secret };
}

/** Records an event for given endpoints and queues its deliveries (test and system events). */
export async function emitEvent(
  merchantId: string,
  event: OutboundEvent,
  endpoints: Pick<WebhookEndpoint, 'id'>[],
): Promise<OutboundEvent> {
  const deliveries = endpoints.map((e) => newDelivery(event, merchantId, e.id, event.createdAt));
  await insertEvent(merchantId, event, deliveries);
  await enqueueDeliveries(deliveries.map((d) => deliveryMessage(d, Date.now())));
  return event;
}

/** POST /v1/webhook-endpoints/{id}/test: a `webhook_endpoint.test` event to that endpoint only. */
export async function sendTestEvent(caller: Caller, id: string): Promise<OutboundEvent> {
  const endpoint = await requireEndpoint(caller, id);
  const now = new Date().toISOString();
  return emitEvent(
    caller.merchantId,
    {
      id: newId('evt'),
      type: 'webhook_endpoint.test',
      createdAt: now,
      mode: caller.mode,
      paymentId: null,
      data: { object: { endpointId: endpoint.id, message: 'This is a test event from PayBridge.' } },
    },
    [endpoint],
  );
}

/**
 * Sends an event again: to one endpoint, or to every endpoint that has a
 * delivery of it. The delivery keeps its id (the `webhook-id`), so receivers can
 * recognise the repeat; its schedule starts again.
 */
export async function resendEvent(caller: Caller, eventId: string, endpointId?: string): Promise<Delivery[]> {
  const event = await getEvent(caller.merchantId, caller.mode, eventId);
  if (!event) throw new NotFound('resource_missing', 'No such event.', 'id');
  const existing = await deliveriesOfEvent(caller.merchantId, caller.mode, eventId);
  const now = new Date().toISOString();
  let targets: Delivery[];
  if (endpointId) {
    const endpoint = await requireEndpoint(caller, endpointId);
    const found = existing.find((d) => d.endpointId === endpoint.id);
    targets = [found ?? newDelivery(event, caller.merchantId, endpoint.id, now)];
  } else {
    targets = existing;
  }
  const reset = targets.map((d) => ({
    ...d,
    status: 'pending' as const,
    attemptCount: 0,
    nextAttemptAt: now,
    updatedAt: now,
  }));
  for (const d of reset) await putDelivery(d);
  await enqueueDeliveries(reset.map((d) => deliveryMessage(d, Date.now())));
  return reset;
}

/** How many deliveries one recover step reads (tests lower it to see the chaining). */
export const recoverTuning = { pageSize: 100 };

/**
 * Re-sends every failed delivery of an endpoint since a time: the first page here,
 * the rest as a chain of recover jobs on the deliveries queue (one page each), so
 * the API call is one Query and a few writes however many failed.
 */
export async function recoverEndpoint(
  caller: Caller,
  id: string,
  since: Date,
): Promise<{ resent: number; more: boolean }> {
  const endpoint = await requireEndpoint(caller, id);
  return recoverStep({
    kind: 'recover',
    merchantId: caller.merchantId,
    mode: caller.mode,
    endpointId: endpoint.id,
    since: since.toISOString(),
  });
}

/** One page of a recover: reset those deliveries to pending, queue them, queue the next step. */
export async function recoverStep(job: RecoverJob): Promise<{ resent: number; more: boolean }> {
  const page = await failedDeliveriesPage(
    job.merchantId,
    job.mode,
    job.endpointId,
    new Date(job.since),
    recoverTuning.pageSize,
    job.cursor,
  );
  const now = new Date().toISOString();
  const reset = page.deliveries.map((d) => ({
    ...d,
    status: 'pending' as const,
    attemptCount: 0,
    nextAttemptAt: now,
    updatedAt: now,
  }));
  await Promise.all(reset.map((d) => putDelivery(d)));
  await enqueueDeliveries(reset.map((d) => deliveryMessage(d, Date.now())));
  if (page.next) await enqueueRecoverJob({ ...job, cursor: page.next });
  return { resent: reset.length, more: page.next !== undefined };
}
