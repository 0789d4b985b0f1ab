import { describe, expect, it } from 'vitest';
import type { Mode } from '#core/actor';
import {
  abandonedClaimMs,
  answerText,
  type DeliveryDeps,
  deliver,
  type PostResult,
} from '#core/webhook-delivery';
import { verifyWebhookSignature } from '#core/webhook-signature';
import {
  defaultRetrySchedule,
  disableAfterMs,
  emitEvent,
  eventBody,
  newDelivery,
  type OutboundEvent,
  retryDelay,
  type WebhookEndpoint,
} from '#core/webhooks';
import { ManualClock } from '../../support/memory/clock.ts';
import {
  MemoryDeliveryQueue,
  memorySecrets,
  MemoryWebhookStore,
  present,
  RecordingTelemetry,
} from '../../support/memory/webhooks.ts';

const merchant = { merchantId: 'mer_A', mode: 'test' as Mode };
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** An endpoint that answers what the test scripts, one answer per POST (the last repeats). */
function world(answers: PostResult[] = [{ status: 200, headers: {}, bodyPrefix: 'ok', latencyMs: 3 }]) {
  const clock = new ManualClock();
  const store = new MemoryWebhookStore();
  const queue = new MemoryDeliveryQueue();
  const telemetry = new RecordingTelemetry();
  const posts: { url: string; body: string; headers: Record<string, string> }[] = [];
  const deps: DeliveryDeps = {
    store,
    queue,
    telemetry,
    now: () => clock.now().getTime(),
    secrets: memorySecrets,
    post: async (url, request) => {
      posts.push({ url, body: request.body, headers: request.headers });
      return answers[Math.min(posts.length - 1, answers.length - 1)] as PostResult;
    },
    retrySchedule: () => defaultRetrySchedule,
    random: () => 0.5, // no jitter: 0.8 + 0.4 × 0.5 = 1
  };

  async function endpoint(id: string, events = ['*']): Promise<WebhookEndpoint> {
    const at = clock.iso();
    const e: WebhookEndpoint = {
      id,
      ...merchant,
      url: `https://merchant.example/${id}`,
      events,
      description: null,
      enabled: true,
      secrets: [],
      failingSince: null,
      disabledReason: null,
      createdAt: at,
      updatedAt: at,
    };
    e.secrets = [{ sealed: await memorySecrets.seal(secret, e), createdAt: at, expiresAt: null }];
    await store.putEndpoint(e, null);
    return e;
  }

  /** An event with one pending delivery to `endpointId`; returns the delivery's key. */
  async function event(endpointId: string) {
    const e: OutboundEvent = {
      id: `evt_${store.events.size + 1}`,
      type: 'payment.succeeded',
      createdAt: clock.iso(),
      mode: merchant.mode,
      paymentId: 'pay_1',
      data: { object: { id: 'pay_1', status: 'succeeded' } },
    };
    await store.insertEvent(merchant.merchantId, e, [
      newDelivery(e, merchant.merchantId, endpointId, clock.iso()),
    ]);
    return { ...merchant, eventId: e.id, endpointId };
  }

  const now = () => clock.now().getTime();
  return { clock, store, queue, telemetry, posts, deps, endpoint, event, now };
}

const failing = (status: number, headers: Record<string, string> = {}): PostResult => ({
  status,
  headers,
  bodyPrefix: 'nope',
  latencyMs: 5,
});

