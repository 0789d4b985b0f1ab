import type { Mode } from '#core/actor';
import { missing } from '#core/errors';
import { eventAttempts, listEndpoints, requireEndpoint } from '#core/webhook-endpoints';
import type { EventFilters } from '#core/webhooks';
import { webhookStore } from '#store/webhooks';

/**
 * The webhook area's reads, apart from its commands (app/webhooks.ts): a handler that
 * only reads endpoints, events or attempts imports this module, so its bundle carries
 * the webhook store and nothing of endpoint secrets (KMS), the SSRF-checked POST or the
 * deliveries queue. Always in the caller's merchant and mode. `webhookEndpoints` and
 * `webhookEvents` (app/webhooks.ts) carry the same reads.
 */
type Scope = { merchantId: string; mode: Mode };
const deps = { store: webhookStore };

/** The merchant's webhook endpoints (reads). */
export const webhookEndpointReads = {
  list: (caller: Scope) => listEndpoints(deps, caller),
  get: (caller: Scope, id: string) => requireEndpoint(deps, caller, id),
};

/** The merchant's outbound events, their deliveries and attempts (reads). */
export const webhookEventReads = {
  list: (caller: Scope, filters: EventFilters, limit: number, cursor?: string) =>
    webhookStore.listEvents(caller.merchantId, caller.mode, filters, limit, cursor),
  /** One event; 404 when it is not the caller's (merchant and mode). */
  async get(caller: Scope, id: string) {
    const event = await webhookStore.getEvent(caller.merchantId, caller.mode, id);
    if (!event) throw missing('event', id, caller.mode);
    return event;
  },
  /** Every delivery attempt of an event and its deliveries; 404 when the event is not the caller's. */
  async attempts(caller: Scope, id: string) {
    const found = await eventAttempts(deps, caller, id);
    if (!found) throw missing('event', id, caller.mode);
    return found;
  },
};
