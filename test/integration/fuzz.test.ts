import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '#core/ids';
import type { Payment } from '#core/payments';
import { matchRoute, type Route, routeKey, routes } from '#routes';
import { setRole } from '#store/identity';
import { getProviderConfig } from '#store/providers';
import { paymentsStore } from '#store/payments';
import {
  badAuthorization,
  type Body,
  type BodyTemplate,
  bodyArb,
  extraHeaders,
  idempotencyHeader,
  modeHeader,
  queryArb,
  segmentArb,
  toWire,
  validValue,
} from '#test/fuzz-arbitraries';
import {
  closeClient,
  describeRequest,
  describeResponse,
  type RawRequest,
  type RawResponse,
  send,
} from '#test/fuzz-client';
import { useApi } from '#test/http';
import { createKey, json, mintAccessToken, registerMerchant, type TestMerchant } from '#test/merchants';

/**
 * The fuzz sweep (reliability issue). For every route of the table, fast-check
 * sends hostile requests — bodies, content types, path parameters, query
 * strings and headers (generators in test/support/fuzz-arbitraries.ts, sent
 * byte for byte by test/support/fuzz-client.ts) — once as an anonymous caller
 * and once per valid credential the route accepts, so the fuzz reaches
 * validation and the handlers, not only the 401. Every answer must be:
 * - a documented status, 2xx or 4xx, never a 5xx; the one exception is the
 *   `provider` 502 of the routes that call a provider, which is their documented
 *   answer when it fails, and every provider call fails here (providers point at
 *   a closed port, test/support/emulators.env.ts);
 * - in our error shape when ≥ 400, the type matching the status and
 *   `x-request-id` equal to `error.requestId`;
 * - sent with `x-content-type-options: nosniff` and `cache-control: no-store`
 *   (the reference documents' 2xx are public and cacheable by design: `publicDocument`);
 * - 401 for a request without a valid credential on a route that takes one, and
 *   never 401 (nor a 403 refusing the caller) with a valid one.
 * A second sweep checks that a rejected write leaves the merchant's items as
 * they were. No route is left out: `has a plan for every route` fails on a new one.
 *
 * `FUZZ_RUNS` (default 15) sets the runs per route and credential; `FUZZ_RUNS=500`
 * is the soak; `FUZZ_SEED` replays a run; `FUZZ_STATS=1` prints the statuses met
 * by route. A failure prints the shrunk request as sent.
 */
const api = useApi();
const runs = Math.max(1, Number(process.env.FUZZ_RUNS ?? 15) || 15);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const timeout = Math.max(30_000, runs * 2_500);

afterAll(() => closeClient());

// ---------------------------------------------------------------- the merchants

interface Fixture {
  merchant: TestMerchant;
  /** A working test-mode API key. */
  testKey: string;
  /** A key revoked before the fuzz starts. */
  revokedKey: string;
  /** Keys the fuzz may revoke: never the working one. */
  sacrificialKeyIds: string[];
  /** The merchant's payments: two in test mode, one in live. */
  paymentIds: string[];
  /** The token of its Paystack (test) webhook URL. */
  webhookTokens: string[];
  /** Its webhook endpoints (test mode) and the test events sent to them. */
  endpointIds: string[];
  /** The endpoint the fuzz may delete (the first of `endpointIds` stays). */
  sacrificialEndpointIds: string[];
  eventIds: string[];
  /** Its payment links (test mode, NGN: the fixture's Paystack takes it) and their public slugs. */
  linkIds: string[];
  linkSlugs: string[];
}

/** What could not be set up (the routes it needs are failing): reported by its own test. */
const setupProblems: string[] = [];
const has = (key: string) => routes.some((r) => routeKey(r) === key);

