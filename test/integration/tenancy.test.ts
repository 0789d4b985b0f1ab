import { beforeAll, describe, expect, it } from 'vitest';
import { routeKey, routes } from '#routes';
import { useApi } from '#test/http';
import { bearer, createKey, registerMerchant, type TestMerchant } from '#test/merchants';
import { outboxMessages } from '#runtime/mail';
import { getProviderConfig } from '#store/providers';
import { paymentsStore } from '#store/payments';
import { newId } from '#core/ids';
import type { Payment } from '#core/payments';
import { insertEvent } from '#store/webhooks';
import { posting } from '#core/ledger';
import type { Refund } from '#core/refunds';
import { defaultRefundPolicy } from '#core/refunds';
import { refundsStore } from '#store/refunds';
import { paymentActivity } from '#app/payment-activity';

/**
 * The tenancy sweep: for every route in the table, a caller from merchant B
 * never sees or touches merchant A's objects, and a route that takes
 * credentials refuses a request without them. A new route fails this test
 * until it is given a case below.
 */
const api = useApi();

interface World {
  a: TestMerchant;
  b: TestMerchant;
  aKeys: { test: { id: string; key: string }; live: { id: string; key: string } };
  bKeys: { test: { id: string; key: string }; live: { id: string; key: string } };
}
let w: World;

beforeAll(async () => {
  const a = await registerMerchant(api.request, 'Merchant A');
  const b = await registerMerchant(api.request, 'Merchant B');
  w = {
    a,
    b,
    aKeys: {
      test: await createKey(api.request, a, 'test', 'full'),
      live: await createKey(api.request, a, 'live', 'full'),
    },
    bKeys: {
      test: await createKey(api.request, b, 'test', 'full'),
      live: await createKey(api.request, b, 'live', 'full'),
    },
  };
});

