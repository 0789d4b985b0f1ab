import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, PayBridgeError, verifyWebhook, WebhookVerificationError } from '#client/dist';
import { newEndpointSecret, signWebhook } from '#core/webhook-signature';
import { matchRoute } from '#routes';
import { useApi } from '#test/http';
import { outboxToken } from '#test/merchants';
import type { JsonObject } from '#openapi';
import { documentChecker, pointerPart } from '#test/openapi';
import { usePipeline } from '#test/pipeline';
import { testCredentials } from '#test/providers';
import { useReceiver } from '#test/receiver';
import { useSandboxes } from '#test/sandbox-fixture';

// Deliveries retry in seconds here, not hours.
vi.hoisted(() => {
  process.env.WEBHOOK_RETRY_SCHEDULE = '0,1,1,1';
});

const sandboxes = useSandboxes();
usePipeline();
const receiver = useReceiver();
const api = useApi();

let check: ReturnType<typeof documentChecker>;
/** Every answer the client got that the served OpenAPI document does not describe. */
const problems: string[] = [];

beforeAll(async () => {
  for (const [name, url] of Object.entries(sandboxes.sandbox().baseUrls)) {
    process.env[`${name.toUpperCase()}_BASE_URL`] = url;
  }
  const res = await fetch(`${api.url()}/openapi.json`);
  expect(res.status).toBe(200);
  check = documentChecker((await res.json()) as JsonObject);
});

afterEach(() => {
  expect(problems.splice(0)).toEqual([]);
});

/** The global fetch, checking each answer against the document's schema for its route and status. */
const contractFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const method = init?.method ?? 'GET';
  const url = new URL(input instanceof Request ? input.url : String(input));
  const match = matchRoute(method, url.pathname);
  if (match.kind !== 'route') {
    problems.push(`${method} ${url.pathname}: not a route`);
    return response;
  }
  const text = await response.clone().text();
  const where = `${method} ${match.route.path} → ${response.status}`;
  if (text === '') {
    if (response.status !== 204) problems.push(`${where}: empty body`);
    return response;
  }
  for (const problem of check.response(method, match.route.path, response.status, JSON.parse(text))) {
    problems.push(`${where}: ${problem}`);
  }
  return response;
};