describe('merchant webhooks out: one attempt', () => {
  it('delivers signed per Standard Webhooks, records the attempt and marks the delivery delivered', async () => {
    const w = world();
    await w.endpoint('we_1');
    const key = await w.event('we_1');
    expect(await deliver(w.deps, key, w.now())).toBe('delivered');

    const post = present(w.posts[0], 'a POST');
    const verified = verifyWebhookSignature({
      body: post.body,
      headers: post.headers,
      secrets: secret,
      now: Math.floor(w.now() / 1000),
    });
    expect(verified.valid).toBe(true);
    const delivery = await w.store.getDelivery(key.merchantId, key.mode, key.eventId, key.endpointId);
    expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 1 });
    expect(post.headers['webhook-id']).toBe(present(delivery).id);
    expect(await w.store.listAttempts(key.merchantId, key.mode, key.eventId)).toMatchObject([
      { attempt: 1, status: 200, responseBody: 'ok', error: null },
    ]);
  });

  it('sends nothing twice: a second message for a delivered delivery is skipped', async () => {
    const w = world();
    await w.endpoint('we_1');
    const key = await w.event('we_1');
    await deliver(w.deps, key, w.now());
    expect(await deliver(w.deps, key, w.now())).toBe('skipped');
    expect(w.posts).toHaveLength(1);
  });

  it('defers a message that came early (a chained wait) without attempting it', async () => {
    const w = world();
    await w.endpoint('we_1');
    const key = await w.event('we_1');
    const due = w.now() + 3_600_000;
    expect(await deliver(w.deps, key, due)).toBe('deferred');
    expect(w.posts).toHaveLength(0);
    expect(w.queue.queued).toEqual([{ delivery: key, notBefore: due }]);
  });

  it('fails a delivery whose endpoint is gone or disabled, without a POST', async () => {
    const w = world();
    const e = await w.endpoint('we_1');
    const key = await w.event('we_1');
    await w.store.putEndpoint({ ...e, enabled: false }, e.updatedAt);
    expect(await deliver(w.deps, key, w.now())).toBe('failed');
    expect(w.posts).toHaveLength(0);
  });
});