/** Merchant A's payments, one per mode, written through the real store. */
const aPayments: Record<'test' | 'live', string> = { test: '', live: '' };
beforeAll(async () => {
  for (const mode of ['test', 'live'] as const) {
    const at = new Date().toISOString();
    const payment: Payment = {
      id: newId('pay'),
      merchantId: w.a.merchantId,
      mode,
      status: 'pending',
      amount: 5000,
      currency: 'NGN',
      provider: 'paystack',
      providerReference: 'ref-a',
      attemptReference: newId('ref'),
      checkoutUrl: 'https://checkout.example/a',
      reference: 'a-order',
      customer: { email: 'a-buyer@example.com' },
      description: null,
      redirectUrl: null,
      metadata: {},
      attempts: [],
      failureReason: null,
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      acceptOverpayment: false,
      lastCheckedAt: null,
      nextCheckAt: null,
      checkCount: 0,
      settledBy: null,
      lateSettlement: false,
      amountMismatch: null,
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    const claim = await paymentsStore.claimIdempotency(
      w.a.merchantId,
      mode,
      'shared-key',
      'h',
      payment.id,
      new Date(),
    );
    expect(claim.kind).toBe('claimed');
    await paymentsStore.insertPayment(
      payment,
      { key: 'shared-key', status: 201, body: { id: payment.id } },
      { actor: { kind: 'anonymous' }, meta: { ip: '', userAgent: '', requestId: 'fixture' } },
    );
    aPayments[mode] = payment.id;
  }
});

/** Activity on merchant A's payments (a provider webhook and a verify call), per mode. */
const aActivityEventId = (mode: 'test' | 'live') => `a-secret-provider-event-${mode}`;
beforeAll(async () => {
  for (const mode of ['test', 'live'] as const) {
    const at = new Date().toISOString();
    const base = {
      merchantId: w.a.merchantId,
      mode,
      paymentId: aPayments[mode],
      at,
      provider: 'paystack',
    } as const;
    await paymentActivity.record({
      ...base,
      kind: 'provider_webhook',
      signature: 'valid',
      outcome: 'applied',
      providerEventId: aActivityEventId(mode),
    });
    // A second later, so the timeline's order is the test's.
    await paymentActivity.record({
      ...base,
      at: new Date(Date.parse(at) + 1000).toISOString(),
      kind: 'verify',
      source: 'api',
      status: 'pending',
    });
  }
});

/** Merchant A's webhook endpoint and one event, per mode, written through the API and the real store. */
const aWebhook: Record<'test' | 'live', { endpointId: string; eventId: string }> = {
  test: { endpointId: '', eventId: '' },
  live: { endpointId: '', eventId: '' },
};
beforeAll(async () => {
  for (const mode of ['test', 'live'] as const) {
    const res = await api.request('/v1/webhook-endpoints', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${w.aKeys[mode].key}` },
      body: JSON.stringify({ url: 'https://93.184.216.34/a-hook', events: ['*'] }),
    });
    expect(res.status).toBe(201);
    aWebhook[mode].endpointId = ((await res.json()) as { id: string }).id;
    const event = {
      id: newId('evt'),
      type: 'payment.succeeded' as const,
      createdAt: new Date().toISOString(),
      mode,
      paymentId: aPayments[mode],
      data: { object: {} },
    };
    await insertEvent(w.a.merchantId, event, []);
    aWebhook[mode].eventId = event.id;
  }
});

/**
 * Merchant A's succeeded payment and a refund of it, per mode, through the real store's
 * reserve transaction (refund, payment counter, ledger hold, balance shard, event).
 */
const aRefunds: Record<'test' | 'live', { paymentId: string; refundId: string; postingId: string }> = {
  test: { paymentId: '', refundId: '', postingId: '' },
  live: { paymentId: '', refundId: '', postingId: '' },
};
beforeAll(async () => {
  for (const mode of ['test', 'live'] as const) {
    const at = new Date().toISOString();
    const pending = await paymentsStore.getPayment(w.a.merchantId, mode, aPayments[mode]);
    if (!pending) throw new Error('fixture payment missing');
    const payment: Payment = {
      ...pending,
      id: newId('pay'),
      attemptReference: newId('ref'),
      reference: null,
      status: 'succeeded',
      capturedAmount: 5000,
      refundableAmount: 5000,
      chargeId: 'ref-a',
    };
    await paymentsStore.insertPayment(payment, undefined, {
      actor: { kind: 'anonymous' },
      meta: { ip: '', userAgent: '', requestId: 'fixture' },
    });
    const refund: Refund = {
      id: newId('re'),
      merchantId: w.a.merchantId,
      mode,
      paymentId: payment.id,
      provider: 'paystack',
      amount: 1000,
      currency: 'NGN',
      status: 'pending',
      reason: null,
      metadata: { secret: 'a-refund-meta' },
      providerRefundId: null,
      providerStatus: null,
      failureReason: null,
      nextAction: null,
      submitted: false,
      submitLeaseUntil: Date.now() + 600_000,
      lastCheckedAt: null,
      nextCheckAt: null,
      checkCount: 0,
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    const key = `refund-fixture-${mode}`;
    expect(
      (await paymentsStore.claimIdempotency(w.a.merchantId, mode, key, 'h', refund.id, new Date())).kind,
    ).toBe('claimed');
    const hold = posting(
      {
        merchantId: w.a.merchantId,
        mode,
        provider: 'paystack',
        currency: 'NGN',
        paymentId: payment.id,
        source: { type: 'refund', id: refund.id },
      },
      'refund_hold',
      1000,
      at,
    );
    const outcome = await refundsStore.reserve({
      payment,
      refund,
      policy: defaultRefundPolicy,
      hold,
      event: {
        id: newId('evt'),
        type: 'refund.created',
        createdAt: at,
        mode,
        paymentId: payment.id,
        data: { object: { id: refund.id } },
      },
      deliveries: [],
      idempotency: { key, status: 201, body: { id: refund.id } },
      audit: { actor: { kind: 'anonymous' }, meta: { ip: '', userAgent: '', requestId: 'fixture' } },
    });
    expect(outcome).toBe('reserved');
    aRefunds[mode] = { paymentId: payment.id, refundId: refund.id, postingId: hold.id };
  }
});

/** Merchant A's payment link per mode, through the API: ids and the slugs of their public URLs. */
const aLinks: Record<'test' | 'live', { id: string; slug: string }> = {
  test: { id: '', slug: '' },
  live: { id: '', slug: '' },
};
beforeAll(async () => {
  for (const mode of ['test', 'live'] as const) {
    const res = await api.request('/v1/payment-links', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${w.aKeys[mode].key}` },
      body: JSON.stringify({
        amount: 5000,
        currency: 'NGN',
        title: 'A secret tote',
        metadata: { a: 'a-link-meta' },
      }),
    });
    expect(res.status).toBe(201);
    const link = (await res.json()) as { id: string; url: string };
    aLinks[mode] = { id: link.id, slug: link.url.split('/').pop() as string };
  }
});

