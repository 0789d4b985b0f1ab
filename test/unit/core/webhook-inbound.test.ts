import { describe, expect, it } from 'vitest';
import type { Mode, RequestMeta } from '#core/actor';
import type { SecurityEventKind } from '#core/identity';
import { createPayment, type Payment, type PaymentDeps, settlePayment } from '#core/payments';
import type { WebhookTarget } from '#core/providers';
import { type InboundDeps, processProviderEvent, type ProviderWebhook } from '#core/webhook-inbound';
import { transitionPayment } from '#core/webhook-transitions';
import type { WebhookDeps, WebhookEndpoint } from '#core/webhooks';
import { ManualClock } from '../../support/memory/clock.ts';
import { FakeGateway, FakeRefundGateway } from '../../support/memory/gateway.ts';
import { MemoryLedger } from '../../support/memory/ledger.ts';
import { MemoryPayments } from '../../support/memory/payments.ts';
import { MemoryRefunds, memoryRefundDeps } from '../../support/memory/refunds.ts';
import {
  MemoryActivity,
  MemoryDeliveryQueue,
  MemoryWebhookStore,
  present,
  RecordingTelemetry,
  scriptedWebhookAdapter,
} from '../../support/memory/webhooks.ts';

const merchantA = { merchantId: 'mer_A', mode: 'test' as Mode };
const merchantB = { merchantId: 'mer_B', mode: 'test' as Mode };
const tokens: Record<string, WebhookTarget> = {
  tokenA: { ...merchantA, provider: 'paystack' },
  tokenB: { ...merchantB, provider: 'paystack' },
};
const actor = { kind: 'api_key', merchantId: 'mer_A', mode: 'test', keyId: 'key_1', scopes: [] } as never;
const meta: RequestMeta = { ip: '203.0.113.9', userAgent: 'test', requestId: 'req_1' };

/** The whole webhook world in memory: payments, refunds, the webhook store, the queue, a clock. */
function world() {
  const clock = new ManualClock();
  const ledger = new MemoryLedger();
  const paymentsStore = new MemoryPayments(ledger, clock.now);
  const gateway = new FakeGateway();
  const store = new MemoryWebhookStore(paymentsStore);
  const queue = new MemoryDeliveryQueue();
  const telemetry = new RecordingTelemetry();
  const activity = new MemoryActivity();
  const webhooks: WebhookDeps = { store, queue, telemetry, now: () => clock.now().getTime() };
  const payments: PaymentDeps = {
    store: paymentsStore,
    gateway,
    transition: (payment, change, providerEvent) =>
      transitionPayment(webhooks, payment, change, providerEvent),
    now: clock.now,
  };
  const refunds = memoryRefundDeps(paymentsStore, new MemoryRefunds(paymentsStore, ledger, clock.now), {
    gateway: new FakeRefundGateway(),
    now: clock.now,
  });
  const bodySigned = new Set<string>();
  const securityEvents: { merchantId: string; kind: SecurityEventKind; detail: Record<string, string> }[] =
    [];
  const removedConfigs = new Set<string>();
  /** Configurations removed and configured again: their new token. */
  const replacedTokens = new Map<string, string>();
  const faults: { afterReconcile?: (() => void) | undefined } = {};
  const deps: InboundDeps = {
    ...webhooks,
    payments,
    refunds,
    adapter: () => scriptedWebhookAdapter,
    findTarget: async (token) => tokens[token],
    providerConfig: async (merchantId, mode, provider) => {
      if (removedConfigs.has(`${merchantId}/${mode}/${provider}`)) return undefined;
      const webhookToken =
        replacedTokens.get(`${merchantId}/${mode}/${provider}`) ??
        Object.entries(tokens).find(
          ([, t]) => t.merchantId === merchantId && t.mode === mode && t.provider === provider,
        )?.[0] ??
        'none';
      return { webhookToken, credentials: async () => ({ secretKey: 'sk_test_x' }) };
    },
    sendsBodySignatures: async (token) => bodySigned.has(token),
    rememberBodySignatures: async (token) => void bodySigned.add(token),
    findAttempt: (provider, reference) => paymentsStore.findAttempt(provider, reference),
    securityEvent: async (merchantId, kind, _meta, detail) =>
      void securityEvents.push({ merchantId, kind, detail }),
    webhookAccepted: async () => {},
    activity,
    faults,
  };

  async function endpoint(owner = merchantA, events = ['*']): Promise<WebhookEndpoint> {
    const at = clock.iso();
    const e: WebhookEndpoint = {
      id: `we_${store.endpoints.size + 1}`,
      merchantId: owner.merchantId,
      mode: owner.mode,
      url: 'https://merchant.example/hooks',
      events,
      description: null,
      enabled: true,
      secrets: [],
      failingSince: null,
      disabledReason: null,
      createdAt: at,
      updatedAt: at,
    };
    await store.putEndpoint(e, null);
    return e;
  }

  async function payment(owner = merchantA, amount = 500000): Promise<Payment> {
    const out = await createPayment(
      { ...payments },
      { ...owner, actor },
      { amount, currency: 'NGN', provider: 'paystack', customer: { email: 'a@b.co' } },
      `idem-${Math.random()}`,
      meta,
    );
    const id = (out.body as { id: string }).id;
    return (await paymentsStore.getPayment(owner.merchantId, owner.mode, id)) as Payment;
  }

  const webhook = (
    p: Pick<Payment, 'attemptReference'>,
    over: { token?: string; signature?: string; eventId?: string; status?: string; type?: string } = {},
  ): ProviderWebhook => ({
    provider: 'paystack',
    token: over.token ?? 'tokenA',
    headers: over.signature === 'none' ? {} : { 'x-test-signature': over.signature ?? 'good' },
    rawBody: Buffer.from(
      JSON.stringify({
        type: over.type ?? 'charge.success',
        eventId: over.eventId ?? 'evt_provider_1',
        reference: p.attemptReference,
        status: over.status ?? 'succeeded',
      }),
    ),
    sourceIp: '198.51.100.7',
  });

  const current = async (p: Payment) =>
    (await paymentsStore.getPayment(p.merchantId, p.mode, p.id)) as Payment;

  return {
    clock,
    deps,
    gateway,
    store,
    queue,
    telemetry,
    activity,
    securityEvents,
    removedConfigs,
    replacedTokens,
    faults,
    endpoint,
    payment,
    webhook,
    current,
    process: (w: ProviderWebhook) => processProviderEvent(deps, w, 'req_1'),
  };
}