async function until(condition: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the PayBridge client against the local API', () => {
  it('signs up, creates a key, configures Paystack, takes a payment and verifies its signed webhook', async () => {
    const anonymous = createClient({ baseUrl: api.url(), fetch: contractFetch });
    const email = `client-${randomUUID()}@example.com`;
    const password = `pw-${randomUUID()}`;
    const registration = await anonymous.auth.register({ email, password, businessName: 'Client Shop' });
    expect(registration.merchant.businessName).toBe('Client Shop');

    const dashboard = anonymous.with({ accessToken: registration.accessToken });
    const me = await dashboard.me.get();
    expect(me).toMatchObject({ mode: 'test', user: { email }, merchant: { id: registration.merchant.id } });
    const updated = await dashboard.me.update({ defaultCurrency: 'NGN' });
    expect(updated.merchant.defaultCurrency).toBe('NGN');

    const key = await dashboard.apiKeys.create({ name: 'checkout server', mode: 'test', scope: 'full' });
    expect(key.key).toMatch(/^sk_test_/);
    expect((await dashboard.apiKeys.list({ limit: 10 })).data.map((k) => k.id)).toContain(key.id);

    const shop = createClient({ baseUrl: api.url(), apiKey: key.key, fetch: contractFetch });
    const credentials = testCredentials('paystack');
    const paystack = await shop.providers.configure('paystack', { mode: 'test', ...credentials });
    expect(paystack).toMatchObject({ provider: 'paystack', mode: 'test', enabled: true });
    await sandboxes.control('PUT', '/paystack/accounts', { ...credentials, webhookUrl: paystack.webhookUrl });
    expect((await shop.providers.list()).data.map((p) => p.provider)).toEqual(['paystack']);

    const endpoint = await shop.webhookEndpoints.create({
      url: receiver.url('/client'),
      events: ['payment.succeeded'],
      description: 'client test',
    });
    expect(endpoint.secret).toMatch(/^whsec_/);

    const order = {
      amount: 250000,
      currency: 'NGN',
      customer: { email: 'buyer@example.com' },
      reference: 'ord-7',
    };
    const payment = await shop.payments.create(order, { idempotencyKey: 'ord-7' });
    expect(payment).toMatchObject({ status: 'pending', provider: 'paystack', amount: 250000 });
    // The same key replays the first answer: never a second checkout.
    expect((await shop.payments.create(order, { idempotencyKey: 'ord-7' })).id).toBe(payment.id);
    const other = await shop.payments.create({ ...order, reference: 'ord-8' }, { idempotencyKey: 'ord-8' });
    expect(other.id).not.toBe(payment.id);
    const listed = await shop.payments.list({ limit: 10, reference: 'ord-7' });
    expect(listed.data.map((p) => p.id)).toEqual([payment.id]);

    await sandboxes.clickOn(payment.checkoutUrl, 'success');
    await until(() => receiver.received('/client').length === 1);
    const [delivery] = receiver.received('/client');
    if (!delivery) throw new Error('no delivery');
    const event = verifyWebhook(endpoint.secret, delivery.body, delivery.headers);
    expect(event).toMatchObject({
      type: 'payment.succeeded',
      mode: 'test',
      data: { object: { id: payment.id, status: 'succeeded' } },
    });
    const schema = `/webhooks/${pointerPart('payment.succeeded')}/post/requestBody/content/application~1json/schema`;
    expect(check.errors(schema, event)).toEqual([]);
    expect(() =>
      verifyWebhook(endpoint.secret, delivery.body.replace('succeeded', 'failed'), delivery.headers),
    ).toThrow(WebhookVerificationError);

    expect((await shop.payments.get(payment.id)).status).toBe('succeeded');
    expect((await shop.payments.verify(payment.id)).status).toBe('succeeded');

    const events = await shop.events.list({ paymentId: payment.id });
    expect(events.data.map((e) => e.id)).toEqual([event.id]);
    expect((await shop.events.get(event.id)).paymentId).toBe(payment.id);
    const attempts = await shop.events.attempts(event.id);
    expect(attempts.data.map((a) => a.status)).toEqual([200]);
    const resent = await shop.events.resend(event.id);
    expect(resent.deliveries.map((d) => d.endpointId)).toEqual([endpoint.id]);

    expect((await shop.webhookEndpoints.list()).data.map((e) => e.id)).toEqual([endpoint.id]);
    expect((await shop.webhookEndpoints.get(endpoint.id)).url).toBe(endpoint.url);
    expect((await shop.webhookEndpoints.update(endpoint.id, { events: ['*'] })).events).toEqual(['*']);
    const rotated = await shop.webhookEndpoints.rotateSecret(endpoint.id);
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(rotated.secretRotatedUntil).not.toBeNull();
    expect((await shop.webhookEndpoints.test(endpoint.id)).type).toBe('webhook_endpoint.test');
    expect(await shop.webhookEndpoints.recover(endpoint.id, { since: '2026-01-01T00:00:00Z' })).toEqual({
      resent: 0,
      more: false,
    });
    await shop.webhookEndpoints.remove(endpoint.id);
    await expect(shop.webhookEndpoints.get(endpoint.id)).rejects.toMatchObject({ status: 404 });

    const session = await anonymous.auth.login({ email, password });
    const refreshed = await anonymous.auth.refresh(session.refreshToken);
    expect(refreshed.refreshToken).not.toBe(session.refreshToken);
    await anonymous.with({ accessToken: refreshed.accessToken }).auth.logout();

    await shop.providers.remove('paystack');
    expect((await dashboard.apiKeys.revoke(key.id)).revokedAt).not.toBeNull();
  });

  it('throws PayBridgeError carrying our error body', async () => {
    const anonymous = createClient({ baseUrl: api.url(), fetch: contractFetch });
    const missing = await anonymous.payments.list().catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(PayBridgeError);
    expect(missing).toMatchObject({ status: 401, type: 'authentication', code: 'missing_credentials' });
    expect((missing as PayBridgeError).requestId).toBeTruthy();

    const registration = await anonymous.auth.register({
      email: `client-${randomUUID()}@example.com`,
      password: `pw-${randomUUID()}`,
      businessName: 'Errors Ltd',
    });
    const dashboard = anonymous.with({ accessToken: registration.accessToken });
    const invalid = await dashboard.payments
      .create(
        { amount: 1.5, currency: 'NGN', customer: { email: 'a@example.com' } },
        { idempotencyKey: 'ord-9' },
      )
      .catch((error: unknown) => error);
    expect(invalid).toMatchObject({ status: 400, code: 'invalid_field', param: 'amount' });
    expect((invalid as PayBridgeError).body).toMatchObject({ error: { code: 'invalid_field' } });
  });

  it('sends the PayBridge-Mode header with a dashboard token, so live data stays apart', async () => {
    const anonymous = createClient({ baseUrl: api.url(), fetch: contractFetch });
    const email = `client-${randomUUID()}@example.com`;
    const registration = await anonymous.auth.register({
      email,
      password: `pw-${randomUUID()}`,
      businessName: 'Modes Ltd',
    });
    // Live mode needs a verified email address (SECURITY.md, finding 8): open the emailed link.
    expect(await anonymous.auth.verifyEmail({ token: await outboxToken(email) })).toMatchObject({
      emailVerified: true,
    });
    const live = anonymous.with({ accessToken: registration.accessToken, mode: 'live' });
    expect((await live.me.get()).mode).toBe('live');
    await live.webhookEndpoints.create({ url: 'https://93.184.216.34/live-hook', events: ['*'] });
    expect((await live.webhookEndpoints.list()).data).toHaveLength(1);
    expect((await live.with({ mode: 'test' }).webhookEndpoints.list()).data).toHaveLength(0);
  });
});