/** A's links are unchanged: still active, same title. */
async function aLinksUnchanged(w: World): Promise<void> {
  for (const mode of ['test', 'live'] as const) {
    const res = await api.request(`/v1/payment-links/${aLinks[mode].id}`, bearer(w.aKeys[mode].key));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ active: true, title: 'A secret tote', paymentsCount: 0 });
  }
}

type Case =
  | { kind: 'public' }
  /** Anything else: `run` makes B's call with `credential` and checks it. */
  | { kind: 'custom'; run: (w: World, credential: string) => Promise<void> }
  /** B's credential on a path naming A's object → 404, and A's object unchanged. */
  | {
      kind: 'object';
      /** `credential` is B's token or API key (a path may name the key's mode). */
      path: (w: World, credential: string) => string;
      method: string;
      /** A valid body, so the 404 comes from the lookup and not from validation. */
      body?: unknown;
      check?: (w: World) => Promise<void>;
    }
  /** B's listing never shows A's objects. */
  | { kind: 'list'; path: string; mustNotContain: (w: World) => string[] }
  /** Acts only on the caller's own merchant, whatever the request says. */
  | {
      kind: 'self';
      path: string;
      method: string;
      body?: unknown;
      /** A body that depends on the credential, e.g. on an API key's mode. */
      bodyFor?: (credential: string) => unknown;
      check: (w: World) => Promise<void>;
    };

/** The mode a credential acts in: an API key's own; the dashboard's default (test). */
const modeOf = (credential: string): 'test' | 'live' => (credential.startsWith('sk_live_') ? 'live' : 'test');

