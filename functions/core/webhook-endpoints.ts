import type { Actor, Mode, RequestMeta } from './actor.ts';
import { Conflict, NotFound } from './errors.ts';
import { actorDetail, type SecurityEventKind, type SecurityNote } from './identity.ts';
import { newId } from './ids.ts';
import { newEndpointSecret } from './webhook-signature.ts';
import {
  clockOf,
  type Delivery,
  type EndpointSecret,
  type EndpointSecrets,
  emitEvent,
  eventBody,
  newDelivery,
  type OutboundEvent,
  type RecoverStep,
  type WebhookDeps,
  type WebhookEndpoint,
} from './webhooks.ts';

/** A rotated-out secret keeps signing (alongside the new one) for this long. */
export const rotationOverlapMs = 24 * 3600 * 1000;
/** Endpoints per merchant and mode: deliveries for one event are written in one transaction. */
export const maxEndpoints = 20;
/** How many failed deliveries one recover step reads, by default. */
export const defaultRecoverPageSize = 100;

export interface EndpointDeps extends WebhookDeps {
  readonly secrets: EndpointSecrets;
  /** The URL rules (https in live mode, no private or metadata addresses); throws ValidationFailed. */
  readonly checkUrl: (url: string, mode: Mode) => Promise<void>;
  /** Failed deliveries read per recover step (tests lower it to see the chaining). */
  readonly recoverPageSize?: () => number;
}

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

/** Secrets that still sign at `now`: the current one and rotated-out ones within their overlap. */
export function liveSecrets(endpoint: Pick<WebhookEndpoint, 'secrets'>, now: number): EndpointSecret[] {
  return endpoint.secrets.filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now);
}

/** The live secrets, opened: what a delivery is signed with. */
export async function signingSecrets(
  secrets: EndpointSecrets,
  endpoint: WebhookEndpoint,
  now: number,
): Promise<string[]> {
  return Promise.all(liveSecrets(endpoint, now).map((s) => secrets.open(s.sealed, endpoint)));
}

/**
 * The secrets after a rotation at `now`: the new one (current), the previous current one
 * expiring after the overlap, still-live rotated-out ones unchanged, expired ones dropped.
 */
export function rotatedSecrets(
  current: readonly EndpointSecret[],
  sealed: unknown,
  now: number,
): EndpointSecret[] {
  const kept = current
    .filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now)
    .map((s) =>
      s.expiresAt === null ? { ...s, expiresAt: new Date(now + rotationOverlapMs).toISOString() } : s,
    );
  return [{ sealed, createdAt: new Date(now).toISOString(), expiresAt: null }, ...kept];
}

