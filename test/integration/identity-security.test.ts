import { randomBytes, scryptSync } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { dynamoClient } from '#runtime/clients';
import { apiKeyCached, authenticate } from '#edge/auth';
import { keys } from '#store/keys';
import { setRole, setStatus } from '#store/identity';
import { tableName } from '#store/table-name';
import { useApi } from '#test/http';
import { bearer, createKey, json, registerMerchant, type TestMerchant } from '#test/merchants';

/**
 * The identity findings of SECURITY.md, one `describe` per finding: each test
 * failed on the code before its fix.
 */
const api = useApi();
type ErrorBody = { error: { code: string } };
type Tokens = { accessToken: string; refreshToken: string; expiresIn: number };

const signIn = async (m: TestMerchant): Promise<Tokens> => {
  const res = await api.request('/v1/auth/login', json({ email: m.email, password: m.password }));
  expect(res.status).toBe(200);
  return (await res.json()) as Tokens;
};
const refresh = (refreshToken: string) => api.request('/v1/auth/refresh', json({ refreshToken }));
const getItem = async (key: { pk: string; sk: string }) =>
  (await dynamoClient().send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true })))
    .Item;
const kindsOf = async (accessToken: string): Promise<string[]> => {
  const res = await api.request('/v1/security-events?limit=100', bearer(accessToken));
  return ((await res.json()) as { data: { kind: string }[] }).data.map((e) => e.kind);
};
const familyOf = (refreshToken: string) => /^rt_([^.]+)\./.exec(refreshToken)?.[1] as string;

describe('finding 2: revoking admin revokes it', () => {
  it('refuses the admin’s access token on admin routes at once, and ends their sessions at refresh', async () => {
    const m = await registerMerchant(api.request, 'Ops');
    expect(await setRole(m.email, 'admin')).toBe(true);
    const admin = await signIn(m);
    expect((await api.request('/v1/admin/merchants', bearer(admin.accessToken))).status).toBe(200);

    expect(await setRole(m.email, 'owner')).toBe(true);
    // The same, unexpired access token: no longer an admin.
    const after = await api.request('/v1/admin/merchants', bearer(admin.accessToken));
    expect(after.status).toBe(403);
    // Refresh re-reads the login: the family is dead, it never re-mints the admin role.
    expect((await refresh(admin.refreshToken)).status).toBe(401);
    // A new sign-in is an owner.
    const owner = await signIn(m);
    expect((await api.request('/v1/admin/merchants', bearer(owner.accessToken))).status).toBe(403);
    expect(await kindsOf(owner.accessToken)).toContain('role_changed');
  });

  it('ends a suspended user’s sessions and refuses their sign-in', async () => {
    const m = await registerMerchant(api.request);
    expect(await setStatus(m.email, 'suspended')).toBe(true);
    expect((await refresh(m.refreshToken)).status).toBe(401);
    const login = await api.request('/v1/auth/login', json({ email: m.email, password: m.password }));
    expect(login.status).toBe(403);
    expect(((await login.json()) as ErrorBody).error.code).toBe('account_suspended');
    expect(await setStatus(m.email, 'active')).toBe(true);
    await signIn(m);
  });

  it('gives refresh families an absolute lifetime that refresh never extends', async () => {
    const m = await registerMerchant(api.request);
    const now = Math.floor(Date.now() / 1000);
    const key = keys.session(familyOf(m.refreshToken));
    // A family near its absolute end: a refresh may not slide its expiry past that end.
    await dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key,
        UpdateExpression: 'SET absoluteExpiresAt = :abs',
        ExpressionAttributeValues: { ':abs': now + 120 },
      }),
    );
    const res = await refresh(m.refreshToken);
    expect(res.status).toBe(200);
    const item = await getItem(key);
    expect(Number(item?.expiresAt)).toBeLessThanOrEqual(now + 120);
    // Past its absolute end, a family is dead however recently it was used.
    await dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key,
        UpdateExpression: 'SET absoluteExpiresAt = :abs, expiresAt = :idle',
        ExpressionAttributeValues: { ':abs': now - 1, ':idle': now + 3600 },
      }),
    );
    expect((await refresh(((await res.json()) as Tokens).refreshToken)).status).toBe(401);
  });
});