/** (Re)configures a merchant's Paystack in test mode and returns its webhook token. */
async function configurePaystack(merchant: TestMerchant): Promise<string> {
  const res = await api.request('/v1/providers/paystack', {
    method: 'PUT',
    headers: { authorization: `Bearer ${merchant.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'test', secretKey: 'sk_test_fuzz0000fuzz0000', enabled: true }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { webhookUrl: string }).webhookUrl.split('/').pop() as string;
}

/**
 * Every property starts with the fixture's Paystack configured, enabled and taking
 * NGN: the fuzz of the provider routes may have changed or deleted it (a new one
 * gets a new webhook token), and payments, verify and the webhook route need it.
 */
async function restorePaystack(f: Fixture): Promise<void> {
  const config = await getProviderConfig(f.merchant.merchantId, 'test', 'paystack');
  f.webhookTokens =
    config?.enabled && config.currencies.includes('NGN')
      ? [config.webhookToken]
      : [await configurePaystack(f.merchant)];
}

async function fixture(name: string): Promise<Fixture> {
  const merchant = await registerMerchant(api.request, name);
  const testKey = (await createKey(api.request, merchant, 'test', 'full')).key;
  const revoked = await createKey(api.request, merchant, 'test', 'full');
  const res = await api.request(`/v1/api-keys/${revoked.id}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${merchant.accessToken}` },
  });
  expect(res.status).toBe(200);
  const sacrificialKeyIds = [
    (await createKey(api.request, merchant, 'test', 'full')).id,
    (await createKey(api.request, merchant, 'live', 'full')).id,
  ];
  // Paystack in test mode, so a valid payment reaches the provider call (and its 502 here).
  const webhookTokens = [await configurePaystack(merchant)];
  const endpointIds: string[] = [];
  const eventIds: string[] = [];
  // Two endpoints (the second for the fuzz to delete) and a test event, so `{id}` can name real objects.
  if (has('POST /v1/webhook-endpoints')) {
    for (const n of [1, 2]) {
      const res = await api.request('/v1/webhook-endpoints', {
        method: 'POST',
        headers: { authorization: `Bearer ${testKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `https://93.184.216.34/fuzz-${n}`, events: ['*'] }),
      });
      if (res.status === 201) endpointIds.push(((await res.json()) as { id: string }).id);
      else setupProblems.push(`POST /v1/webhook-endpoints: ${res.status} ${await res.text()}`);
    }
  }
  if (has('POST /v1/webhook-endpoints/{id}/test') && endpointIds[0]) {
    const res = await api.request(`/v1/webhook-endpoints/${endpointIds[0]}/test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testKey}` },
    });
    if (res.status === 202) eventIds.push(((await res.json()) as { id: string }).id);
    else setupProblems.push(`POST /v1/webhook-endpoints/{id}/test: ${res.status} ${await res.text()}`);
  }
  const paymentIds: string[] = [];
  // Two in test mode (so the list has a second page) and one in live.
  for (const mode of ['test', 'test', 'live'] as const) {
    const at = new Date().toISOString();
    const payment: Payment = {
      id: newId('pay'),
      merchantId: merchant.merchantId,
      mode,
      status: 'pending',
      amount: 5000,
      currency: 'NGN',
      provider: 'paystack',
      providerReference: `fuzz-${mode}-${paymentIds.length}`,
      attemptReference: newId('ref'),
      checkoutUrl: 'https://checkout.example/fuzz',
      reference: `fuzz-${mode}-${paymentIds.length}`,
      customer: { email: 'buyer@example.com' },
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
    await paymentsStore.insertPayment(payment, undefined, {
      actor: { kind: 'anonymous' },
      meta: { ip: '', userAgent: '', requestId: 'fuzz-fixture' },
    });
    paymentIds.push(payment.id);
  }
  const linkIds: string[] = [];
  const linkSlugs: string[] = [];
  if (has('POST /v1/payment-links')) {
    for (const body of [
      { amount: 5000, currency: 'NGN', title: 'Fuzz tote' },
      { allowCustomerAmount: { min: 100, max: 1_000_000 }, currency: 'NGN', title: 'Fuzz tip jar' },
    ]) {
      const res = await api.request('/v1/payment-links', {
        method: 'POST',
        headers: { authorization: `Bearer ${testKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) {
        setupProblems.push(`POST /v1/payment-links: ${res.status} ${await res.text()}`);
        continue;
      }
      const link = (await res.json()) as { id: string; url: string };
      linkIds.push(link.id);
      linkSlugs.push(link.url.split('/').pop() as string);
    }
  }
  return {
    merchant,
    testKey,
    linkIds,
    linkSlugs,
    revokedKey: revoked.key,
    sacrificialKeyIds,
    paymentIds,
    webhookTokens,
    endpointIds,
    sacrificialEndpointIds: endpointIds.slice(1),
    eventIds,
  };
}

/** `m`: the fuzzed merchant; `w`: the merchant of the no-write sweep; `adminJwt`: a PayBridge operator. */
let m: Fixture;
let w: Fixture;
let admin: TestMerchant;
let adminJwt: string;
/**
 * Access tokens live five minutes and the soak runs longer: each test starts
 * with tokens minted less than three minutes ago (the fuzz may have locked the
 * fixtures' sign-in or signed them out everywhere, so they are minted, not
 * signed in for).
 */
let mintedAt = 0;
beforeEach(async () => {
  if (Date.now() - mintedAt < 3 * 60_000) return;
  for (const f of [m, w]) f.merchant.accessToken = await mintAccessToken(f.merchant);
  adminJwt = await mintAccessToken({ ...admin, accessToken: adminJwt }, 'admin');
  mintedAt = Date.now();
});
beforeAll(async () => {
  [m, w] = await Promise.all([fixture('Fuzz Shop'), fixture('Fuzz Write Shop')]);
  admin = await registerMerchant(api.request, 'Fuzz Ops');
  expect(await setRole(admin.email, 'admin')).toBe(true);
  const login = await api.request('/v1/auth/login', json({ email: admin.email, password: admin.password }));
  expect(login.status).toBe(200);
  adminJwt = ((await login.json()) as { accessToken: string }).accessToken;
  mintedAt = Date.now();
  // Two failed sign-ins, so the security events of `m` have a second page too.
  for (const n of [1, 2]) {
    const res = await api.request(
      '/v1/auth/login',
      json({ email: m.merchant.email, password: `wrong-${n}` }),
    );
    expect(res.status).toBe(401);
  }
  // A real cursor of every list that has a second page, for the fuzz to replay and tamper with.
  for (const route of routes) {
    if (route.method !== 'GET' || route.path.includes('{') || route.credential === 'none') continue;
    const token = route.credential === 'admin' ? adminJwt : m.merchant.accessToken;
    const res = await api.request(`${route.path}?limit=1`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) continue;
    const { nextCursor } = (await res.json()) as { nextCursor?: unknown };
    if (typeof nextCursor === 'string') realCursors[routeKey(route)] = [nextCursor];
  }
});

// ---------------------------------------------------------------- what each route is fuzzed with

const currency = fc.constantFrom('NGN', 'USD', 'JPY', 'KES', 'GHS', 'ZAR', 'ETB', 'XOF', 'EUR', 'UGX', 'BTC');
const email = fc.oneof(
  fc.emailAddress(),
  fc.uuid().map((u) => `fuzz-${u}@example.com`),
);
const name = fc.string({ minLength: 1, maxLength: 60 });
const password = fc.oneof(
  fc.string({ minLength: 12, maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 12, maxLength: 40 }),
  fc.constantFrom('correct horse battery staple', 'password1234', '123456789012'),
);
const providerName = fc.constantFrom('paystack', 'flutterwave', 'stripe', 'chapa');
/** Valid ISO 8601 times over the whole range ISO allows: before 1970 too, year 0 to 9999. */
const isoDates = fc.oneof(
  fc
    .date({
      min: new Date('0000-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '2024-01-01T00:00:00Z',
    '1970-01-01T00:00:00Z',
    '1969-12-31T23:59:59Z',
    '0000-01-01T00:00:00Z',
  ),
);

/** Webhook endpoint URLs: IP literals (no DNS here), loopback, metadata, other schemes. */
const webhookUrl = fc.constantFrom(
  'https://93.184.216.34/hooks',
  'http://93.184.216.34:8080/hooks?x=1',
  'http://127.0.0.1:9/hooks',
  'http://169.254.169.254/latest/meta-data',
  'http://[::1]/x',
  'http://10.0.0.1/x',
  'https://example.invalid/hooks',
  'ftp://93.184.216.34/x',
  'https://user:pass@93.184.216.34/x',
);
const events = fc.oneof(
  fc.constant(['*']),
  fc.subarray(['payment.succeeded', 'payment.failed', 'refund.succeeded', 'webhook_endpoint.test'], {
    minLength: 1,
  }),
);

interface Plan {
  /** The JSON body the route takes, as valid field values (hostile ones are mixed in). */
  body?: (f: Fixture) => BodyTemplate;
  /** Valid values of each `{param}`: the fuzz also sends these, to get past the 404. */
  params?: Record<string, (f: Fixture) => string[]>;
  /** Values of each `{param}` that are well-formed but wrong (another provider's name…). */
  wrong?: Record<string, string[]>;
  /** Prefixes of ids that look right but are not (`pay_` + 25 characters…). */
  idPrefixes?: string[];
  /** The query parameters the route takes (the fuzz gives them hostile values, and adds others). */
  queryNames?: string[];
  /** Valid query strings of the route (a list's real cursors are added to them). */
  queries?: string[];
  /** The route calls a payment provider: a `provider` 502 is its documented answer when the provider fails. */
  callsProvider?: boolean;
  /**
   * The route serves a public document (the API reference): its 2xx is HTML, a
   * script, a stylesheet or the OpenAPI JSON, cacheable (`cache-control: public,
   * max-age=…`) by design, as it holds no data (functions/routes.ts). Its errors
   * are ordinary API errors: JSON, `no-store`.
   */
  publicDocument?: boolean;
  /**
   * The route answers customers in HTML (the hosted payment page): every answer,
   * refusals included, is a page (`text/html`, `no-store`) or a redirect, never
   * JSON; `qr` ones answer an image (cacheable) when the link exists.
   */
  page?: 'html' | 'qr';
  /** The route takes an HTML form (`application/x-www-form-urlencoded`) rather than JSON. */
  form?: (f: Fixture) => fc.Arbitrary<Record<string, string>>;
}

/** The hosted page's routes: the fixture's link slugs, and strings of a slug's shape that name nothing. */
const slugParams = { slug: (f: Fixture) => f.linkSlugs };
const slugWrong = {
  slug: ['AAAAAAAAAAAAAAAAAAAAAA', 'plink_01ARZ3NDEKTSV4RRFFQ69G5FAV', 'a'.repeat(21), '%00'],
};
const linkPlan: Plan = { params: { id: (f) => f.linkIds }, idPrefixes: ['plink_', 'pay_'] };

const endpointPlan: Plan = { params: { id: (f) => f.endpointIds }, idPrefixes: ['we_', 'evt_'] };
const eventPlan: Plan = { params: { id: (f) => f.eventIds }, idPrefixes: ['evt_', 'we_'] };

/** One plan per route: a new route fails `has a plan for every route` until it gets one. */
const plans: Record<string, Plan> = {
  'GET /health': {},
  'GET /openapi.json': { publicDocument: true },
  'GET /docs': { publicDocument: true },
  'GET /docs/assets/{file}': {
    params: {
      file: () => ['swagger-ui-bundle.js', 'swagger-ui.css', 'paybridge-docs.js', 'paybridge-docs.css'],
    },
    wrong: {
      file: [
        'swagger-ui.js',
        'index.html',
        '..%2F..%2Fpackage.json',
        '%2Fetc%2Fpasswd',
        'constructor',
        'toString',
      ],
    },
    publicDocument: true,
  },
  'POST /v1/auth/register': {
    body: (f) => ({
      required: { email: fc.oneof(email, fc.constant(f.merchant.email)), password, businessName: name },
    }),
  },
  'POST /v1/auth/login': {
    // The fixture's own email: wrong passwords lock its login (429), which the fuzz must meet too.
    // Its access token stays valid, so the credentialed runs are unaffected.
    body: (f) => ({
      required: {
        email: fc.oneof(fc.constant(f.merchant.email), email),
        password: fc.oneof(fc.constant(f.merchant.password), password),
      },
    }),
  },
  'POST /v1/auth/refresh': {
    body: (f) => ({
      required: {
        refreshToken: fc.oneof(
          fc.constant(f.merchant.refreshToken),
          fc.constant(`${f.merchant.refreshToken.slice(0, -1)}A`),
          fc.ulid().map((u) => `rt_ses_${u}.${'A'.repeat(43)}`),
          fc.constantFrom('rt_', 'rt_.', `rt_${'a'.repeat(40)}.${'b'.repeat(43)}`),
        ),
      },
    }),
  },
  'POST /v1/auth/logout': {},
  'POST /v1/auth/logout-everywhere': {},
  'POST /v1/auth/password': {
    // Never the fixture's real password: a successful change would end the fixture's sessions.
    body: () => ({ required: { currentPassword: password, newPassword: password } }),
  },
  'POST /v1/auth/verify-email': {
    body: () => ({
      required: {
        token: fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.base64String({ minLength: 43, maxLength: 44 }).map((t) => `pbv_${t}`),
          fc.constantFrom(`pbv_${'A'.repeat(43)}`, `pbr_${'A'.repeat(43)}`, 'pbv_'),
        ),
      },
    }),
  },
  // The fixture is verified: its resend answers 409 (and 429 past the hourly limit).
  'POST /v1/auth/verify-email/resend': {},
  'POST /v1/auth/password-reset': {
    body: (f) => ({ required: { email: fc.oneof(email, fc.constant(f.merchant.email)) } }),
  },
  'POST /v1/auth/password-reset/confirm': {
    // Never a real link: a reset would end the fixture's sessions.
    body: () => ({
      required: {
        token: fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.constantFrom(`pbr_${'A'.repeat(43)}`, `pbv_${'A'.repeat(43)}`, 'pbr_'),
        ),
        password,
      },
    }),
  },
  'GET /v1/me': {},
  'PATCH /v1/me': {
    body: () => ({
      required: {},
      optional: {
        businessName: name,
        contactEmail: email,
        defaultCurrency: fc.oneof(currency, fc.constant(null)),
      },
    }),
  },
  'POST /v1/api-keys': {
    body: () => ({ required: { name, mode: fc.constantFrom('test', 'live') } }),
  },
  'GET /v1/api-keys': { queryNames: ['limit', 'cursor'], queries: ['?limit=1', '?limit=100'] },
  'POST /v1/api-keys/{id}/revoke': {
    params: { id: (f) => [...f.sacrificialKeyIds, ...(f.paymentIds[0] ? [f.paymentIds[0]] : [])] },
    idPrefixes: ['key_', 'pay_', 'mer_'],
  },
  'GET /v1/audit-logs': { queryNames: ['limit', 'cursor'], queries: ['?limit=1', '?limit=100'] },
  'GET /v1/security-events': { queryNames: ['limit', 'cursor'], queries: ['?limit=1', '?limit=100'] },
  'GET /v1/admin/merchants': { queryNames: ['limit', 'cursor'], queries: ['?limit=1', '?limit=100'] },
  'GET /v1/admin/audit-logs': {
    queryNames: ['limit', 'cursor', 'month'],
    queries: ['?limit=1', '?month=2024-01', `?month=${new Date().toISOString().slice(0, 7)}&limit=100`],
  },
  'PUT /v1/providers/{provider}': {
    params: { provider: () => ['paystack', 'flutterwave', 'stripe', 'chapa'] },
    wrong: { provider: ['mpesa', 'paypal', 'Paystack', 'paystack '] },
    body: () => ({
      required: {
        secretKey: fc.constantFrom(
          'sk_test_fuzz1111fuzz',
          'sk_live_fuzz1111fuzz',
          'FLWSECK_TEST-fuzz1111-X',
          'CHASECK_TEST-fuzz1111',
          'rk_test_fuzz',
          `sk_test_${'a'.repeat(500)}`,
        ),
      },
      optional: {
        mode: fc.constantFrom('test', 'live'),
        publicKey: fc.constantFrom('pk_test_fuzz', 'FLWPUBK_TEST-fuzz-X', 'sk_test_secretinpublic'),
        webhookSecret: fc.oneof(fc.constantFrom('whsec_ZnV6eg==', 'hash-1'), name),
        enabled: fc.boolean(),
        currencies: fc.array(currency, { maxLength: 5 }),
      },
    }),
    idPrefixes: ['paystack', 'stripe'],
  },
  'GET /v1/providers': { queryNames: ['mode'], queries: ['?mode=test', '?mode=live'] },
  'DELETE /v1/providers/{provider}': {
    params: { provider: () => ['paystack', 'flutterwave', 'stripe', 'chapa'] },
    wrong: { provider: ['mpesa', 'paypal', 'Paystack'] },
    queryNames: ['mode'],
    queries: ['?mode=test', '?mode=live'],
    idPrefixes: ['paystack', 'stripe'],
  },
  'POST /v1/payments': {
    body: () => ({
      required: {
        amount: fc.oneof(
          fc.integer({ min: 1, max: 10_000_000 }),
          fc.constantFrom(1, Number.MAX_SAFE_INTEGER),
        ),
        // Mostly NGN, which the fixture's Paystack takes: those reach the provider call.
        currency: fc.oneof({ weight: 3, arbitrary: fc.constant('NGN') }, { weight: 2, arbitrary: currency }),
        customer: fc.record(
          {
            email,
            name,
            phone: fc.constantFrom('+2348012345678', '0801 234 5678', '+1 (555) 123-4567'),
          },
          { requiredKeys: ['email'] },
        ),
      },
      optional: {
        provider: providerName,
        reference: fc.stringMatching(/^[A-Za-z0-9._=-]{1,40}$/),
        description: fc.string({ maxLength: 100 }),
        redirectUrl: fc.constantFrom('https://shop.example/return', 'http://localhost:3000/x?y=1'),
        metadata: fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_.-]{1,10}$/), fc.string({ maxLength: 20 }), {
          maxKeys: 5,
        }),
      },
    }),
    callsProvider: true,
  },
  // Provider webhooks: no credential, the body is taken as it comes (the worker verifies it).
  'POST /hooks/{provider}/{token}': {
    // The token is the fixture's Paystack one: under another provider's name it is unknown (404).
    params: { provider: () => ['paystack'], token: (f) => f.webhookTokens },
    wrong: {
      provider: ['flutterwave', 'stripe', 'chapa', 'PAYSTACK'],
      token: ['a'.repeat(19), 'a'.repeat(101), 'A'.repeat(40), '_'.repeat(20)],
    },
  },
  'POST /v1/webhook-endpoints': {
    body: () => ({
      required: { url: webhookUrl, events },
      optional: { description: fc.string({ maxLength: 100 }) },
    }),
  },
  'GET /v1/webhook-endpoints': {},
  'GET /v1/webhook-endpoints/{id}': endpointPlan,
  'PATCH /v1/webhook-endpoints/{id}': {
    ...endpointPlan,
    body: () => ({
      required: {},
      optional: {
        url: webhookUrl,
        events,
        enabled: fc.boolean(),
        description: fc.string({ maxLength: 100 }),
      },
    }),
  },
  'DELETE /v1/webhook-endpoints/{id}': { ...endpointPlan, params: { id: (f) => f.sacrificialEndpointIds } },
  'POST /v1/webhook-endpoints/{id}/rotate-secret': endpointPlan,
  'POST /v1/webhook-endpoints/{id}/test': endpointPlan,
  'POST /v1/webhook-endpoints/{id}/recover': {
    ...endpointPlan,
    body: () => ({
      required: {
        since: isoDates,
      },
    }),
  },
  'GET /v1/events': {
    queryNames: ['limit', 'cursor', 'type', 'paymentId', 'createdFrom', 'createdTo'],
    queries: [
      '?limit=1',
      '?type=webhook_endpoint.test',
      '?createdFrom=2024-01-01T00:00:00Z&createdTo=2099-01-01T00:00:00Z',
      '?paymentId=pay_01ARZ3NDEKTSV4RRFFQ69G5FAV',
    ],
  },
  'GET /v1/events/{id}': eventPlan,
  'GET /v1/events/{id}/attempts': eventPlan,
  'POST /v1/events/{id}/resend': {
    ...eventPlan,
    body: (f) => ({
      required: {},
      optional: {
        endpointId: fc.oneof(
          fc.constantFrom(...f.endpointIds, 'we_0'),
          fc.ulid().map((u) => `we_${u}`),
        ),
      },
    }),
  },
  'GET /v1/payments': {
    queryNames: [
      'limit',
      'cursor',
      'status',
      'provider',
      'currency',
      'email',
      'reference',
      'createdFrom',
      'createdTo',
    ],
    queries: [
      '?limit=1',
      '?status=pending&provider=paystack',
      '?currency=NGN&email=Fuzz%40Example.com',
      '?reference=fuzz-test',
      '?createdFrom=2024-01-01T00:00:00Z&createdTo=2099-01-01T00:00:00.000Z',
    ],
  },
  'GET /v1/payments/{id}': {
    params: { id: (f) => f.paymentIds },
    idPrefixes: ['pay_', 'key_'],
  },
  'POST /v1/payments/{id}/verify': {
    params: { id: (f) => f.paymentIds },
    idPrefixes: ['pay_', 'key_'],
    callsProvider: true,
  },
  // The fixture's payments are pending: a refund of one is a 422 (not refundable), never a 5xx.
  'POST /v1/payments/{id}/refunds': {
    params: { id: (f) => f.paymentIds },
    idPrefixes: ['pay_', 're_'],
    body: () => ({
      required: {},
      optional: {
        amount: fc.oneof(fc.integer({ min: 1, max: 10_000_000 }), fc.constant(Number.MAX_SAFE_INTEGER)),
        reason: fc.constantFrom('requested_by_customer', 'duplicate', 'fraudulent', 'other'),
        metadata: fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_.-]{1,10}$/), fc.string({ maxLength: 20 }), {
          maxKeys: 5,
        }),
      },
    }),
    callsProvider: true,
  },
  'GET /v1/payments/{id}/refunds': { params: { id: (f) => f.paymentIds }, idPrefixes: ['pay_', 're_'] },
  'GET /v1/payments/{id}/activity': { params: { id: (f) => f.paymentIds }, idPrefixes: ['pay_', 'evt_'] },
  'GET /v1/refunds': {
    queryNames: ['limit', 'cursor', 'status', 'payment', 'createdFrom', 'createdTo'],
    queries: [
      '?limit=1',
      '?status=pending',
      '?payment=pay_01ARZ3NDEKTSV4RRFFQ69G5FAV',
      '?createdFrom=2024-01-01T00:00:00Z&createdTo=2099-01-01T00:00:00.000Z',
    ],
  },
  'GET /v1/refunds/{id}': {
    params: { id: () => ['re_01ARZ3NDEKTSV4RRFFQ69G5FAV'] },
    idPrefixes: ['re_', 'pay_'],
  },
  'GET /v1/balance': {},
  'POST /v1/payment-links': {
    body: () => ({
      required: {
        currency: fc.oneof({ weight: 3, arbitrary: fc.constant('NGN') }, { weight: 1, arbitrary: currency }),
        title: name,
      },
      optional: {
        amount: fc.oneof(fc.integer({ min: 1, max: 10_000_000 }), fc.constant(Number.MAX_SAFE_INTEGER)),
        allowCustomerAmount: fc.record({
          min: fc.integer({ min: 1, max: 1000 }),
          max: fc.integer({ min: 1, max: 1_000_000 }),
        }),
        description: fc.string({ maxLength: 100 }),
        providers: fc.subarray(['paystack', 'flutterwave', 'stripe', 'chapa'], { minLength: 1 }),
        expiresAt: isoDates,
        maxPayments: fc.integer({ min: 1, max: 1000 }),
        redirectUrl: fc.constantFrom('https://shop.example/return', 'http://localhost:3000/x?y=1'),
      },
    }),
  },
  'GET /v1/payment-links': { queryNames: ['limit', 'cursor'], queries: ['?limit=1', '?limit=100'] },
  'GET /v1/payment-links/{id}': linkPlan,
  'PATCH /v1/payment-links/{id}': {
    ...linkPlan,
    // Never `active: false`: the page routes below need the fixture's links on.
    body: () => ({
      required: {},
      optional: { active: fc.constant(true), title: name, description: fc.string({ maxLength: 100 }) },
    }),
  },
  'GET /v1/payment-links/{id}/payments': {
    ...linkPlan,
    queryNames: ['limit', 'cursor'],
    queries: ['?limit=1', '?limit=100'],
  },
  'GET /pay/{slug}': { params: slugParams, wrong: slugWrong, page: 'html', queryNames: ['utm_source'] },
  // Every form reaching a provider meets the closed port here: its 502 page, its claim on the counter given back.
  'POST /pay/{slug}': {
    params: slugParams,
    wrong: slugWrong,
    page: 'html',
    callsProvider: true,
    form: () =>
      fc.record(
        {
          token: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{22}$/), fc.string({ maxLength: 30 })),
          email: fc.oneof(email, fc.string({ maxLength: 20 })),
          provider: fc.oneof(providerName, fc.string({ maxLength: 10 })),
          amount: fc.oneof(
            fc.integer({ min: 0, max: 20_000 }).map(String),
            fc.constantFrom('1,500.50', '-1', '1e3', '0.001', ''),
            fc.string({ maxLength: 12 }),
          ),
        },
        { requiredKeys: [] },
      ),
  },
  'GET /pay/{slug}/done': {
    params: slugParams,
    wrong: slugWrong,
    page: 'html',
    queryNames: ['payment', 'session'],
    queries: [
      '?payment=pay_01ARZ3NDEKTSV4RRFFQ69G5FAV',
      '?session=AAAAAAAAAAAAAAAAAAAAAA',
      '?trxref=x&reference=y',
    ],
  },
  'GET /pay/{slug}/qr.svg': { params: slugParams, wrong: slugWrong, page: 'qr' },
  'GET /pay/{slug}/qr.png': { params: slugParams, wrong: slugWrong, page: 'qr' },
  'GET /v1/balance-transactions': {
    // `format=csv` answers text by design (tested in refunds.test.ts); the fuzz checks the JSON answers.
    queryNames: ['limit', 'cursor', 'kind', 'provider', 'currency', 'payment', 'createdFrom', 'createdTo'],
    queries: [
      '?limit=1',
      '?kind=charge&provider=paystack&currency=NGN',
      '?payment=pay_01ARZ3NDEKTSV4RRFFQ69G5FAV',
      '?createdFrom=2024-01-01T00:00:00Z&createdTo=2099-01-01T00:00:00.000Z',
    ],
  },
};

// ---------------------------------------------------------------- who calls

/**
 * - `anonymous`: no credential, or a bad one (garbage, forged JWTs, a revoked key);
 * - `dashboard`, `apiKey`, `admin`: the fixture's valid credential of that kind;
 * - `owner`: a valid dashboard token of a non-admin, on an admin route (403).
 */
type Kind = 'anonymous' | 'dashboard' | 'apiKey' | 'admin' | 'owner';

function kindsFor(route: Route): Kind[] {
  switch (route.credential) {
    // Public routes ignore credentials: a valid one sent anyway must not change the outcome's shape.
    case 'none':
      return ['anonymous', 'dashboard'];
    // No credential exists for these: the signature is whatever the fuzzed headers and body carry.
    case 'providerSignature':
      return ['anonymous'];
    case 'dashboard':
      return ['anonymous', 'dashboard'];
    case 'apiKeyOrDashboard':
      return ['anonymous', 'dashboard', 'apiKey'];
    case 'admin':
      return ['anonymous', 'owner', 'admin'];
  }
}

const takesCredentials = (route: Route) =>
  route.credential !== 'none' && route.credential !== 'providerSignature';

function authorizationFor(kind: Kind, f: Fixture): fc.Arbitrary<string | readonly string[] | undefined> {
  const valid = (token: string) =>
    fc.oneof(
      { weight: 8, arbitrary: fc.constant(`Bearer ${token}`) },
      // Still the same credential: the scheme is case-insensitive, the space may be several.
      { weight: 1, arbitrary: fc.constantFrom(`bearer ${token}`, `Bearer   ${token}`, `BEARER\t${token}`) },
    );
  switch (kind) {
    case 'anonymous':
      return badAuthorization({
        realJwt: f.merchant.accessToken,
        realKey: f.testKey,
        revokedKey: f.revokedKey,
      });
    case 'dashboard':
    case 'owner':
      return valid(f.merchant.accessToken);
    case 'apiKey':
      return valid(f.testKey);
    case 'admin':
      return valid(adminJwt);
  }
}

// ---------------------------------------------------------------- requests

/**
 * Each part of a request (each path segment, the query, the body, each header) is
 * clean 70% of the time and hostile 30%: most requests carry one or two hostile
 * parts, so a hostile body is not always hidden behind a refused query string.
 * (Hostile parts are themselves often near-valid: a route's own body with one
 * field swapped, a real cursor with one key changed.)
 */
const mix = <T>(clean: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>, hostileShare = 3): fc.Arbitrary<T> =>
  fc.oneof({ weight: 10 - hostileShare, arbitrary: clean }, { weight: hostileShare, arbitrary: hostile });

/** Real `nextCursor`s of the list routes, by route key (filled in `beforeAll`). */
const realCursors: Record<string, string[]> = {};

function requestArb(route: Route, plan: Plan, kind: Kind, f: Fixture): fc.Arbitrary<RawRequest> {
  const key = routeKey(route);
  const names = [...route.path.matchAll(/\{([^}]+)\}/g)].map((x) => x[1] as string);
  const segments = fc.tuple(
    ...names.map((n) => {
      const valid = plan.params?.[n]?.(f) ?? [];
      const wrong = plan.wrong?.[n] ?? [];
      const tricks = segmentArb(valid, plan.idPrefixes ?? []);
      const hostile = wrong.length > 0 ? fc.oneof(tricks, fc.constantFrom(...wrong)) : tricks;
      return valid.length > 0 ? mix(fc.constantFrom(...valid), hostile) : hostile;
    }),
  );
  const partitions = [
    { name: 'pk', value: `MER#${f.merchant.merchantId}` },
    { name: 'pk', value: `MER#${f.merchant.merchantId}#test` },
    { name: 'gsi1pk', value: 'MERCHANTS' },
    { name: 'gsi1pk', value: `AUDIT#${new Date().toISOString().slice(0, 7)}` },
    { name: 'pk', value: `MER#${w.merchant.merchantId}` },
  ];
  const cursors = realCursors[key] ?? [];
  const cleanQuery = fc.constantFrom(
    '',
    ...(plan.queries ?? []),
    ...cursors.map((c) => `?cursor=${encodeURIComponent(c)}`),
  );
  const template = plan.body?.(f);
  const cleanBody: fc.Arbitrary<Body> = plan.form
    ? plan.form(f).map((fields) => ({
        bytes: Buffer.from(new URLSearchParams(fields).toString(), 'utf8'),
        contentType: 'application/x-www-form-urlencoded',
      }))
    : template
      ? validValue(template).map((v) => ({
          bytes: Buffer.from(JSON.stringify(v), 'utf8'),
          contentType: 'application/json',
        }))
      : fc.constant({ bytes: undefined, contentType: undefined });
  return fc
    .record({
      segments,
      // A route that takes query parameters (lists, filters) gets hostile ones half the time.
      query: mix(
        cleanQuery,
        queryArb({ partitions, realCursors: cursors }, plan.queryNames ?? []),
        plan.queryNames ? 5 : 3,
      ),
      body: mix(cleanBody, bodyArb(template)),
      authorization: authorizationFor(kind, f),
      mode: mix(fc.constantFrom(undefined, 'test', 'live'), modeHeader),
      idempotencyKey: mix(fc.uuid(), idempotencyHeader),
      extra: mix(fc.constant({}), extraHeaders),
    })
    .map(({ segments, query, body, authorization, mode, idempotencyKey, extra }) => {
      let i = 0;
      const path = route.path.replace(/\{[^}]+\}/g, () => segments[i++] as string);
      const headers: Record<string, string | readonly string[]> = { ...extra };
      if (body.contentType !== undefined) headers['content-type'] = body.contentType;
      if (authorization !== undefined) headers.authorization = authorization;
      if (mode !== undefined) headers['paybridge-mode'] = mode;
      if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
      return { method: route.method, path: toWire(`${path}${query}`), headers, body: body.bytes };
    });
}

// ---------------------------------------------------------------- what every answer must be

const documented = new Set([200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429]);
const typeOf: Record<number, string> = {
  400: 'invalid_request',
  404: 'invalid_request',
  405: 'invalid_request',
  409: 'invalid_request',
  413: 'invalid_request',
  415: 'invalid_request',
  422: 'invalid_request',
  401: 'authentication',
  403: 'permission',
  429: 'rate_limit',
  502: 'provider',
};
const errorTypes = new Set([
  'invalid_request',
  'authentication',
  'permission',
  'rate_limit',
  'provider',
  'api',
]);
const errorFields = new Set(['type', 'code', 'message', 'param', 'requestId']);
/** Words of zod's vocabulary that mean nothing to a merchant reading an error. */
const validatorJargon = /\bregex\b|\bexpected\b|invalid_type|invalid_format|Invalid input|\bZod/i;

/** 403 codes that refuse the caller itself rather than the request. */
const callerRefusals = new Set(['admin_only', 'dashboard_only', 'credentials_required']);

interface ErrorShape {
  type: string;
  code: string;
  message: string;
  param?: string;
  requestId: string;
}

/**
 * The one kind of answer to an unrouted path that is not an error: `GET /` to the docs, and a public
 * page with a trailing slash to its address without it (functions/api/not-found.ts).
 */
function pageRedirect(req: RawRequest, res: RawResponse): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = new URL(req.path, 'http://127.0.0.1');
  const location = String(res.headers.location ?? '');
  if (url.pathname === '/') return res.status === 302 && location === '/docs';
  const trimmed = url.pathname.replace(/\/+$/, '');
  const page = matchRoute('GET', trimmed);
  return (
    res.status === 308 &&
    trimmed !== url.pathname &&
    page.kind === 'route' &&
    page.route.credential === 'none' &&
    location === `${trimmed}${url.search}`
  );
}

/** Every problem with an answer, or none. */
function problemsWith(route: Route, plan: Plan, kind: Kind, req: RawRequest, res: RawResponse): string[] {
  // Dot segments are resolved by the URL before anything is sent: `/pay/..` or `/docs/assets/../..` is
  // a request for the site's root, which locally is the dashboard's index (CloudFront's default
  // behaviour in the cloud), not an API answer. Only a server error there would be ours to find.
  const resolved = new URL(req.path, 'http://127.0.0.1').pathname;
  if (resolved === '/') {
    return res.status >= 500 ? [`the site root answered ${res.status}`] : [];
  }
  // Likewise a `?` or `#` in a segment ends the path early: `/pay/{slug}?/done` is the page route's
  // request, whose answers that route's own sweep checks. Here only: never a server error.
  const reached = matchRoute(req.method, resolved);
  if (reached.kind === 'route' && reached.route !== route) {
    const provider = res.status === 502 && (plans[routeKey(reached.route)]?.callsProvider ?? false);
    return res.status >= 500 && res.status !== 503 && !provider
      ? [`${routeKey(reached.route)} answered ${res.status}`]
      : [];
  }
  const problems: string[] = [];
  const header = (n: string) => {
    const v = res.headers[n];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const image = plan.page === 'qr' && res.status === 200;
  const document = (plan.publicDocument === true && res.status < 300) || image;
  if (header('x-content-type-options') !== 'nosniff') problems.push('x-content-type-options is not nosniff');
  if (
    document
      ? !/^public, max-age=\d+$/.test(header('cache-control') ?? '')
      : header('cache-control') !== 'no-store'
  ) {
    problems.push(`cache-control is ${header('cache-control')}`);
  }
  const requestId = header('x-request-id');
  if (!requestId) problems.push('no x-request-id header');
  // The hosted payment page answers customers: pages (refusals included) and redirects, never JSON.
  const pagePath = new URL(req.path, 'http://127.0.0.1').pathname;
  const pageMatch = matchRoute(req.method, pagePath);
  if (plan.page && pageMatch.kind === 'route' && pageMatch.route === route) {
    const pageStatuses = new Set([200, 303, 400, 404, 409, 410, 413, 415, 422, 429, 503]);
    if (!pageStatuses.has(res.status) && !(res.status === 502 && plan.callsProvider === true)) {
      problems.push(`undocumented page status ${res.status}`);
    }
    const type = header('content-type') ?? '';
    const want = image
      ? /^image\/(svg\+xml|png)$/
      : res.status === 303
        ? /^text\/plain/
        : /^text\/html; charset=utf-8$/;
    if (!want.test(type)) problems.push(`a page answered ${res.status} as ${type}`);
    if (res.status === 303 && !header('location')) problems.push('303 without Location');
    if (!image && res.status !== 303 && !/default-src 'none'/.test(header('content-security-policy') ?? '')) {
      problems.push('a page without its Content-Security-Policy');
    }
    if (res.status === 429 && !/^\d+$/.test(header('retry-after') ?? ''))
      problems.push('429 without Retry-After');
    if (res.status >= 500 && res.status !== 502 && res.status !== 503)
      problems.push(`a page answered ${res.status}`);
    return problems;
  }

  // `/docs/assets/..` resolves to `/docs/`: the trailing-slash redirect to `/docs`, with no body to check.
  if (pageRedirect(req, res)) return problems;
  const provider502 = res.status === 502 && plan.callsProvider === true;
  if (!documented.has(res.status) && !provider502 && !pageRedirect(req, res)) {
    problems.push(`undocumented status ${res.status}`);
  }

  const text = res.body.toString('utf8');
  let parsed: unknown;
  if (document) {
    if (!/^(text\/(html|javascript|css)|application\/json)\b/.test(header('content-type') ?? '')) {
      problems.push(`a document served as ${header('content-type')}`);
    }
  } else if (res.status !== 204) {
    if (!/^application\/json/.test(header('content-type') ?? '')) problems.push('content-type is not JSON');
    try {
      parsed = JSON.parse(text);
    } catch {
      problems.push('body is not JSON');
    }
  }
  let error: ErrorShape | undefined;
  if (res.status >= 400) {
    const top = parsed as Record<string, unknown> | undefined;
    const e = top?.error as Record<string, unknown> | undefined;
    if (
      !top ||
      typeof top !== 'object' ||
      Object.keys(top).join() !== 'error' ||
      !e ||
      typeof e !== 'object'
    ) {
      problems.push('error body is not {error: {…}}');
    } else {
      for (const k of Object.keys(e)) if (!errorFields.has(k)) problems.push(`unknown error field ${k}`);
      for (const k of ['type', 'code', 'message', 'requestId']) {
        if (typeof e[k] !== 'string' || e[k] === '') problems.push(`error.${k} is not a non-empty string`);
      }
      if (e.param !== undefined && typeof e.param !== 'string') problems.push('error.param is not a string');
      if (typeof e.message === 'string' && validatorJargon.test(e.message)) {
        problems.push(`error.message speaks the validator's language: ${e.message}`);
      }
      if (!errorTypes.has(e.type as string)) problems.push(`error.type ${String(e.type)} is not one of ours`);
      if (typeOf[res.status] !== undefined && e.type !== typeOf[res.status]) {
        problems.push(`error.type ${String(e.type)} does not go with ${res.status}`);
      }
      if (e.requestId !== requestId) problems.push('x-request-id differs from error.requestId');
      error = e as unknown as ErrorShape;
    }
  }
  if (res.status === 405 && !header('allow')) problems.push('405 without Allow');
  if (res.status === 429 && !/^\d+$/.test(header('retry-after') ?? ''))
    problems.push('429 without Retry-After');

  // Where the server routed it: a fuzzed path may no longer be this route (`..`, `%2F`, `?`).
  const pathname = new URL(req.path, 'http://127.0.0.1').pathname;
  const match = matchRoute(req.method, pathname);
  if (match.kind !== 'route') {
    const want = match.kind === 'method' ? [405, 'method_not_allowed'] : [404, 'route_not_found'];
    if ((res.status !== want[0] || error?.code !== want[1]) && !pageRedirect(req, res)) {
      problems.push(`unrouted path should get ${want[0]} ${want[1]}, got ${res.status} ${error?.code}`);
    }
  } else if (match.route === route && takesCredentials(route)) {
    // Authentication comes before anything else looks at the request.
    if (kind === 'anonymous' && res.status !== 401) problems.push(`no valid credential but ${res.status}`);
    // A non-admin is refused with 403, or with 400 first when its `PayBridge-Mode` is malformed
    // (the header is read with the token, before the role is looked at): refused either way.
    if (
      kind === 'owner' &&
      !(res.status === 403 && error?.code === 'admin_only') &&
      !(res.status === 400 && error?.code === 'invalid_mode')
    ) {
      problems.push(`a non-admin on an admin route got ${res.status} ${error?.code}`);
    }
    // A valid credential is never refused as such: no 401, no 403 about the kind of caller.
    // (A 403 about what it asks for, e.g. a test key acting on live providers, is an answer.)
    const refused = res.status === 401 || (res.status === 403 && callerRefusals.has(error?.code ?? ''));
    if ((kind === 'dashboard' || kind === 'apiKey' || kind === 'admin') && refused) {
      problems.push(`a valid ${kind} credential was refused (${res.status} ${error?.code})`);
    }
  }
  return problems;
}

/** Statuses seen, by route and caller: printed with FUZZ_STATS=1, to see how deep the fuzz got. */
const stats = new Map<string, Map<number, number>>();
afterAll(() => {
  if (!process.env.FUZZ_STATS) return;
  for (const [k, counts] of [...stats].sort()) {
    console.log(
      k.padEnd(60),
      [...counts]
        .sort(([a], [b]) => a - b)
        .map(([c, n]) => `${c}×${n}`)
        .join(' '),
    );
  }
});

async function exchange(req: RawRequest, tally: string): Promise<RawResponse> {
  const res = await send(api.url(), req);
  const counts = stats.get(tally) ?? new Map<number, number>();
  counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
  stats.set(tally, counts);
  return res;
}

function assertAnswer(route: Route, plan: Plan, kind: Kind, req: RawRequest, res: RawResponse): void {
  const problems = problemsWith(route, plan, kind, req, res);
  if (problems.length > 0) {
    throw new Error(
      `${problems.join('; ')}\n  request: ${describeRequest(req)}\n  response: ${describeResponse(res)}`,
    );
  }
}

/** fast-check's report with the shrunk request written out (its default would print 70 KB buffers). */
function reporter(details: fc.RunDetails<[RawRequest]>): void {
  if (!details.failed) return;
  const req = details.counterexample?.[0];
  const cause =
    details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(
    `Property failed after ${details.numRuns} runs (seed ${details.seed}, path "${details.counterexamplePath}", ` +
      `${details.numShrinks} shrinks; replay with FUZZ_SEED=${details.seed}).\n` +
      `Counterexample: ${req ? describeRequest(req) : '(none)'}\n${cause}`,
  );
}

/**
 * Requests that once broke a route, sent first on every run (fast-check's
 * `examples`), so a regression never depends on the dice. Found by this fuzz:
 * - a cursor naming only the caller's own partition (`{"pk":"MER#<id>"}`), or
 *   one with extra or missing key attributes: DynamoDB refused the start key (500);
 * - `createdFrom` / `createdTo` before 1970: the ULID time encoding threw (500).
 */
function corpus(route: Route, plan: Plan, kind: Kind, f: Fixture): RawRequest[] {
  const names = plan.queryNames ?? [];
  if (kind === 'anonymous' || kind === 'owner' || names.length === 0) return [];
  const token = kind === 'apiKey' ? f.testKey : kind === 'admin' ? adminJwt : f.merchant.accessToken;
  const b64 = (key: unknown) => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
  const queries: string[] = [];
  if (names.includes('cursor')) {
    for (const cursor of realCursors[routeKey(route)] ?? []) {
      const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, string>;
      const partition = 'gsi1pk' in key ? 'gsi1pk' : 'pk';
      queries.push(`?cursor=${b64({ [partition]: key[partition] })}`, `?cursor=${b64({ ...key, x: 'y' })}`);
    }
  }
  if (names.includes('createdFrom')) queries.push('?createdFrom=1969-12-31T23:59:59Z');
  if (names.includes('createdTo')) queries.push('?createdTo=0000-01-01T00:00:00Z');
  const path = route.path.replace(/\{([^}]+)\}/g, (_, n: string) => plan.params?.[n]?.(f)[0] ?? n);
  return queries.map((q) => ({
    method: route.method,
    path: toWire(`${path}${q}`),
    headers: { authorization: `Bearer ${token}` },
    body: undefined,
  }));
}

const options = (examples: RawRequest[] = []): fc.Parameters<[RawRequest]> => ({
  numRuns: runs,
  reporter,
  examples: examples.map((r) => [r]),
  ...(seed === undefined ? {} : { seed }),
});

// ---------------------------------------------------------------- the sweeps

describe('fuzz sweep over the route table', () => {
  it('has a plan for every route', () => {
    expect(routes.map(routeKey).filter((key) => !(key in plans))).toEqual([]);
  });

  it('set up real objects for the fuzz to name', () => {
    expect(setupProblems).toEqual([]);
  });

  const cases = routes.flatMap((route) =>
    kindsFor(route).map((kind) => [routeKey(route), kind, route] as const),
  );
  it.each(cases)('%s as %s: documented answers in our shape', { timeout }, async (key, kind, route) => {
    const plan = plans[key] ?? {};
    await restorePaystack(m);
    await fc.assert(
      fc.asyncProperty(requestArb(route, plan, kind, m), async (req) => {
        assertAnswer(route, plan, kind, req, await exchange(req, `${key} as ${kind}`));
      }),
      options(corpus(route, plan, kind, m)),
    );
  });
});

// ---------------------------------------------------------------- rejected requests write nothing

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const table = () => process.env.TABLE_NAME as string;

/** Every item of a merchant's partitions (`MER#<id>`, `#test`, `#live`), by `pk|sk`, as JSON. */
async function snapshot(merchantId: string): Promise<Map<string, Record<string, unknown>>> {
  const items = new Map<string, Record<string, unknown>>();
  for (const pk of [`MER#${merchantId}`, `MER#${merchantId}#test`, `MER#${merchantId}#live`]) {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await doc.send(
        new QueryCommand({
          TableName: table(),
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) items.set(`${String(item.pk)}|${String(item.sk)}`, item);
      start = out.LastEvaluatedKey;
    } while (start);
  }
  return items;
}

/** An item as compared: API-key use is recorded asynchronously (`lastUsedAt`), even on a refused request. */
const comparable = (item: Record<string, unknown>): string => {
  const { lastUsedAt: _l, ...rest } = item;
  return JSON.stringify(item.type === 'api_key' ? rest : item);
};

/** Items a rejected request may legitimately add, by route. */
const allowedOnRejection: Record<string, (item: Record<string, unknown>) => boolean> = {
  // A failed sign-in is recorded as a security event (README, Auth model), and the
  // fifth in 15 minutes as a lockout; the login's failure counter is on LOGIN#, outside these partitions.
  'POST /v1/auth/login': (item) =>
    item.type === 'security_event' && ['login_failed', 'account_locked'].includes(item.kind as string),
  // A wrong current password counts like a failed sign-in (and the fifth locks the login).
  'POST /v1/auth/password': (item) =>
    item.type === 'security_event' && ['login_failed', 'account_locked'].includes(item.kind as string),
  // Presenting an already-used refresh token revokes its family and records the reuse.
  'POST /v1/auth/refresh': (item) => item.type === 'security_event' && item.kind === 'refresh_token_reused',
  // A verify call the provider did not answer (502) is still a verify call: the payment's timeline records it
  // with its error code (issue 16), and nothing else is written.
  'POST /v1/payments/{id}/verify': (item) =>
    item.type === 'payment_activity' && item.kind === 'verify' && typeof item.errorCode === 'string',
};

/** Keys outside the merchant's partitions a rejected request could write: an idempotency claim, a login. */
function outsideKeys(route: Route, req: RawRequest, merchantId: string): { pk: string; sk: string }[] {
  const key = req.headers['idempotency-key'];
  if (routeKey(route) === 'POST /v1/payments' && typeof key === 'string') {
    return ['test', 'live'].map((mode) => ({ pk: `IDEM#${merchantId}#${mode}#${key.trim()}`, sk: 'IDEM' }));
  }
  if (routeKey(route) === 'POST /v1/auth/register' && req.body) {
    try {
      const body = JSON.parse(req.body.toString('utf8')) as { email?: unknown };
      if (typeof body.email === 'string')
        return [{ pk: `LOGIN#${body.email.trim().toLowerCase()}`, sk: 'LOGIN' }];
    } catch {
      // Not JSON: the request cannot name a login.
    }
  }
  return [];
}

async function getItems(ks: { pk: string; sk: string }[]): Promise<string[]> {
  return Promise.all(
    ks.map(async (Key) => {
      // DynamoDB keys are at most 2048 bytes: no item can have a longer one.
      if (Buffer.byteLength(Key.pk, 'utf8') > 2048) return 'null';
      const out = await doc.send(new GetCommand({ TableName: table(), Key, ConsistentRead: true }));
      return JSON.stringify(out.Item ?? null);
    }),
  );
}

describe('a rejected request writes nothing', () => {
  // Every route that may write. The valid credentials only: without one the request is
  // refused before anything runs (the sweep above checks it is a 401).
  const writes = routes.filter((r) => r.method !== 'GET');
  const cases = writes.flatMap((route) =>
    kindsFor(route)
      .filter((kind) => (takesCredentials(route) ? kind !== 'anonymous' : kind === 'anonymous'))
      .map((kind) => [routeKey(route), kind, route] as const),
  );

  it.each(cases)('%s as %s', { timeout }, async (key, kind, route) => {
    const plan = plans[key] ?? {};
    const merchantId = w.merchant.merchantId;
    const allowed = allowedOnRejection[key] ?? (() => false);
    await restorePaystack(w);
    let rejected = 0;
    let legitimate = 0;
    /** Items added (or removed) by the requests that were accepted. */
    let acceptedDelta = 0;
    const before = (await snapshot(merchantId)).size;
    await fc.assert(
      fc.asyncProperty(requestArb(route, plan, kind, w), async (req) => {
        const outside = outsideKeys(route, req, merchantId);
        const [itemsBefore, outsideBefore] = await Promise.all([snapshot(merchantId), getItems(outside)]);
        const res = await exchange(req, `${key} as ${kind} (no-write)`);
        assertAnswer(route, plan, kind, req, res);
        const [itemsAfter, outsideAfter] = await Promise.all([snapshot(merchantId), getItems(outside)]);
        if (res.status < 400) {
          acceptedDelta += itemsAfter.size - itemsBefore.size;
          return;
        }
        rejected++;
        const problems: string[] = [];
        for (const [k, item] of itemsAfter) {
          const was = itemsBefore.get(k);
          if (!was) {
            if (allowed(item)) legitimate++;
            else problems.push(`added ${k} (${String(item.type)})`);
          } else if (comparable(was) !== comparable(item))
            problems.push(`changed ${k} (${String(item.type)})`);
        }
        for (const k of itemsBefore.keys()) if (!itemsAfter.has(k)) problems.push(`deleted ${k}`);
        outside.forEach((k, i) => {
          if (outsideBefore[i] !== outsideAfter[i]) problems.push(`wrote ${k.pk}`);
        });
        if (problems.length > 0) {
          throw new Error(
            `a ${res.status} wrote to the table: ${problems.join('; ')}\n  request: ${describeRequest(req)}\n  response: ${describeResponse(res)}`,
          );
        }
      }),
      options(),
    );
    // The batch met rejections (not only accepted writes; with so few runs it may not), and the
    // count adds up: the rejected requests added exactly the legitimate security events.
    if (runs >= 10) expect(rejected).toBeGreaterThan(0);
    expect((await snapshot(merchantId)).size).toBe(before + acceptedDelta + legitimate);
  });
});