describe('provider webhooks in: dedupe and the one settle path', () => {
  it('turns the same provider event twice into one transition and one event', async () => {
    const w = world();
    const subscribed = await w.endpoint();
    const p = await w.payment();
    w.gateway.pay(p);

    expect(await w.process(w.webhook(p))).toBe('applied');
    expect(await w.process(w.webhook(p))).toBe('duplicate');

    const after = await w.current(p);
    expect(after.status).toBe('succeeded');
    expect(after.version).toBe(p.version + 1);
    const events = w.store.eventsOf(p.merchantId, p.mode);
    expect(events.map((e) => e.type)).toEqual(['payment.succeeded']);
    expect(await w.store.deliveriesOfEvent(p.merchantId, p.mode, present(events[0]).id)).toHaveLength(1);
    // The duplicate re-queues the still-pending delivery (the first run may have crashed before queueing it):
    // the same delivery twice on the queue, which the deliver worker's claim sends once.
    expect(w.queue.queued.map((q) => q.delivery)).toEqual([
      { ...merchantA, eventId: present(events[0]).id, endpointId: subscribed.id },
      { ...merchantA, eventId: present(events[0]).id, endpointId: subscribed.id },
    ]);
  });

  it('decides duplicates by the write’s condition: the same event twice at once still moves the payment once', async () => {
    const w = world();
    await w.endpoint();
    const p = await w.payment();
    w.gateway.pay(p);

    // No dedupe read before settling: both runs reach the write, and its condition lets one through.
    const outcomes = await Promise.all([w.process(w.webhook(p)), w.process(w.webhook(p))]);
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'applied')[0]).toMatch(/^(duplicate|retry)$/);
    const after = await w.current(p);
    expect(after.version).toBe(p.version + 1);
    expect(w.store.eventsOf(p.merchantId, p.mode)).toHaveLength(1);
    // A redelivery after both is a duplicate, and the event is still one.
    expect(await w.process(w.webhook(p))).toBe('duplicate');
    expect(w.store.eventsOf(p.merchantId, p.mode)).toHaveLength(1);
  });

  it('settles through the provider’s own answer, by webhook, and leaves a later verify nothing to do', async () => {
    const w = world();
    const p = await w.payment();
    w.gateway.pay(p);
    await w.process(w.webhook(p));
    const after = await w.current(p);
    expect(after.settledBy).toBe('webhook');
    expect(after.capturedAmount).toBe(p.amount);

    const verify = await settlePayment(w.deps.payments, p.merchantId, p.mode, p.id, { via: 'verify' });
    expect(verify).toMatchObject({ outcome: 'unchanged', reason: 'already_succeeded' });
    expect(w.store.eventsOf(p.merchantId, p.mode)).toHaveLength(1);
  });

  it('never trusts the claim: a webhook saying paid while the provider says pending is retried, not applied', async () => {
    const w = world();
    const p = await w.payment();
    expect(await w.process(w.webhook(p, { status: 'succeeded' }))).toBe('retry');
    expect((await w.current(p)).status).toBe('pending');
    // Not marked processed: the redelivery decides.
    expect(
      await w.store.getProviderEvent(
        p.merchantId,
        p.mode,
        'paystack',
        `${p.attemptReference}#evt_provider_1`,
      ),
    ).toBeUndefined();
  });

  it('ignores a late, out-of-order event once the payment is final, and remembers it as ignored', async () => {
    const w = world();
    const p = await w.payment();
    w.gateway.pay(p);
    expect(await w.process(w.webhook(p, { eventId: 'evt_ok' }))).toBe('applied');

    const late = w.webhook(p, { eventId: 'evt_declined_earlier', status: 'failed', type: 'charge.failed' });
    expect(await w.process(late)).toBe('ignored');
    expect(await w.process(late)).toBe('duplicate');

    expect((await w.current(p)).status).toBe('succeeded');
    expect(w.store.eventsOf(p.merchantId, p.mode).map((e) => e.type)).toEqual(['payment.succeeded']);
    const remembered = await w.store.getProviderEvent(
      p.merchantId,
      p.mode,
      'paystack',
      `${p.attemptReference}#evt_declined_earlier`,
    );
    expect(remembered).toMatchObject({ outcome: 'ignored', eventId: null });
  });

  it('puts a payment whose provider reports another amount to review, with payment.amount_mismatch', async () => {
    const w = world();
    const p = await w.payment(merchantA, 500000);
    w.gateway.pay(p, { amount: 400000 });
    expect(await w.process(w.webhook(p))).toBe('applied');
    const after = await w.current(p);
    expect(after.status).toBe('requires_review');
    expect(after.failureReason).toBe('amount_mismatch');
    expect(after.amountMismatch).toEqual({
      expected: { amount: 500000, currency: 'NGN' },
      reported: { amount: 400000, currency: 'NGN' },
    });
    expect(w.store.eventsOf(p.merchantId, p.mode).map((e) => e.type)).toEqual(['payment.amount_mismatch']);
  });

  it('keeps dedupe per merchant: another merchant’s signed webhook naming our reference touches nothing', async () => {
    const w = world();
    const p = await w.payment(merchantA);
    w.gateway.pay(p);
    expect(await w.process(w.webhook(p, { token: 'tokenB' }))).toBe('ignored');
    expect((await w.current(p)).status).toBe('pending');
    expect(w.store.providerEvents.size).toBe(0);
    // Merchant A's own webhook with the same provider event id still applies.
    expect(await w.process(w.webhook(p))).toBe('applied');
  });

  it('loses nothing when it crashes between the provider’s verdict and the write', async () => {
    const w = world();
    await w.endpoint();
    const p = await w.payment();
    w.gateway.pay(p);
    w.faults.afterReconcile = () => {
      throw new Error('crash');
    };
    await expect(w.process(w.webhook(p))).rejects.toThrow('crash');
    expect((await w.current(p)).status).toBe('pending');
    w.faults.afterReconcile = undefined;
    expect(await w.process(w.webhook(p))).toBe('applied');
    expect(w.store.eventsOf(p.merchantId, p.mode)).toHaveLength(1);
  });
});