/** Merchant A's provider configurations (paystack and flutterwave, both modes): tokens by mode and provider. */
const aProviders: Record<string, string> = {};
beforeAll(async () => {
  for (const mode of ['test', 'live'] as const) {
    const configs = {
      paystack: { secretKey: `sk_${mode}_aaaa${mode}0000AqZ7` },
      flutterwave: {
        secretKey: `FLWSECK${mode === 'test' ? '_TEST' : ''}-aaaa0000AqZ7-X`,
        webhookSecret: 'merchant-a-hash',
      },
    };
    for (const [provider, body] of Object.entries(configs)) {
      const res = await api.request(`/v1/providers/${provider}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${w.a.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ mode, ...body }),
      });
      expect(res.status).toBe(200);
      aProviders[`${mode}/${provider}`] = ((await res.json()) as { webhookUrl: string }).webhookUrl
        .split('/')
        .pop() as string;
    }
  }
});

/** A's provider configurations are all still there, with their tokens and keys. */
async function aProvidersUnchanged(w: World): Promise<void> {
  for (const [at, token] of Object.entries(aProviders)) {
    const [mode, provider] = at.split('/') as ['test' | 'live', 'paystack' | 'flutterwave'];
    const config = await getProviderConfig(w.a.merchantId, mode, provider);
    expect(config?.webhookToken).toBe(token);
    expect(config?.secretKeyLast4).toBe(provider === 'paystack' ? 'AqZ7' : 'Z7-X');
  }
}

const cases: Record<string, Case> = {
  'GET /health': { kind: 'public' },
  // The OpenAPI document and the reference page describe the API; they read no merchant data.
  'GET /openapi.json': { kind: 'public' },
  'GET /docs': { kind: 'public' },
  'GET /docs/assets/{file}': { kind: 'public' },
  'POST /v1/auth/register': { kind: 'public' },
  'POST /v1/auth/login': { kind: 'public' },
  'POST /v1/auth/refresh': { kind: 'public' },
  'POST /v1/auth/logout': {
    kind: 'self',
    path: '/v1/auth/logout',
    method: 'POST',
    // B logging out leaves A's session alive.
    check: async (w) => {
      const res = await api.request('/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: w.a.refreshToken }),
      });
      expect(res.status).toBe(200);
      w.a.refreshToken = ((await res.json()) as { refreshToken: string }).refreshToken;
    },
  },
  'POST /v1/auth/logout-everywhere': {
    kind: 'self',
    path: '/v1/auth/logout-everywhere',
    method: 'POST',
    // B signing out everywhere leaves A's sessions alive.
    check: async (w) => {
      const res = await api.request('/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: w.a.refreshToken }),
      });
      expect(res.status).toBe(200);
      w.a.refreshToken = ((await res.json()) as { refreshToken: string }).refreshToken;
    },
  },
  'POST /v1/auth/password': {
    kind: 'custom',
    // B changes B's own password; A's password, login and sessions are untouched.
    run: async (w, credential) => {
      const newPassword = `b changed ${Math.random()}`;
      const res = await api.request('/v1/auth/password', {
        method: 'POST',
        headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
        body: JSON.stringify({ currentPassword: w.b.password, newPassword }),
      });
      expect(res.status).toBe(204);
      w.b.password = newPassword;
      const a = await api.request('/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: w.a.email, password: w.a.password }),
      });
      expect(a.status).toBe(200);
    },
  },
  // Emailed links: public; a token names its own login only (test/integration/email-verification.test.ts,
  // password-reset.test.ts).
  'POST /v1/auth/verify-email': { kind: 'public' },
  'POST /v1/auth/password-reset': { kind: 'public' },
  'POST /v1/auth/password-reset/confirm': { kind: 'public' },
  'POST /v1/auth/verify-email/resend': {
    kind: 'custom',
    // B's session can only ask for a link to B's own address (verified: 409); nothing goes to A.
    run: async (w, credential) => {
      const before = outboxMessages({ to: w.a.email }).length;
      const res = await api.request('/v1/auth/verify-email/resend', {
        method: 'POST',
        headers: { authorization: `Bearer ${credential}` },
      });
      expect(res.status).toBe(409);
      expect(outboxMessages({ to: w.a.email })).toHaveLength(before);
    },
  },
  'GET /v1/me': { kind: 'list', path: '/v1/me', mustNotContain: (w) => [w.a.merchantId, w.a.userId] },
  'PATCH /v1/me': {
    kind: 'self',
    path: '/v1/me',
    method: 'PATCH',
    body: { businessName: 'Changed by B' },
    check: async (w) => {
      const res = await api.request('/v1/me', bearer(w.a.accessToken));
      expect(((await res.json()) as { merchant: { businessName: string } }).merchant.businessName).toBe(
        'Merchant A',
      );
    },
  },
  'POST /v1/api-keys': {
    kind: 'self',
    path: '/v1/api-keys',
    method: 'POST',
    body: { name: 'b key', mode: 'test' },
    check: async (w) => {
      const res = await api.request('/v1/api-keys', bearer(w.a.accessToken));
      expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(2);
    },
  },
  'GET /v1/api-keys': {
    kind: 'list',
    path: '/v1/api-keys',
    mustNotContain: (w) => [w.aKeys.test.id, w.aKeys.live.id, w.aKeys.test.key.slice(0, 12)],
  },
  'POST /v1/api-keys/{id}/revoke': {
    kind: 'object',
    method: 'POST',
    path: (w) => `/v1/api-keys/${w.aKeys.live.id}/revoke`,
    check: async (w) => {
      // A's key still works.
      expect((await api.request('/v1/me', bearer(w.aKeys.live.key))).status).toBe(200);
    },
  },
  'GET /v1/audit-logs': {
    kind: 'list',
    path: '/v1/audit-logs?limit=100',
    mustNotContain: (w) => [w.a.merchantId],
  },
  'GET /v1/security-events': {
    kind: 'list',
    path: '/v1/security-events',
    mustNotContain: (w) => [w.a.merchantId],
  },
  'GET /v1/admin/merchants': { kind: 'public' /* admin-only: covered by the 403 check below */ },
  'GET /v1/admin/audit-logs': { kind: 'public' /* admin-only: covered by the 403 check below */ },
  'PUT /v1/providers/{provider}': {
    kind: 'self',
    path: '/v1/providers/paystack',
    method: 'PUT',
    bodyFor: (credential) => ({
      mode: modeOf(credential),
      secretKey: `sk_${modeOf(credential)}_bbbb0000bbbb`,
    }),
    check: aProvidersUnchanged,
  },
  'GET /v1/providers': {
    kind: 'list',
    path: '/v1/providers',
    mustNotContain: () => [...Object.values(aProviders), 'AqZ7', 'Z7-X'],
  },
  // The token in the URL names the merchant, mode and provider; the signature is checked against that
  // merchant's own secret (provider-webhooks.test.ts), so one merchant's token cannot settle another's payment.
  'POST /hooks/{provider}/{token}': { kind: 'public' },
  // Merchant webhooks: B's credentials on A's endpoint and event ids answer 404; lists never show A's.
  'POST /v1/webhook-endpoints': {
    kind: 'self',
    path: '/v1/webhook-endpoints',
    method: 'POST',
    body: { url: 'https://93.184.216.34/b-hook', events: ['*'] },
    check: async (w) => {
      const res = await api.request('/v1/webhook-endpoints', bearer(w.a.accessToken));
      expect(((await res.json()) as { data: { url: string }[] }).data.map((e) => e.url)).toEqual([
        'https://93.184.216.34/a-hook',
      ]);
    },
  },
  'GET /v1/webhook-endpoints': {
    kind: 'list',
    path: '/v1/webhook-endpoints',
    mustNotContain: () => [aWebhook.test.endpointId, aWebhook.live.endpointId, 'a-hook'],
  },
  'GET /v1/webhook-endpoints/{id}': {
    kind: 'object',
    method: 'GET',
    path: (_w, c) => `/v1/webhook-endpoints/${aWebhook[modeOf(c)].endpointId}`,
  },
  'PATCH /v1/webhook-endpoints/{id}': {
    kind: 'object',
    method: 'PATCH',
    path: (_w, c) => `/v1/webhook-endpoints/${aWebhook[modeOf(c)].endpointId}`,
  },
  'DELETE /v1/webhook-endpoints/{id}': {
    kind: 'object',
    method: 'DELETE',
    path: (_w, c) => `/v1/webhook-endpoints/${aWebhook[modeOf(c)].endpointId}`,
  },
  'POST /v1/webhook-endpoints/{id}/rotate-secret': {
    kind: 'object',
    method: 'POST',
    path: (_w, c) => `/v1/webhook-endpoints/${aWebhook[modeOf(c)].endpointId}/rotate-secret`,
  },
  'POST /v1/webhook-endpoints/{id}/test': {
    kind: 'object',
    method: 'POST',
    path: (_w, c) => `/v1/webhook-endpoints/${aWebhook[modeOf(c)].endpointId}/test`,
  },
  'POST /v1/webhook-endpoints/{id}/recover': {
    kind: 'object',
    method: 'POST',
    path: (_w, c) => `/v1/webhook-endpoints/${aWebhook[modeOf(c)].endpointId}/recover`,
    body: { since: '2026-01-01T00:00:00Z' },
  },
  'GET /v1/events': {
    kind: 'list',
    path: '/v1/events?limit=100',
    mustNotContain: () => [aWebhook.test.eventId, aWebhook.live.eventId],
  },
  'GET /v1/events/{id}': {
    kind: 'object',
    method: 'GET',
    path: (_w, c) => `/v1/events/${aWebhook[modeOf(c)].eventId}`,
  },
  'GET /v1/events/{id}/attempts': {
    kind: 'object',
    method: 'GET',
    path: (_w, c) => `/v1/events/${aWebhook[modeOf(c)].eventId}/attempts`,
  },
  'POST /v1/events/{id}/resend': {
    kind: 'object',
    method: 'POST',
    path: (_w, c) => `/v1/events/${aWebhook[modeOf(c)].eventId}/resend`,
  },
  'POST /v1/payments': {
    kind: 'custom',
    // B reusing A's Idempotency-Key never replays A's payment: keys are per merchant and mode.
    run: async (_w, credential) => {
      const res = await api.request('/v1/payments', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${credential}`,
          'content-type': 'application/json',
          'idempotency-key': 'shared-key',
        },
        body: JSON.stringify({ amount: 5000, currency: 'NGN', customer: { email: 'b@example.com' } }),
      });
      // B's own outcome (no provider for NGN, or its provider unreachable here), never A's 201.
      expect([422, 502]).toContain(res.status);
      const text = await res.text();
      expect(text).not.toContain(aPayments.test);
      expect(text).not.toContain(aPayments.live);
    },
  },
  'GET /v1/payments': {
    kind: 'list',
    path: '/v1/payments?limit=100',
    mustNotContain: () => [aPayments.test, aPayments.live, 'a-buyer@example.com'],
  },
  'GET /v1/payments/{id}': {
    kind: 'object',
    method: 'GET',
    path: (_w, credential) => `/v1/payments/${aPayments[modeOf(credential)]}`,
  },
  'POST /v1/payments/{id}/verify': {
    kind: 'object',
    method: 'POST',
    path: (_w, credential) => `/v1/payments/${aPayments[modeOf(credential)]}/verify`,
  },
  'POST /v1/payments/{id}/refunds': {
    kind: 'custom',
    // B naming A's succeeded payment (with a valid body and key) finds no such payment; A's counter is untouched.
    run: async (_w, credential) => {
      const mode = modeOf(credential);
      const res = await api.request(`/v1/payments/${aRefunds[mode].paymentId}/refunds`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${credential}`,
          'content-type': 'application/json',
          'idempotency-key': `refund-fixture-${mode}`,
        },
        body: JSON.stringify({ amount: 1 }),
      });
      expect(res.status).toBe(404);
      const after = await paymentsStore.getPayment(w.a.merchantId, mode, aRefunds[mode].paymentId);
      expect(after?.refundableAmount).toBe(4000);
    },
  },
  'GET /v1/payments/{id}/refunds': {
    kind: 'object',
    method: 'GET',
    path: (_w, c) => `/v1/payments/${aRefunds[modeOf(c)].paymentId}/refunds`,
  },
  'GET /v1/payments/{id}/activity': {
    kind: 'custom',
    // B naming A's payment finds no such payment, and none of its activity.
    run: async (_w, credential) => {
      const mode = modeOf(credential);
      const res = await api.request(`/v1/payments/${aPayments[mode]}/activity`, bearer(credential));
      expect(res.status).toBe(404);
      const text = await res.text();
      expect(text).not.toContain(aActivityEventId('test'));
      expect(text).not.toContain(aActivityEventId('live'));
    },
  },
  'GET /v1/refunds': {
    kind: 'list',
    path: '/v1/refunds?limit=100',
    mustNotContain: () => [aRefunds.test.refundId, aRefunds.live.refundId, 'a-refund-meta'],
  },
  'GET /v1/refunds/{id}': {
    kind: 'object',
    method: 'GET',
    path: (_w, c) => `/v1/refunds/${aRefunds[modeOf(c)].refundId}`,
  },
  'GET /v1/balance': {
    kind: 'custom',
    // B has taken no money: its balance is empty whatever A holds.
    run: async (_w, credential) => {
      const res = await api.request('/v1/balance', bearer(credential));
      expect(res.status).toBe(200);
      expect(((await res.json()) as { balances: unknown[] }).balances).toEqual([]);
    },
  },
  'GET /v1/balance-transactions': {
    kind: 'list',
    path: '/v1/balance-transactions?limit=100',
    mustNotContain: () => [
      aRefunds.test.postingId,
      aRefunds.live.postingId,
      aRefunds.test.refundId,
      aRefunds.live.refundId,
    ],
  },
  'POST /v1/payment-links': {
    kind: 'self',
    path: '/v1/payment-links',
    method: 'POST',
    body: { amount: 1000, currency: 'NGN', title: 'B tote' },
    check: async (w) => {
      for (const mode of ['test', 'live'] as const) {
        const res = await api.request('/v1/payment-links', bearer(w.aKeys[mode].key));
        const titles = ((await res.json()) as { data: { title: string }[] }).data.map((l) => l.title);
        expect(titles).toEqual(['A secret tote']);
      }
    },
  },
  'GET /v1/payment-links': {
    kind: 'list',
    path: '/v1/payment-links?limit=100',
    mustNotContain: () => [aLinks.test.id, aLinks.live.id, aLinks.test.slug, aLinks.live.slug, 'a-link-meta'],
  },
  'GET /v1/payment-links/{id}': {
    kind: 'object',
    method: 'GET',
    path: (_w, c) => `/v1/payment-links/${aLinks[modeOf(c)].id}`,
  },
  'PATCH /v1/payment-links/{id}': {
    kind: 'object',
    method: 'PATCH',
    path: (_w, c) => `/v1/payment-links/${aLinks[modeOf(c)].id}`,
    body: { active: false, title: 'Changed by B' },
    check: aLinksUnchanged,
  },
  'GET /v1/payment-links/{id}/payments': {
    kind: 'object',
    method: 'GET',
    path: (_w, c) => `/v1/payment-links/${aLinks[modeOf(c)].id}/payments`,
  },
  // The hosted page: public by design. Its slug (128 random bits, not the id) is the capability; the page,
  // its form and QR code show and act on that one link only (payment-links.test.ts), never on an id given.
  'GET /pay/{slug}': { kind: 'public' },
  'POST /pay/{slug}': { kind: 'public' },
  // Shows a payment only when it was made through this very link (`paymentLinkId`), else the 404 page.
  'GET /pay/{slug}/done': { kind: 'public' },
  'GET /pay/{slug}/qr.svg': { kind: 'public' },
  'GET /pay/{slug}/qr.png': { kind: 'public' },
  'DELETE /v1/providers/{provider}': {
    kind: 'object',
    method: 'DELETE',
    // B has no Flutterwave configuration; A has one in both modes.
    path: (_w, credential) => `/v1/providers/flutterwave?mode=${modeOf(credential)}`,
    check: aProvidersUnchanged,
  },
};

describe('tenancy sweep over the route table', () => {
  it('has a case for every route', () => {
    expect(routes.map(routeKey).filter((key) => !(key in cases))).toEqual([]);
  });

  it.each(
    routes
      .filter((r) => r.credential !== 'none' && r.credential !== 'providerSignature')
      .map((r) => [routeKey(r), r] as const),
  )('%s refuses a request without credentials (401)', async (_key, route) => {
    const path = route.path.replace(/\{[^}]+\}/g, 'key_01ARZ3NDEKTSV4RRFFQ69G5FAV');
    const res = await api.request(path, { method: route.method });
    expect(res.status).toBe(401);
  });

  it.each(routes.filter((r) => r.credential === 'admin').map((r) => [routeKey(r), r] as const))(
    '%s refuses a merchant owner (403)',
    async (_key, route) => {
      const res = await api.request(route.path, bearer(w.b.accessToken));
      expect(res.status).toBe(403);
    },
  );

  it.each(routes.map((r) => [routeKey(r), r] as const))(
    '%s keeps merchant A’s data from merchant B',
    async (key, route) => {
      const c = cases[key];
      if (!c || c.kind === 'public') return;
      const credentials = [w.b.accessToken];
      if (route.credential === 'apiKeyOrDashboard') credentials.push(w.bKeys.test.key, w.bKeys.live.key);
      for (const credential of credentials) {
        if (c.kind === 'custom') {
          await c.run(w, credential);
        } else if (c.kind === 'object') {
          const res = await api.request(c.path(w, credential), {
            method: c.method,
            headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
            ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
          });
          expect(res.status).toBe(404);
          await c.check?.(w);
        } else if (c.kind === 'list') {
          const res = await api.request(c.path, bearer(credential));
          expect(res.status).toBe(200);
          const text = await res.text();
          for (const secret of c.mustNotContain(w)) expect(text).not.toContain(secret);
        } else {
          const res = await api.request(c.path, {
            method: c.method,
            headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
            ...(c.bodyFor
              ? { body: JSON.stringify(c.bodyFor(credential)) }
              : c.body === undefined
                ? {}
                : { body: JSON.stringify(c.body) }),
          });
          expect(res.status).toBeLessThan(300);
          await c.check(w);
        }
      }
    },
  );

  it('keeps test and live apart for one merchant: a test key never reaches a live payment, nor the reverse', async () => {
    expect((await api.request(`/v1/payments/${aPayments.live}`, bearer(w.aKeys.test.key))).status).toBe(404);
    expect((await api.request(`/v1/payments/${aPayments.test}`, bearer(w.aKeys.live.key))).status).toBe(404);
    expect((await api.request(`/v1/payments/${aPayments.live}`, bearer(w.aKeys.live.key))).status).toBe(200);
    const dashboardLive = await api.request(
      `/v1/payments/${aPayments.live}`,
      bearer(w.a.accessToken, { 'paybridge-mode': 'live' }),
    );
    expect(dashboardLive.status).toBe(200);
  });

  it('keeps a payment’s activity in its own mode: A sees it with the payment’s mode only', async () => {
    for (const mode of ['test', 'live'] as const) {
      const other = mode === 'test' ? 'live' : 'test';
      const own = await api.request(`/v1/payments/${aPayments[mode]}/activity`, bearer(w.aKeys[mode].key));
      expect(own.status).toBe(200);
      const body = (await own.json()) as { data: { kind: string; providerEventId?: string }[] };
      expect(body.data.map((e) => e.kind)).toEqual(['provider_webhook', 'verify']);
      expect(body.data[0]?.providerEventId).toBe(aActivityEventId(mode));
      const crossed = await api.request(
        `/v1/payments/${aPayments[mode]}/activity`,
        bearer(w.aKeys[other].key),
      );
      expect(crossed.status).toBe(404);
      expect(await crossed.text()).not.toContain(aActivityEventId(mode));
    }
  });

  it('keeps one merchant’s payments off another merchant’s link pages: the done page names only its own link’s', async () => {
    const res = await api.request(`/pay/${aLinks.test.slug}/done?payment=${aPayments.test}`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('a-buyer@example.com');
    // …and a link id is not a slug.
    expect((await api.request(`/pay/${aLinks.test.id}`)).status).toBe(404);
  });

  it('refuses a list cursor taken from another merchant’s list', async () => {
    const page = await api.request('/v1/audit-logs?limit=1', bearer(w.a.accessToken));
    const { nextCursor } = (await page.json()) as { nextCursor: string };
    expect(nextCursor).toBeTruthy();
    const res = await api.request(
      `/v1/audit-logs?cursor=${encodeURIComponent(nextCursor)}`,
      bearer(w.b.accessToken),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_cursor');
  });
});