describe('merchant webhooks out: messages that carry the attempt count and the event', () => {
  /** Counts the store's reads of deliveries and events. */
  function counted(w: ReturnType<typeof world>) {
    const reads = { delivery: 0, event: 0 };
    const { getDelivery, getEvent } = w.store;
    w.store.getDelivery = (...a) => ((reads.delivery += 1), getDelivery.apply(w.store, a));
    w.store.getEvent = (...a) => ((reads.event += 1), getEvent.apply(w.store, a));
    return reads;
  }

  it('queues a new event’s deliveries with their attempt count and the exact body, and sends that body without reading the event or the delivery', async () => {
    const w = world();
    const e = await w.endpoint('we_1');
    const event: OutboundEvent = {
      id: 'evt_carried',
      type: 'payment.succeeded',
      createdAt: w.clock.iso(),
      mode: merchant.mode,
      paymentId: 'pay_1',
      data: { object: { id: 'pay_1', status: 'succeeded' } },
    };
    await emitEvent(w.deps, merchant.merchantId, event, [e]);
    const queued = present(w.queue.drain()[0], 'a queued delivery');
    expect(queued).toMatchObject({ attemptCount: 0, body: eventBody(event) });

    const reads = counted(w);
    const job = { ...queued.delivery, attemptCount: queued.attemptCount, body: queued.body };
    expect(await deliver(w.deps, job, w.now())).toBe('delivered');
    expect(reads).toEqual({ delivery: 0, event: 0 });
    expect(present(w.posts[0]).body).toBe(eventBody(event));
    // The same message again (SQS delivers at least once) claims nothing and sends nothing.
    expect(await deliver(w.deps, job, w.now())).toBe('skipped');
    expect(w.posts).toHaveLength(1);
    expect(await w.store.listAttempts(merchant.merchantId, merchant.mode, event.id)).toHaveLength(1);
  });

  it('queues a retry at the next attempt count with the same body; an outdated message claims nothing', async () => {
    const w = world([failing(500), { status: 200, headers: {}, bodyPrefix: 'ok', latencyMs: 1 }]);
    await w.endpoint('we_1');
    const key = await w.event('we_1');
    expect(await deliver(w.deps, { ...key, attemptCount: 0 }, w.now())).toBe('retrying');
    const retry = present(w.queue.drain()[0], 'a queued retry');
    expect(retry.attemptCount).toBe(1);
    expect(retry.body).toBe(present(w.posts[0]).body);
    w.clock.set(new Date(retry.notBefore));
    // The first message once more (a late duplicate): its count is behind the delivery's.
    expect(await deliver(w.deps, { ...key, attemptCount: 0 }, w.now())).toBe('skipped');
    expect(await deliver(w.deps, { ...retry.delivery, attemptCount: 1, body: retry.body }, w.now())).toBe(
      'delivered',
    );
    expect(w.posts).toHaveLength(2);
    const delivery = await w.store.getDelivery(key.merchantId, key.mode, key.eventId, key.endpointId);
    expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 2 });
  });

  it('sends again when a worker stopped between its claim and its record, once the claim is abandoned, and never while it may be in flight', async () => {
    const w = world();
    await w.endpoint('we_1');
    const key = await w.event('we_1');
    const job = { ...key, attemptCount: 0 };
    // The first worker POSTs, then its write fails (or it crashes): SQS will redeliver the message.
    const { recordAttempt } = w.store;
    w.store.recordAttempt = async () => {
      throw new Error('DynamoDB unavailable');
    };
    await expect(deliver(w.deps, job, w.now())).rejects.toThrow('DynamoDB unavailable');
    w.store.recordAttempt = recordAttempt;
    expect(w.posts).toHaveLength(1);

    // Redelivered at once (or a duplicate beside a live attempt): it waits for the claim to age.
    expect(await deliver(w.deps, job, w.now())).toBe('deferred');
    const later = present(w.queue.drain()[0], 'the message queued again');
    expect(later.notBefore - w.now()).toBe(abandonedClaimMs);
    expect(w.posts).toHaveLength(1);
    w.clock.set(new Date(later.notBefore));
    expect(await deliver(w.deps, { ...later.delivery, attemptCount: later.attemptCount }, w.now())).toBe(
      'delivered',
    );
    expect(w.posts).toHaveLength(2);
    expect(w.posts[1]?.headers['webhook-id']).toBe(w.posts[0]?.headers['webhook-id']);
    const delivery = await w.store.getDelivery(key.merchantId, key.mode, key.eventId, key.endpointId);
    expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 2 });
    // And the old message once more: done, nothing sent.
    expect(await deliver(w.deps, job, w.now())).toBe('skipped');
    expect(w.posts).toHaveLength(2);
  });

  it('sends once when the same message is taken by two workers at the same time', async () => {
    const w = world();
    await w.endpoint('we_1');
    const key = await w.event('we_1');
    const job = { ...key, attemptCount: 0 };
    const outcomes = await Promise.all([deliver(w.deps, job, w.now()), deliver(w.deps, job, w.now())]);
    expect(outcomes).toContain('delivered');
    expect(w.posts).toHaveLength(1);
    // A deferred copy comes back after the claim would be abandoned, finds it delivered, and sends nothing.
    for (const again of w.queue.drain()) {
      w.clock.set(new Date(again.notBefore));
      expect(await deliver(w.deps, { ...again.delivery, attemptCount: again.attemptCount }, w.now())).toBe(
        'skipped',
      );
    }
    expect(w.posts).toHaveLength(1);
  });

  it('gives the claim back when nothing is sent: a disabled endpoint’s delivery ends failed with no attempt counted', async () => {
    const w = world();
    const e = await w.endpoint('we_1');
    const key = await w.event('we_1');
    await w.store.putEndpoint({ ...e, enabled: false }, e.updatedAt);
    expect(await deliver(w.deps, { ...key, attemptCount: 0 }, w.now())).toBe('failed');
    expect(w.posts).toHaveLength(0);
    const delivery = await w.store.getDelivery(key.merchantId, key.mode, key.eventId, key.endpointId);
    expect(delivery).toMatchObject({ status: 'failed', attemptCount: 0, lastAttemptAt: null });
  });
});