export async function createEndpoint(
  deps: EndpointDeps,
  caller: Caller,
  input: { url: string; events: string[]; description?: string | undefined },
  meta: RequestMeta,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  await deps.checkUrl(input.url, caller.mode);
  if ((await deps.store.listEndpoints(caller.merchantId, caller.mode)).length >= maxEndpoints) {
    throw new Conflict('too_many_endpoints', `At most ${maxEndpoints} webhook endpoints per mode.`);
  }
  const now = new Date(clockOf(deps)).toISOString();
  const secret = newEndpointSecret();
  const endpoint: WebhookEndpoint = {
    id: newId('we'),
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
  endpoint.secrets = [{ sealed: await deps.secrets.seal(secret, endpoint), createdAt: now, expiresAt: null }];
  await deps.store.putEndpoint(endpoint, null, notice(caller, meta, 'webhook_endpoint_created', endpoint));
  return { endpoint, secret };
}

export async function requireEndpoint(
  deps: Pick<WebhookDeps, 'store'>,
  caller: Pick<Caller, 'merchantId' | 'mode'>,
  id: string,
): Promise<WebhookEndpoint> {
  const endpoint = await deps.store.getEndpoint(caller.merchantId, caller.mode, id);
  if (!endpoint) throw new NotFound('resource_missing', 'No such webhook endpoint.', 'id');
  return endpoint;
}

/** The caller's endpoints, newest first (a merchant has at most `maxEndpoints`: one page). */
export async function listEndpoints(
  deps: Pick<WebhookDeps, 'store'>,
  caller: Pick<Caller, 'merchantId' | 'mode'>,
): Promise<WebhookEndpoint[]> {
  const all = await deps.store.listEndpoints(caller.merchantId, caller.mode);
  return all.sort((a, b) => b.id.localeCompare(a.id));
}

export async function updateEndpoint(
  deps: EndpointDeps,
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
  const current = await requireEndpoint(deps, caller, id);
  if (patch.url !== undefined) await deps.checkUrl(patch.url, caller.mode);
  const next: WebhookEndpoint = {
    ...current,
    ...(patch.url === undefined ? {} : { url: patch.url }),
    ...(patch.events === undefined ? {} : { events: patch.events }),
    ...(patch.description === undefined ? {} : { description: patch.description }),
    ...(patch.enabled === undefined
      ? {}
      : { enabled: patch.enabled, ...(patch.enabled ? { disabledReason: null, failingSince: null } : {}) }),
    updatedAt: new Date(clockOf(deps)).toISOString(),
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
  if (!(await deps.store.putEndpoint(next, current.updatedAt, note))) {
    throw new Conflict('concurrent_update', 'The endpoint changed meanwhile; retry.');
  }
  return next;
}

export async function removeEndpoint(
  deps: WebhookDeps,
  caller: Caller,
  id: string,
  meta: RequestMeta,
): Promise<void> {
  const current = await requireEndpoint(deps, caller, id);
  const note = notice(caller, meta, 'webhook_endpoint_deleted', current);
  if (!(await deps.store.deleteEndpoint(caller.merchantId, caller.mode, id, note))) {
    throw new NotFound('resource_missing', 'No such webhook endpoint.', 'id');
  }
}

/** A new secret signs from now; the previous one keeps signing for 24 h beside it. */
export async function rotateSecret(
  deps: EndpointDeps,
  caller: Caller,
  id: string,
  meta: RequestMeta,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const current = await requireEndpoint(deps, caller, id);
  const now = clockOf(deps);
  const secret = newEndpointSecret();
  const next: WebhookEndpoint = {
    ...current,
    secrets: rotatedSecrets(current.secrets, await deps.secrets.seal(secret, current), now),
    updatedAt: new Date(now).toISOString(),
  };
  if (
    !(await deps.store.putEndpoint(
      next,
      current.updatedAt,
      notice(caller, meta, 'webhook_secret_rotated', next),
    ))
  ) {
    throw new Conflict('concurrent_update', 'The endpoint changed meanwhile; retry.');
  }
  return { endpoint: next, secret };
}

/** POST /v1/webhook-endpoints/{id}/test: a `webhook_endpoint.test` event to that endpoint only. */
export async function sendTestEvent(
  deps: WebhookDeps,
  caller: Pick<Caller, 'merchantId' | 'mode'>,
  id: string,
): Promise<OutboundEvent> {
  const endpoint = await requireEndpoint(deps, caller, id);
  return emitEvent(
    deps,
    caller.merchantId,
    {
      id: newId('evt'),
      type: 'webhook_endpoint.test',
      createdAt: new Date(clockOf(deps)).toISOString(),
      mode: caller.mode,
      paymentId: null,
      data: { object: { endpointId: endpoint.id, message: 'This is a test event from PayBridge.' } },
    },
    [endpoint],
  );
}

/** A delivery sent again: pending, its schedule from the start, its id (the `webhook-id`) kept. */
const restarted = (d: Delivery, now: string): Delivery => ({
  ...d,
  status: 'pending',
  attemptCount: 0,
  nextAttemptAt: now,
  updatedAt: now,
});

/**
 * Sends an event again: to one endpoint, or to every endpoint that has a
 * delivery of it. The delivery keeps its id (the `webhook-id`), so receivers can
 * recognise the repeat; its schedule starts again.
 */
export async function resendEvent(
  deps: WebhookDeps,
  caller: Pick<Caller, 'merchantId' | 'mode'>,
  eventId: string,
  endpointId?: string,
): Promise<Delivery[]> {
  const event = await deps.store.getEvent(caller.merchantId, caller.mode, eventId);
  if (!event) throw new NotFound('resource_missing', 'No such event.', 'id');
  const existing = await deps.store.deliveriesOfEvent(caller.merchantId, caller.mode, eventId);
  const now = new Date(clockOf(deps)).toISOString();
  let targets: Delivery[];
  if (endpointId) {
    const endpoint = await requireEndpoint(deps, caller, endpointId);
    const found = existing.find((d) => d.endpointId === endpoint.id);
    targets = [found ?? newDelivery(event, caller.merchantId, endpoint.id, now)];
  } else {
    targets = existing;
  }
  const reset = targets.map((d) => restarted(d, now));
  for (const d of reset) await deps.store.putDelivery(d);
  if (reset.length > 0) await deps.queue.enqueue(reset, clockOf(deps), eventBody(event));
  return reset;
}

/**
 * Re-sends every failed delivery of an endpoint since a time: the first page here,
 * the rest as a chain of recover steps on the deliveries queue (one page each), so
 * the API call is one query and a few writes however many failed.
 */
export async function recoverEndpoint(
  deps: EndpointDeps,
  caller: Pick<Caller, 'merchantId' | 'mode'>,
  id: string,
  since: Date,
): Promise<{ resent: number; more: boolean }> {
  const endpoint = await requireEndpoint(deps, caller, id);
  return recoverStep(deps, {
    merchantId: caller.merchantId,
    mode: caller.mode,
    endpointId: endpoint.id,
    since,
  });
}

/** One page of a recover: reset those deliveries to pending, queue them, queue the next step. */
export async function recoverStep(
  deps: EndpointDeps,
  step: RecoverStep,
): Promise<{ resent: number; more: boolean }> {
  const page = await deps.store.failedDeliveriesPage(
    step.merchantId,
    step.mode,
    step.endpointId,
    step.since,
    deps.recoverPageSize?.() ?? defaultRecoverPageSize,
    step.cursor,
  );
  const now = new Date(clockOf(deps)).toISOString();
  const reset = page.deliveries.map((d) => restarted(d, now));
  await Promise.all(reset.map((d) => deps.store.putDelivery(d)));
  if (reset.length > 0) await deps.queue.enqueue(reset, clockOf(deps));
  if (page.next) await deps.queue.enqueueRecover({ ...step, cursor: page.next });
  return { resent: reset.length, more: page.next !== undefined };
}

/** GET /v1/events/{id}/attempts: the event's attempts and deliveries (404 for another merchant's or mode's). */
export async function eventAttempts(
  deps: Pick<WebhookDeps, 'store'>,
  caller: Pick<Caller, 'merchantId' | 'mode'>,
  eventId: string,
) {
  if (!(await deps.store.getEvent(caller.merchantId, caller.mode, eventId))) return undefined;
  const [attempts, deliveries] = await Promise.all([
    deps.store.listAttempts(caller.merchantId, caller.mode, eventId),
    deps.store.deliveriesOfEvent(caller.merchantId, caller.mode, eventId),
  ]);
  return { attempts, deliveries };
}