describe('provider webhooks in: signatures', () => {
  it('rejects a bad signature: a security event, nothing applied, the provider never asked', async () => {
    const w = world();
    const p = await w.payment();
    w.gateway.pay(p);
    expect(await w.process(w.webhook(p, { signature: 'forged' }))).toBe('rejected');
    expect(await w.process(w.webhook(p, { signature: 'none' }))).toBe('rejected');
    expect(await w.process(w.webhook(p, { signature: 'stale' }))).toBe('rejected');

    expect((await w.current(p)).status).toBe('pending');
    expect(w.gateway.callsOf('verify')).toHaveLength(0);
    expect(w.securityEvents.map((e) => [e.kind, e.detail.reason])).toEqual([
      ['webhook_signature_rejected', 'bad_signature'],
      ['webhook_signature_rejected', 'missing_signature'],
      ['webhook_signature_rejected', 'stale_timestamp'],
    ]);
    expect(w.telemetry.counts).toHaveLength(0); // WebhooksReceived counts accepted signatures only
  });

  it('refuses a static-secret delivery once the URL has sent body signatures (a downgrade)', async () => {
    const w = world();
    const first = await w.payment();
    const second = await w.payment();
    // Before any body signature, the static secret is what the provider sends: accepted.
    expect(await w.process(w.webhook(first, { signature: 'static' }))).toBe('retry'); // accepted, provider says pending
    w.gateway.pay(first);
    expect(await w.process(w.webhook(first, { signature: 'good', eventId: 'evt_2' }))).toBe('applied');

    w.gateway.pay(second);
    expect(await w.process(w.webhook(second, { signature: 'static', eventId: 'evt_3' }))).toBe('rejected');
    expect(w.securityEvents.at(-1)?.detail.reason).toBe('legacy_signature_refused');
    expect((await w.current(second)).status).toBe('pending');
  });

  it('rejects an unknown token or a removed configuration without asking anyone', async () => {
    const w = world();
    const p = await w.payment();
    expect(await w.process(w.webhook(p, { token: 'nobody' }))).toBe('rejected');
    w.removedConfigs.add('mer_A/test/paystack');
    expect(await w.process(w.webhook(p))).toBe('rejected');
    expect(w.securityEvents).toHaveLength(0);
    expect(w.gateway.callsOf('verify')).toHaveLength(0);
  });

  it('trusts ingest’s target only for the configuration’s own token: a removed and re-made configuration’s old URL is refused', async () => {
    const w = world();
    const p = await w.payment();
    w.gateway.pay(p);
    // Ingest verified a signed token naming merchant A (no read): the worker holds it to A's configuration.
    const viaIngest = { ...w.webhook(p), target: merchantA };
    w.replacedTokens.set('mer_A/test/paystack', 'tokenA-new');
    expect(await w.process(viaIngest)).toBe('rejected');
    expect(w.gateway.callsOf('verify')).toHaveLength(0);
    expect((await w.current(p)).status).toBe('pending');
    // The configuration's current URL goes through.
    expect(await w.process({ ...viaIngest, token: 'tokenA-new' })).toBe('applied');
  });
});