describe('merchant webhooks out: the retry schedule', () => {
  it('retries on the Standard Webhooks schedule with the same webhook-id: 5 s, then 5 min, then 30 min', async () => {
    const w = world([failing(500)]);
    await w.endpoint('we_1');
    const key = await w.event('we_1');
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(await deliver(w.deps, key, w.now())).toBe('retrying');
      const next = present(w.queue.drain()[0], 'a queued retry');
      waits.push((next.notBefore - w.now()) / 1000);
      w.clock.set(new Date(next.notBefore));
    }
    expect(waits).toEqual([5, 300, 1800]);
    expect(new Set(w.posts.map((p) => p.headers['webhook-id'])).size).toBe(1);
  });

  it('waits longer when the endpoint asks to (Retry-After), never shorter', async () => {
    const w = world([failing(503, { 'retry-after': '120' })]);
    await w.endpoint('we_1');
    const key = await w.event('we_1');
    await deliver(w.deps, key, w.now());
    expect((present(w.queue.drain()[0]).notBefore - w.now()) / 1000).toBe(120);
  });

  it('parks the delivery in the dead-letter queue when the schedule is spent', async () => {
    const w = world([failing(500)]);
    const deps = { ...w.deps, retrySchedule: () => [0, 5] };
    await w.endpoint('we_1');
    const key = await w.event('we_1');
    expect(await deliver(deps, key, w.now())).toBe('retrying');
    w.clock.advance(5000);
    expect(await deliver(deps, key, w.now())).toBe('failed');
    expect(w.queue.deadLettered.map((d) => d.delivery)).toEqual([key]);
    expect((await w.store.getDelivery(key.merchantId, key.mode, key.eventId, key.endpointId))?.status).toBe(
      'failed',
    );
  });

  it('jitters each wait within ±20 %', () => {
    expect(retryDelay(defaultRetrySchedule, 3, undefined, () => 0)).toBe(240);
    expect(retryDelay(defaultRetrySchedule, 3, undefined, () => 1)).toBe(360);
    expect(retryDelay(defaultRetrySchedule, 11, undefined)).toBeUndefined();
  });
});

describe('merchant webhooks out: disabling an endpoint', () => {
  it('disables an endpoint that has failed everything for 5 days, and tells the merchant’s other endpoints', async () => {
    const w = world([failing(500)]);
    await w.endpoint('we_1');
    await w.endpoint('we_watcher', ['webhook_endpoint.disabled']);
    await w.endpoint('we_other', ['payment.succeeded']);
    const first = await w.event('we_1');
    expect(await deliver(w.deps, first, w.now())).toBe('retrying');
    expect((await w.store.getEndpoint(merchant.merchantId, merchant.mode, 'we_1'))?.failingSince).toBe(
      w.clock.iso(),
    );

    w.clock.advance(disableAfterMs - 1000);
    expect(await deliver(w.deps, await w.event('we_1'), w.now())).toBe('retrying');
    w.clock.advance(1000);
    expect(await deliver(w.deps, await w.event('we_1'), w.now())).toBe('disabled');

    const endpoint = await w.store.getEndpoint(merchant.merchantId, merchant.mode, 'we_1');
    expect(endpoint).toMatchObject({ enabled: false, disabledReason: 'failing_for_5_days' });
    const disabled = w.store
      .eventsOf(merchant.merchantId, merchant.mode)
      .filter((e) => e.type === 'webhook_endpoint.disabled');
    expect(disabled).toHaveLength(1);
    const told = await w.store.deliveriesOfEvent(merchant.merchantId, merchant.mode, present(disabled[0]).id);
    expect(told.map((d) => d.endpointId)).toEqual(['we_watcher']);
  });

  it('clears the failing streak on a success', async () => {
    const w = world([failing(500), { status: 204, headers: {}, bodyPrefix: '', latencyMs: 1 }]);
    await w.endpoint('we_1');
    const key = await w.event('we_1');
    await deliver(w.deps, key, w.now());
    w.clock.advance(5000);
    expect(await deliver(w.deps, key, w.now())).toBe('delivered');
    expect((await w.store.getEndpoint(merchant.merchantId, merchant.mode, 'we_1'))?.failingSince).toBeNull();
  });

  it('disables an endpoint at once when it answers 410 Gone', async () => {
    const w = world([failing(410)]);
    await w.endpoint('we_1');
    expect(await deliver(w.deps, await w.event('we_1'), w.now())).toBe('disabled');
    expect((await w.store.getEndpoint(merchant.merchantId, merchant.mode, 'we_1'))?.disabledReason).toBe(
      'gone',
    );
  });
});

describe('merchant webhooks out: what of an answer is kept', () => {
  it('keeps text, never binary or control bytes', () => {
    expect(answerText({ headers: { 'content-type': 'application/json' }, bodyPrefix: '{"ok":true}' })).toBe(
      '{"ok":true}',
    );
    expect(answerText({ headers: { 'content-type': 'image/png' }, bodyPrefix: 'PNG' })).toBeNull();
    expect(answerText({ headers: {}, bodyPrefix: 'a\u0000b' })).toBeNull();
    expect(answerText({ headers: {}, bodyPrefix: 'caf\uFFFD' })).toBe('caf');
  });
});
