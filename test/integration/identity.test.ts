import { describe, expect, it } from 'vitest';
import { useApi } from '#test/http';
import { bearer, createKey, json, registerMerchant } from '#test/merchants';

const api = useApi();
type ErrorBody = { error: { type: string; code: string; param?: string } };

describe('POST /v1/auth/register', () => {
  it('creates a merchant and its owner, and signs them in', async () => {
    const res = await api.request(
      '/v1/auth/register',
      json({
        email: '  New.Owner@Example.COM ',
        password: 'a long enough passphrase',
        businessName: 'Ada Stores',
      }),
    );
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, Record<string, unknown>>;
    expect(body.merchant).toMatchObject({ id: expect.stringMatching(/^mer_/), businessName: 'Ada Stores' });
    expect(body.user).toMatchObject({
      id: expect.stringMatching(/^usr_/),
      email: 'new.owner@example.com',
      role: 'owner',
    });
    expect(body).toMatchObject({
      accessToken: expect.stringMatching(/^eyJ/),
      refreshToken: expect.stringMatching(/^rt_/),
      expiresIn: 300,
    });
    expect(JSON.stringify(body)).not.toMatch(/passwordHash|scrypt|argon2/);
  });

  it('refuses a second account for the same email, whatever its case (409)', async () => {
    const m = await registerMerchant(api.request);
    const res = await api.request(
      '/v1/auth/register',
      json({ email: m.email.toUpperCase(), password: 'another long passphrase', businessName: 'Copy' }),
    );
    expect(res.status).toBe(409);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ code: 'email_taken', param: 'email' });
  });

  it.each([
    ['short', 'short pw'],
    ['common', 'password1234'],
  ])('refuses a %s password (422)', async (_kind, password) => {
    const res = await api.request(
      '/v1/auth/register',
      json({ email: `weak-${Math.random()}@example.com`, password, businessName: 'Weak' }),
    );
    expect(res.status).toBe(422);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({
      code: 'weak_password',
      param: 'password',
    });
  });

  it('refuses a malformed email and unknown fields (400)', async () => {
    const bad = await api.request(
      '/v1/auth/register',
      json({ email: 'nope', password: 'x'.repeat(12), businessName: 'B' }),
    );
    expect(bad.status).toBe(400);
    const extra = await api.request(
      '/v1/auth/register',
      json({ email: 'a@example.com', password: 'x'.repeat(12), businessName: 'B', role: 'admin' }),
    );
    expect(extra.status).toBe(400);
    expect(((await extra.json()) as ErrorBody).error).toMatchObject({ code: 'unknown_field', param: 'role' });
  });
});

