import { describe, expect, it } from 'vitest';
import type { Mode, RequestMeta } from '#core/actor';
import { Conflict, NotFound, ValidationFailed } from '#core/errors';
import {
  createEndpoint,
  type EndpointDeps,
  maxEndpoints,
  recoverEndpoint,
  recoverStep,
  resendEvent,
  rotateSecret,
  rotationOverlapMs,
  signingSecrets,
  updateEndpoint,
} from '#core/webhook-endpoints';
import { newDelivery, type OutboundEvent, publicEndpoint } from '#core/webhooks';
import { ManualClock } from '../../support/memory/clock.ts';
import {
  MemoryDeliveryQueue,
  memorySecrets,
  MemoryWebhookStore,
  present,
  RecordingTelemetry,
} from '../../support/memory/webhooks.ts';

const actor = { kind: 'user', merchantId: 'mer_A', mode: 'test', userId: 'usr_1', role: 'owner' } as never;
const caller = { merchantId: 'mer_A', mode: 'test' as Mode, actor };
const meta: RequestMeta = { ip: '203.0.113.9', userAgent: 'test', requestId: 'req_1' };
const input = { url: 'https://merchant.example/hooks', events: ['*'] };

function world() {
  const clock = new ManualClock();
  const store = new MemoryWebhookStore();
  const queue = new MemoryDeliveryQueue();
  const checked: string[] = [];
  let pageSize = 100;
  const deps: EndpointDeps = {
    store,
    queue,
    telemetry: new RecordingTelemetry(),
    now: () => clock.now().getTime(),
    secrets: memorySecrets,
    checkUrl: async (url) => {
      checked.push(url);
      if (url.includes('169.254.169.254')) {
        throw new ValidationFailed('url_forbidden', 'Not a deliverable address.', 'url', 422);
      }
    },
    recoverPageSize: () => pageSize,
  };
  return {
    clock,
    store,
    queue,
    checked,
    deps,
    setPageSize: (n: number) => {
      pageSize = n;
    },
  };
}

describe('webhook endpoints: rules', () => {
  it(`allows at most ${maxEndpoints} endpoints per merchant and mode`, async () => {
    const w = world();
    for (let i = 0; i < maxEndpoints; i++) await createEndpoint(w.deps, caller, input, meta);
    await expect(createEndpoint(w.deps, caller, input, meta)).rejects.toMatchObject({
      code: 'too_many_endpoints',
    });
    await expect(createEndpoint(w.deps, caller, input, meta)).rejects.toBeInstanceOf(Conflict);
    // The other mode has its own allowance.
    await expect(createEndpoint(w.deps, { ...caller, mode: 'live' }, input, meta)).resolves.toBeDefined();
  });

  it('checks the URL before writing anything, and records the owner’s security event with the change', async () => {
    const w = world();
    await expect(
      createEndpoint(w.deps, caller, { ...input, url: 'http://169.254.169.254/latest' }, meta),
    ).rejects.toBeInstanceOf(ValidationFailed);
    expect(w.store.endpoints.size).toBe(0);

    const { endpoint, secret } = await createEndpoint(w.deps, caller, input, meta);
    expect(secret).toMatch(/^whsec_/);
    expect(w.store.notes.map((n) => [n.kind, n.detail.endpointId])).toEqual([
      ['webhook_endpoint_created', endpoint.id],
    ]);
    // What the API shows never carries a secret or the owner.
    const shown = publicEndpoint(endpoint);
    expect(JSON.stringify(shown)).not.toContain('whsec_');
    expect(shown).not.toHaveProperty('secrets');
    expect(shown).not.toHaveProperty('merchantId');
  });

  it('refuses an update made on a stale copy (someone changed the endpoint meanwhile)', async () => {
    const w = world();
    const { endpoint } = await createEndpoint(w.deps, caller, input, meta);
    const original = w.store.putEndpoint.bind(w.store);
    // Another writer gets in between this update's read and its conditional write.
    w.store.putEndpoint = async (e, expected, note) => {
      w.store.putEndpoint = original;
      const current = present(await w.store.getEndpoint(e.merchantId, e.mode, e.id));
      await original({ ...current, updatedAt: 'changed' }, current.updatedAt);
      return original(e, expected, note);
    };
    await expect(updateEndpoint(w.deps, caller, endpoint.id, { enabled: false }, meta)).rejects.toMatchObject(
      {
        code: 'concurrent_update',
      },
    );
  });
});