describe('finding 3: the login lockout is atomic', () => {
  it('checks at most five passwords when 24 wrong ones and the right one arrive at once', async () => {
    const m = await registerMerchant(api.request);
    const attempts = [...Array.from({ length: 24 }, (_, i) => `wrong password ${i}`), m.password].map(
      (password) => api.request('/v1/auth/login', json({ email: m.email, password })),
    );
    const statuses = (await Promise.all(attempts)).map((r) => r.status);
    // 401 (wrong, checked) and 200 (right, checked): the hash ran. 429: refused before it.
    const checked = statuses.filter((s) => s === 401 || s === 200).length;
    const lockedOut = statuses.filter((s) => s === 429).length;
    expect(checked + lockedOut).toBe(25);
    expect(checked).toBeLessThanOrEqual(5);
  });

  it('refuses the right password once five wrong ones locked the login, even when they came at once', async () => {
    const m = await registerMerchant(api.request);
    const wrong = Array.from({ length: 20 }, (_, i) =>
      api.request('/v1/auth/login', json({ email: m.email, password: `wrong password ${i}` })),
    );
    const statuses = (await Promise.all(wrong)).map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(4);
    const right = await api.request('/v1/auth/login', json({ email: m.email, password: m.password }));
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('finding 4: API keys have scopes', () => {
  it('makes `server` keys by default, shows the scope, and gives `full` only when asked', async () => {
    const m = await registerMerchant(api.request);
    const res = await api.request(
      '/v1/api-keys',
      json({ name: 'checkout', mode: 'test' }, { authorization: `Bearer ${m.accessToken}` }),
    );
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ scope: 'server' });
    const full = await api.request(
      '/v1/api-keys',
      json({ name: 'ops', mode: 'test', scope: 'full' }, { authorization: `Bearer ${m.accessToken}` }),
    );
    expect(await full.json()).toMatchObject({ scope: 'full' });
    const list = await api.request('/v1/api-keys', bearer(m.accessToken));
    const scopes = ((await list.json()) as { data: { scope: string }[] }).data.map((k) => k.scope);
    expect(scopes.sort()).toEqual(['full', 'server']);
    const bad = await api.request(
      '/v1/api-keys',
      json({ name: 'x', mode: 'test', scope: 'root' }, { authorization: `Bearer ${m.accessToken}` }),
    );
    expect(bad.status).toBe(400);
  });

  it('lets a `server` key take payments and read, but not touch provider credentials or webhook endpoints', async () => {
    const m = await registerMerchant(api.request);
    const { key } = await createKey(api.request, m, 'test');
    const send = (method: string, path: string, body?: unknown) =>
      api.request(path, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'idempotency-key': `k-${Math.random()}`,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    // Set up with the dashboard: one provider and one endpoint.
    const dashboard = (method: string, path: string, body: unknown) =>
      api.request(path, {
        method,
        headers: { authorization: `Bearer ${m.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(
      (await dashboard('PUT', '/v1/providers/paystack', { mode: 'test', secretKey: 'sk_test_merchant0wn' }))
        .status,
    ).toBe(200);
    const endpoint = (await (
      await dashboard('POST', '/v1/webhook-endpoints', { url: 'https://93.184.216.34/hook', events: ['*'] })
    ).json()) as { id: string };

    const refused = [
      await send('PUT', '/v1/providers/paystack', { mode: 'test', secretKey: 'sk_test_attacker000' }),
      await send('DELETE', '/v1/providers/paystack?mode=test'),
      await send('POST', '/v1/webhook-endpoints', { url: 'https://93.184.216.34/evil', events: ['*'] }),
      await send('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { url: 'https://93.184.216.34/evil' }),
      await send('DELETE', `/v1/webhook-endpoints/${endpoint.id}`),
      await send('POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`),
    ];
    for (const res of refused) {
      expect(res.status).toBe(403);
      expect(((await res.json()) as ErrorBody).error.code).toBe('insufficient_scope');
    }
    // Nothing changed.
    const providers = await send('GET', '/v1/providers');
    expect(providers.status).toBe(200);
    expect(JSON.stringify(await providers.json())).toContain('"secretKeyLast4":"t0wn"');
    const endpoints = await send('GET', '/v1/webhook-endpoints');
    expect(JSON.stringify(await endpoints.json())).toContain('93.184.216.34/hook');
    // What a server key is for still works: a payment (the provider is unreachable here: 502) and reads.
    const payment = await send('POST', '/v1/payments', {
      amount: 5000,
      currency: 'NGN',
      customer: { email: 'a@b.co' },
    });
    expect([422, 502]).toContain(payment.status);
    expect((await send('GET', '/v1/payments')).status).toBe(200);
    expect((await send('GET', '/v1/me')).status).toBe(200);
  });

  it('keeps keys made before scopes working as `full`, and says so', async () => {
    const m = await registerMerchant(api.request);
    const created = await createKey(api.request, m, 'test');
    // What a key made before this change looks like: no scope on either item.
    const lookup = await dynamoClient().send(
      new GetCommand({ TableName: tableName(), Key: keys.apiKey(m.merchantId, created.id) }),
    );
    for (const key of [keys.apiKey(m.merchantId, created.id), keys.apiKeyByHash(String(lookup.Item?.hash))]) {
      await dynamoClient().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: key,
          UpdateExpression: 'REMOVE #scope',
          ExpressionAttributeNames: { '#scope': 'scope' },
        }),
      );
    }
    const list = await api.request('/v1/api-keys', bearer(m.accessToken));
    expect(((await list.json()) as { data: { scope: string }[] }).data[0]?.scope).toBe('full');
    const res = await api.request('/v1/providers/paystack', {
      method: 'PUT',
      headers: { authorization: `Bearer ${created.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'test', secretKey: 'sk_test_legacy0000' }),
    });
    expect(res.status).toBe(200);
  });

  it('records every change to credentials and endpoints as a security event the owner sees', async () => {
    const m = await registerMerchant(api.request);
    const { key, id: keyId } = await createKey(api.request, m, 'test', 'full');
    const call = (method: string, path: string, body?: unknown) =>
      api.request(path, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    expect(
      (await call('PUT', '/v1/providers/paystack', { mode: 'test', secretKey: 'sk_test_0123456789ab' }))
        .status,
    ).toBe(200);
    const created = await call('POST', '/v1/webhook-endpoints', {
      url: 'https://93.184.216.34/hook',
      events: ['*'],
    });
    const { id } = (await created.json()) as { id: string };
    expect(
      (await call('PATCH', `/v1/webhook-endpoints/${id}`, { url: 'https://93.184.216.34/moved' })).status,
    ).toBe(200);
    expect((await call('POST', `/v1/webhook-endpoints/${id}/rotate-secret`)).status).toBe(200);
    expect((await call('DELETE', `/v1/webhook-endpoints/${id}`)).status).toBe(204);
    expect((await call('DELETE', '/v1/providers/paystack?mode=test')).status).toBe(204);

    const res = await api.request('/v1/security-events?limit=100', bearer(m.accessToken));
    const events = ((await res.json()) as { data: { kind: string; detail: Record<string, string> }[] }).data;
    const kinds = events.map((e) => e.kind);
    for (const kind of [
      'api_key_created',
      'provider_credentials_changed',
      'webhook_endpoint_created',
      'webhook_endpoint_changed',
      'webhook_secret_rotated',
      'webhook_endpoint_deleted',
      'provider_credentials_removed',
    ]) {
      expect(kinds).toContain(kind);
    }
    const moved = events.find((e) => e.kind === 'webhook_endpoint_changed');
    expect(moved?.detail).toMatchObject({
      byApiKey: keyId,
      url: 'https://93.184.216.34/moved',
      previousUrl: 'https://93.184.216.34/hook',
    });
    expect(events.find((e) => e.kind === 'provider_credentials_changed')?.detail).toMatchObject({
      byApiKey: keyId,
      provider: 'paystack',
      secretKeyLast4: '89ab',
    });
  });
});

describe('low: access tokens, sign out everywhere, concurrent refresh', () => {
  it('mints five-minute access tokens', async () => {
    const m = await registerMerchant(api.request);
    const tokens = await signIn(m);
    expect(tokens.expiresIn).toBe(300);
    const claims = JSON.parse(
      Buffer.from(tokens.accessToken.split('.')[1] as string, 'base64url').toString(),
    ) as { iat: number; exp: number };
    expect(claims.exp - claims.iat).toBe(300);
  });

  it('signs out everywhere: every session of the user stops refreshing', async () => {
    const m = await registerMerchant(api.request);
    const other = await signIn(m);
    const out = await api.request('/v1/auth/logout-everywhere', { method: 'POST', ...bearer(m.accessToken) });
    expect(out.status).toBe(204);
    expect((await refresh(m.refreshToken)).status).toBe(401);
    expect((await refresh(other.refreshToken)).status).toBe(401);
    const fresh = await signIn(m);
    expect(await kindsOf(fresh.accessToken)).toContain('sessions_revoked');
    expect((await refresh(fresh.refreshToken)).status).toBe(200);
  });

  it('changes the password, ending every session; a wrong current password counts toward the lockout', async () => {
    const m = await registerMerchant(api.request);
    const other = await signIn(m);
    const change = (currentPassword: string, newPassword: string) =>
      api.request(
        '/v1/auth/password',
        json({ currentPassword, newPassword }, { authorization: `Bearer ${m.accessToken}` }),
      );
    const weak = await change(m.password, 'short');
    expect(weak.status).toBe(422);
    const wrong = await change('not the password at all', 'a brand new passphrase');
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as ErrorBody).error.code).toBe('wrong_password');
    expect((await change(m.password, 'a brand new passphrase')).status).toBe(204);
    for (const token of [m.refreshToken, other.refreshToken]) expect((await refresh(token)).status).toBe(401);
    const old = await api.request('/v1/auth/login', json({ email: m.email, password: m.password }));
    expect(old.status).toBe(401);
    const fresh = await signIn({ ...m, password: 'a brand new passphrase' });
    const kinds = await kindsOf(fresh.accessToken);
    expect(kinds).toContain('password_changed');
    // Two failures so far (the wrong current password and the old one): three more lock the login.
    expect(kinds.filter((k) => k === 'login_failed')).toHaveLength(2);
  });

  it('answers two refreshes with one token (two tabs) with the same new token, and keeps the family', async () => {
    const m = await registerMerchant(api.request);
    const [a, b] = await Promise.all([refresh(m.refreshToken), refresh(m.refreshToken)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const [ta, tb] = (await Promise.all([a.json(), b.json()])) as Tokens[];
    expect(ta?.refreshToken).toBe(tb?.refreshToken);
    // A moment later, the previous token once more: still the grace; the family lives on.
    expect((await refresh(m.refreshToken)).status).toBe(200);
    const next = await refresh(ta?.refreshToken as string);
    expect(next.status).toBe(200);
    // Only the immediately previous secret has the grace: the first one is now a reuse.
    expect((await refresh(m.refreshToken)).status).toBe(401);
    expect((await refresh(((await next.json()) as Tokens).refreshToken)).status).toBe(401);
  });
});

describe('low: the API-key cache', () => {
  const event = (token: string) =>
    ({
      headers: { authorization: `Bearer ${token}` },
      requestContext: { http: { sourceIp: '127.0.0.1' } },
    }) as unknown as APIGatewayProxyEventV2;

  it('keeps a merchant’s key cached through a flood of made-up keys', async () => {
    const m = await registerMerchant(api.request);
    const { key } = await createKey(api.request, m, 'test');
    await authenticate('apiKeyOrDashboard', event(key));
    expect(apiKeyCached(key)).toBe(true);
    const bogus = Array.from({ length: 1100 }, () => `sk_test_${randomBytes(32).toString('base64url')}`);
    for (let i = 0; i < bogus.length; i += 100) {
      await Promise.all(
        bogus
          .slice(i, i + 100)
          .map((b) => authenticate('apiKeyOrDashboard', event(b)).catch(() => undefined)),
      );
    }
    expect(apiKeyCached(key)).toBe(true);
  });
});

describe('low: password hashing', () => {
  it('hashes new passwords with Argon2id at OWASP’s parameters', async () => {
    const m = await registerMerchant(api.request);
    const login = await getItem(keys.login(m.email));
    expect(String(login?.passwordHash)).toMatch(/^argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('re-hashes a legacy scrypt hash with Argon2id at the next sign-in', async () => {
    const m = await registerMerchant(api.request);
    const salt = randomBytes(16);
    const hash = scryptSync(m.password.normalize('NFKC'), salt, 32, { N: 2 ** 14, r: 8, p: 1 });
    const legacy = ['scrypt', 2 ** 14, 8, 1, salt.toString('base64'), hash.toString('base64')].join('$');
    await dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.login(m.email),
        UpdateExpression: 'SET passwordHash = :h',
        ExpressionAttributeValues: { ':h': legacy },
      }),
    );
    await signIn(m);
    const login = await getItem(keys.login(m.email));
    expect(String(login?.passwordHash)).toMatch(/^argon2id\$/);
    await signIn(m);
  });
});