describe('provider webhooks in: the payment’s timeline', () => {
  it('records each webhook tied to a payment with its signature result and outcome', async () => {
    const w = world();
    const p = await w.payment();
    await w.process(w.webhook(p, { signature: 'forged' }));
    await w.process(w.webhook(p, { eventId: 'evt_early' }));
    w.gateway.pay(p);
    await w.process(w.webhook(p, { eventId: 'evt_paid' }));
    await w.process(w.webhook(p, { eventId: 'evt_paid' }));

    expect(
      w.activity.entries.map((e) =>
        e.kind === 'provider_webhook' ? [e.signature, e.outcome, e.reason] : [],
      ),
    ).toEqual([
      ['rejected', 'rejected', 'bad_signature'],
      ['valid', 'retry', 'provider_not_settled'],
      ['valid', 'applied', undefined],
      ['valid', 'duplicate', undefined],
    ]);
    expect(w.activity.entries[2]).toMatchObject({
      kind: 'provider_webhook',
      merchantId: 'mer_A',
      mode: 'test',
      paymentId: p.id,
      provider: 'paystack',
      providerEventId: 'evt_paid',
    });
  });

  it('records nothing for a payment of another merchant, and a failing timeline never fails the money path', async () => {
    const w = world();
    const p = await w.payment(merchantA);
    w.gateway.pay(p);
    await w.process(w.webhook(p, { token: 'tokenB', signature: 'forged' }));
    expect(w.activity.entries).toHaveLength(0);

    w.activity.failing = true;
    expect(await w.process(w.webhook(p))).toBe('applied');
    expect(w.telemetry.messages('warn')).toContain('could not record payment activity');
  });
});