describe('webhook endpoints: secret rotation', () => {
  it('signs with the new and the previous secret for 24 h after a rotation, then with the new one only', async () => {
    const w = world();
    const { secret: first } = await createEndpoint(w.deps, caller, input, meta);
    const id = present([...w.store.endpoints.values()][0]).id;
    w.clock.advance(1000);
    const { endpoint, secret: second } = await rotateSecret(w.deps, caller, id, meta);

    expect(await signingSecrets(memorySecrets, endpoint, w.clock.now().getTime())).toEqual([second, first]);
    expect(publicEndpoint(endpoint).secretRotatedUntil).toBe(
      new Date(w.clock.now().getTime() + rotationOverlapMs).toISOString(),
    );
    w.clock.advance(rotationOverlapMs);
    expect(await signingSecrets(memorySecrets, endpoint, w.clock.now().getTime())).toEqual([second]);
  });

  it('keeps every secret still inside its overlap when rotating twice, and drops expired ones', async () => {
    const w = world();
    const { endpoint } = await createEndpoint(w.deps, caller, input, meta);
    await rotateSecret(w.deps, caller, endpoint.id, meta);
    w.clock.advance(3600_000);
    const twice = await rotateSecret(w.deps, caller, endpoint.id, meta);
    expect(await signingSecrets(memorySecrets, twice.endpoint, w.clock.now().getTime())).toHaveLength(3);

    w.clock.advance(rotationOverlapMs);
    const thrice = await rotateSecret(w.deps, caller, endpoint.id, meta);
    // Only the previous current secret (now in its overlap) and the new one remain stored.
    expect(thrice.endpoint.secrets).toHaveLength(2);
  });
});

describe('webhook endpoints: resend and recover', () => {
  async function eventWithDelivery(
    w: ReturnType<typeof world>,
    endpointId: string,
    status: 'failed' | 'delivered',
  ) {
    const at = w.clock.iso();
    const event: OutboundEvent = {
      id: `evt_${String(w.store.events.size + 1).padStart(3, '0')}`,
      type: 'payment.succeeded',
      createdAt: at,
      mode: 'test',
      paymentId: 'pay_1',
      data: { object: {} },
    };
    const delivery = { ...newDelivery(event, 'mer_A', endpointId, at), status, attemptCount: 10 };
    await w.store.insertEvent('mer_A', event, [delivery]);
    w.clock.advance(1000);
    return { event, delivery };
  }

  it('resends with the same webhook-id and a fresh schedule; an unknown event is a 404', async () => {
    const w = world();
    const { endpoint } = await createEndpoint(w.deps, caller, input, meta);
    const { event, delivery } = await eventWithDelivery(w, endpoint.id, 'failed');
    const [resent] = await resendEvent(w.deps, caller, event.id);
    expect(resent).toMatchObject({ id: delivery.id, status: 'pending', attemptCount: 0 });
    expect(w.queue.queued.map((q) => q.delivery.eventId)).toEqual([event.id]);
    await expect(resendEvent(w.deps, caller, 'evt_missing')).rejects.toBeInstanceOf(NotFound);
    // Another merchant's caller cannot resend it.
    await expect(resendEvent(w.deps, { merchantId: 'mer_B', mode: 'test' }, event.id)).rejects.toBeInstanceOf(
      NotFound,
    );
  });

  it('resends to an endpoint that never had the event as a new delivery', async () => {
    const w = world();
    const { endpoint: a } = await createEndpoint(w.deps, caller, input, meta);
    const { endpoint: b } = await createEndpoint(w.deps, caller, input, meta);
    const { event, delivery } = await eventWithDelivery(w, a.id, 'delivered');
    const [fresh] = await resendEvent(w.deps, caller, event.id, b.id);
    expect(fresh).toMatchObject({ endpointId: b.id, status: 'pending' });
    expect(present(fresh).id).not.toBe(delivery.id);
  });

  it('recovers every failed delivery since a time, one page per step, chained on the queue', async () => {
    const w = world();
    w.setPageSize(2);
    const { endpoint } = await createEndpoint(w.deps, caller, input, meta);
    const since = w.clock.now();
    const failed = [];
    for (let i = 0; i < 5; i++) failed.push((await eventWithDelivery(w, endpoint.id, 'failed')).delivery.id);
    await eventWithDelivery(w, endpoint.id, 'delivered');

    let step = await recoverEndpoint(w.deps, caller, endpoint.id, since);
    let steps = 1;
    while (step.more) {
      const next = present(w.queue.recovers.shift(), 'a queued recover step');
      expect(next).toMatchObject({ merchantId: 'mer_A', mode: 'test', endpointId: endpoint.id, since });
      step = await recoverStep(w.deps, next);
      steps++;
    }
    expect(steps).toBe(3);
    const pending = [...w.store.deliveries.values()].filter((d) => d.status === 'pending').map((d) => d.id);
    expect(pending.sort()).toEqual(failed.sort());
    expect(w.queue.queued).toHaveLength(5);
  });
});