describe('POST /v1/auth/login', () => {
  it('signs in with the right password', async () => {
    const m = await registerMerchant(api.request);
    const res = await api.request('/v1/auth/login', json({ email: m.email, password: m.password }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
    });
  });

  it('answers an unknown email and a wrong password with the same 401', async () => {
    const m = await registerMerchant(api.request);
    const wrong = await api.request(
      '/v1/auth/login',
      json({ email: m.email, password: 'not the password!' }),
    );
    const unknown = await api.request(
      '/v1/auth/login',
      json({ email: `nobody-${Math.random()}@example.com`, password: 'not the password!' }),
    );
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const a = ((await wrong.json()) as ErrorBody).error;
    const b = ((await unknown.json()) as ErrorBody).error;
    expect({ ...a, requestId: '' }).toEqual({ ...b, requestId: '' });
  });

  it('locks the login after 5 failures in 15 minutes (429 + Retry-After) and records it', async () => {
    const m = await registerMerchant(api.request);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(
        (await api.request('/v1/auth/login', json({ email: m.email, password: `wrong ${i} password` })))
          .status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    // Even the right password is refused while locked.
    const locked = await api.request('/v1/auth/login', json({ email: m.email, password: m.password }));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    const events = await api.request('/v1/security-events', bearer(m.accessToken));
    const kinds = ((await events.json()) as { data: { kind: string }[] }).data.map((e) => e.kind);
    expect(kinds).toContain('account_locked');
    expect(kinds.filter((k) => k === 'login_failed')).toHaveLength(4);
  });
});

describe('POST /v1/auth/refresh and /logout', () => {
  it('rotates the refresh token and revokes the whole family when an old one is reused', async () => {
    const m = await registerMerchant(api.request);
    const first = await api.request('/v1/auth/refresh', json({ refreshToken: m.refreshToken }));
    expect(first.status).toBe(200);
    const once = (await first.json()) as { refreshToken: string; accessToken: string };
    expect(once.refreshToken).not.toBe(m.refreshToken);
    // A second rotation: the first token is now two secrets old, past the two-tabs grace
    // that only the immediately previous secret has (identity-security.test.ts).
    const second = await api.request('/v1/auth/refresh', json({ refreshToken: once.refreshToken }));
    expect(second.status).toBe(200);
    const rotated = (await second.json()) as { refreshToken: string; accessToken: string };

    // The old token again: reuse. The family dies, the newest token with it.
    const reuse = await api.request('/v1/auth/refresh', json({ refreshToken: m.refreshToken }));
    expect(reuse.status).toBe(401);
    const newest = await api.request('/v1/auth/refresh', json({ refreshToken: rotated.refreshToken }));
    expect(newest.status).toBe(401);

    const events = await api.request('/v1/security-events', bearer(rotated.accessToken));
    expect(((await events.json()) as { data: { kind: string }[] }).data.map((e) => e.kind)).toContain(
      'refresh_token_reused',
    );
  });

  it('logout revokes the refresh family', async () => {
    const m = await registerMerchant(api.request);
    const out = await api.request('/v1/auth/logout', { method: 'POST', ...bearer(m.accessToken) });
    expect(out.status).toBe(204);
    const res = await api.request('/v1/auth/refresh', json({ refreshToken: m.refreshToken }));
    expect(res.status).toBe(401);
  });

  it('refuses a malformed refresh token with 401', async () => {
    const res = await api.request('/v1/auth/refresh', json({ refreshToken: 'rt_garbage' }));
    expect(res.status).toBe(401);
  });
});

describe('GET and PATCH /v1/me', () => {
  it('shows and updates the merchant, and audits the change', async () => {
    const m = await registerMerchant(api.request);
    const me = await api.request('/v1/me', bearer(m.accessToken));
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      merchant: { id: m.merchantId },
      user: { id: m.userId },
      mode: 'test',
    });

    const patch = await api.request('/v1/me', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${m.accessToken}` },
      body: JSON.stringify({
        businessName: 'Renamed',
        defaultCurrency: 'NGN',
        contactEmail: 'Billing@Example.com',
      }),
    });
    expect(patch.status).toBe(200);
    expect(await patch.json()).toMatchObject({
      merchant: { businessName: 'Renamed', defaultCurrency: 'NGN', contactEmail: 'billing@example.com' },
    });

    const bad = await api.request('/v1/me', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${m.accessToken}` },
      body: JSON.stringify({ defaultCurrency: 'naira' }),
    });
    expect(bad.status).toBe(400);

    const audit = await api.request('/v1/audit-logs', {
      headers: { authorization: `Bearer ${m.accessToken}`, 'user-agent': 'audit-test' },
    });
    const entries = ((await audit.json()) as { data: { action: string; actor: { id: string } }[] }).data;
    expect(entries.map((e) => e.action)).toEqual(['merchant.updated', 'merchant.created']);
    expect(entries[0]).toMatchObject({
      actor: { type: 'user', id: m.userId },
      ip: '127.0.0.1',
      requestId: expect.any(String),
    });
  });
});

describe('API keys', () => {
  it('shows the secret once, stores no secret, lists without secrets, and a revoked key stops working', async () => {
    const m = await registerMerchant(api.request);
    const created = await createKey(api.request, m, 'live');
    expect(created.key).toMatch(/^sk_live_[A-Za-z0-9_-]{43}$/);

    const withKey = await api.request('/v1/me', bearer(created.key));
    expect(withKey.status).toBe(200);
    expect(await withKey.json()).toMatchObject({ merchant: { id: m.merchantId }, user: null, mode: 'live' });

    const list = await api.request('/v1/api-keys', bearer(m.accessToken));
    const listed = (await list.json()) as { data: Record<string, unknown>[]; hasMore: boolean };
    expect(listed.data).toHaveLength(1);
    expect(listed.data[0]).toMatchObject({ id: created.id, mode: 'live', prefix: created.key.slice(0, 12) });
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(JSON.stringify(listed)).not.toMatch(/"hash"/);

    const revoke = await api.request(`/v1/api-keys/${created.id}/revoke`, {
      method: 'POST',
      ...bearer(m.accessToken),
    });
    expect(revoke.status).toBe(200);
    expect(await revoke.json()).toMatchObject({ id: created.id, revokedAt: expect.any(String) });

    // Authentication results are cached for at most 5 s per container.
    const deadline = Date.now() + 7000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await api.request('/v1/me', bearer(created.key))).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(401);
  });

  it('refuses an API key on dashboard-only routes and a made-up key everywhere', async () => {
    const m = await registerMerchant(api.request);
    const { key } = await createKey(api.request, m, 'test');
    expect((await api.request('/v1/api-keys', bearer(key))).status).toBe(401);
    expect((await api.request('/v1/me', bearer(`sk_test_${'A'.repeat(43)}`))).status).toBe(401);
    expect((await api.request('/v1/me')).status).toBe(401);
  });

  it('validates the mode of a new key', async () => {
    const m = await registerMerchant(api.request);
    const res = await api.request(
      '/v1/api-keys',
      json({ name: 'k', mode: 'prod' }, { authorization: `Bearer ${m.accessToken}` }),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.param).toBe('mode');
  });
});