describe('verifyWebhook', () => {
  const secret = newEndpointSecret();
  const body = JSON.stringify({
    id: 'evt_01JXAMPLE0000000000000000E',
    type: 'webhook_endpoint.test',
    createdAt: '2026-11-23T09:00:00.000Z',
    mode: 'test',
    data: { object: { endpointId: 'we_01JXAMPLE0000000000000000W', message: 'hello' } },
  });
  const now = Math.floor(Date.now() / 1000);
  const signed = (secrets: string[], timestamp = now) => ({
    'webhook-id': 'msg_01JXAMPLE0000000000000000M',
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook({ id: 'msg_01JXAMPLE0000000000000000M', timestamp, body, secrets }),
  });

  it('returns the event of a correctly signed delivery, from plain headers or a Headers object', () => {
    expect(verifyWebhook(secret, body, signed([secret])).type).toBe('webhook_endpoint.test');
    expect(verifyWebhook(secret, Buffer.from(body), new Headers(signed([secret]))).data.object).toEqual({
      endpointId: 'we_01JXAMPLE0000000000000000W',
      message: 'hello',
    });
  });

  it('accepts either secret while a rotated one still signs', () => {
    const next = newEndpointSecret();
    expect(verifyWebhook(secret, body, signed([next, secret])).id).toBe('evt_01JXAMPLE0000000000000000E');
    expect(verifyWebhook([next], body, signed([next, secret])).id).toBe('evt_01JXAMPLE0000000000000000E');
  });

  it.each([
    [
      'an altered body',
      () => verifyWebhook(secret, body.replace('hello', 'hullo'), signed([secret])),
      'no_matching_signature',
    ],
    [
      'another secret',
      () => verifyWebhook(newEndpointSecret(), body, signed([secret])),
      'no_matching_signature',
    ],
    [
      'a stale timestamp',
      () => verifyWebhook(secret, body, signed([secret], now - 600)),
      'timestamp_out_of_tolerance',
    ],
    [
      'no signature header',
      () => verifyWebhook(secret, body, { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now) }),
      'missing_headers',
    ],
  ])('refuses %s', (_what, run, reason) => {
    expect(run).toThrow(WebhookVerificationError);
    expect(() => run()).toThrow(expect.objectContaining({ reason }) as Error);
  });
});
