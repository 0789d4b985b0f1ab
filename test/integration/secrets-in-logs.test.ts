import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useApi } from '#test/http';
import { bearer, createKey, json, registerMerchant } from '#test/merchants';

// Before any handler module loads: the logger takes its level from the
// environment, and Powertools resets to that level after every invocation.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

const api = useApi();
const lines: string[] = [];

beforeAll(() => {
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe('logs', () => {
  it('never contain a password, access or refresh token, or API key, on success or failure paths', async () => {
    const m = await registerMerchant(api.request);
    const key = await createKey(api.request, m, 'live', 'full');
    await api.request('/v1/me', bearer(key.key));
    await api.request('/v1/auth/login', json({ email: m.email, password: `${m.password}-wrong` }));
    const login = await api.request('/v1/auth/login', json({ email: m.email, password: m.password }));
    const tokens = (await login.json()) as { accessToken: string; refreshToken: string };
    await api.request('/v1/auth/refresh', json({ refreshToken: tokens.refreshToken }));
    await api.request('/v1/auth/refresh', json({ refreshToken: tokens.refreshToken })); // reuse
    await api.request('/v1/me', bearer(`${key.key.slice(0, -1)}X`)); // wrong key
    await api.request('/v1/me', bearer(`${tokens.accessToken}x`)); // broken token

    // Provider credentials and a webhook endpoint secret: configured, used, never logged.
    const providerKey = `sk_test_${'p'.repeat(20)}Secret`;
    await api.request('/v1/providers/paystack', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}` },
      body: JSON.stringify({ mode: 'live', secretKey: providerKey.replace('sk_test_', 'sk_live_') }),
    });
    const stripeHook = `whsec_${'w'.repeat(32)}`;
    await api.request('/v1/providers/stripe', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}` },
      body: JSON.stringify({
        mode: 'live',
        secretKey: `sk_live_${'s'.repeat(24)}`,
        webhookSecret: stripeHook,
      }),
    });
    const endpoint = await api.request('/v1/webhook-endpoints', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}` },
      body: JSON.stringify({ url: 'https://93.184.216.34/hook', events: ['*'] }),
    });
    expect(endpoint.status).toBe(201);
    const { secret: endpointSecret } = (await endpoint.json()) as { secret: string };
    expect(endpointSecret).toMatch(/^whsec_/);
    await api.request('/v1/payments', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key.key}`,
        'idempotency-key': 'k1',
      },
      body: JSON.stringify({ amount: 5000, currency: 'NGN', customer: { email: 'b@example.com' } }),
    });

    const text = lines.join('');
    for (const secret of [providerKey.slice(8), 's'.repeat(24), stripeHook, endpointSecret]) {
      expect(text).not.toContain(secret);
    }
    expect(lines.length).toBeGreaterThan(5); // the capture works: requests were logged
    expect(text).toContain(m.merchantId); // merchant id is logged once known
    for (const secret of [
      m.password,
      key.key,
      key.key.slice(8, 40),
      m.accessToken,
      m.refreshToken,
      tokens.accessToken,
      tokens.refreshToken,
      tokens.refreshToken.split('.')[1] as string,
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
