import { describe, expect, it } from 'vitest';
import { useApi } from '#test/http';
import { bearer, json, registerMerchant, type TestMerchant } from '#test/merchants';

/**
 * The dashboard's refresh cookie (`PayBridge-Refresh-Cookie: 1`): sign-in and refresh set the refresh
 * token as an `HttpOnly; Secure; SameSite=Strict` cookie scoped to the refresh path and leave it out of
 * the body; a cookie refresh needs the header and this origin; sign-out removes the cookie. The JSON
 * refresh token of API users is unchanged (identity.test.ts).
 */
const api = useApi();

interface ErrorBody {
  error: { type: string; code: string; message: string; param?: string; requestId: string };
}

/** What the dashboard sends from its own origin. */
const sameOrigin = (extra: Record<string, string> = {}) => ({
  'paybridge-refresh-cookie': '1',
  origin: new URL(api.url()).origin,
  ...extra,
});

/** The one Set-Cookie of an answer, split into its value and attributes. */
function setCookie(res: Response) {
  const all = res.headers.getSetCookie();
  expect(all).toHaveLength(1);
  const [pair = '', ...attributes] = (all[0] ?? '').split(';').map((part) => part.trim());
  const at = pair.indexOf('=');
  return {
    name: pair.slice(0, at),
    value: pair.slice(at + 1),
    attributes: attributes.map((a) => a.toLowerCase()),
  };
}

const cookieHeader = (value: string) => ({ cookie: `__Secure-paybridge-refresh=${value}` });

async function cookieSignIn(m: TestMerchant) {
  const res = await api.request(
    '/v1/auth/login',
    json({ email: m.email, password: m.password }, sameOrigin()),
  );
  expect(res.status).toBe(200);
  return { res, body: (await res.json()) as Record<string, unknown>, cookie: setCookie(res) };
}

describe('the dashboard refresh cookie', () => {
  it('sign-in sets it HttpOnly, Secure, SameSite=Strict on the refresh path, and keeps the token out of the body', async () => {
    const m = await registerMerchant(api.request);
    const { body, cookie } = await cookieSignIn(m);
    expect(Object.keys(body)).toEqual(['accessToken', 'tokenType', 'expiresIn']);
    expect(body.accessToken).toMatch(/^eyJ/);
    expect(cookie.name).toBe('__Secure-paybridge-refresh');
    expect(cookie.value).toMatch(/^rt_/);
    expect(cookie.attributes).toEqual(
      expect.arrayContaining([
        'path=/v1/auth/refresh',
        'httponly',
        'secure',
        'samesite=strict',
        `max-age=${7 * 24 * 3600}`,
      ]),
    );
    // Without the opt-in, sign-in is what it always was: both tokens in JSON, no cookie.
    const plain = await api.request('/v1/auth/login', json({ email: m.email, password: m.password }));
    expect(plain.headers.getSetCookie()).toEqual([]);
    expect(await plain.json()).toMatchObject({ refreshToken: expect.stringMatching(/^rt_/) });
  });

  it('refreshes by the cookie and rotates it; the old cookie is then a reuse', async () => {
    const m = await registerMerchant(api.request);
    const { cookie } = await cookieSignIn(m);
    const res = await api.request('/v1/auth/refresh', json({}, sameOrigin(cookieHeader(cookie.value))));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['accessToken', 'tokenType', 'expiresIn']);
    const rotated = setCookie(res);
    expect(rotated.value).toMatch(/^rt_/);
    expect(rotated.value).not.toBe(cookie.value);
    const me = await api.request('/v1/me', bearer(body.accessToken as string));
    expect(me.status).toBe(200);

    // Rotate once more, then present the first cookie: two secrets old, so the family is revoked.
    const again = await api.request('/v1/auth/refresh', json({}, sameOrigin(cookieHeader(rotated.value))));
    expect(again.status).toBe(200);
    const reuse = await api.request('/v1/auth/refresh', json({}, sameOrigin(cookieHeader(cookie.value))));
    expect(reuse.status).toBe(401);
    expect(((await reuse.json()) as ErrorBody).error.type).toBe('authentication');
  });

  it('moves a JSON refresh token (a sign-up’s) into the cookie', async () => {
    const m = await registerMerchant(api.request);
    const res = await api.request('/v1/auth/refresh', json({ refreshToken: m.refreshToken }, sameOrigin()));
    expect(res.status).toBe(200);
    expect(await res.json()).not.toHaveProperty('refreshToken');
    const cookie = setCookie(res);
    const next = await api.request('/v1/auth/refresh', json({}, sameOrigin(cookieHeader(cookie.value))));
    expect(next.status).toBe(200);
  });

  it('refuses a cookie refresh without the header (403, our error shape), and does not rotate the cookie', async () => {
    const m = await registerMerchant(api.request);
    const { cookie } = await cookieSignIn(m);
    const res = await api.request('/v1/auth/refresh', json({}, cookieHeader(cookie.value)));
    expect(res.status).toBe(403);
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toMatchObject({
      type: 'permission',
      code: 'refresh_cookie_header_required',
      param: 'PayBridge-Refresh-Cookie',
      requestId: expect.any(String),
    });
    expect(res.headers.getSetCookie()).toEqual([]);
    // The cookie still works from the dashboard: the refused request changed nothing.
    const ok = await api.request('/v1/auth/refresh', json({}, sameOrigin(cookieHeader(cookie.value))));
    expect(ok.status).toBe(200);
  });

  it('refuses the cookie path from a foreign or missing Origin, or a cross-site fetch (403)', async () => {
    const m = await registerMerchant(api.request);
    const { cookie } = await cookieSignIn(m);
    const attempts: Record<string, string>[] = [
      sameOrigin({ ...cookieHeader(cookie.value), origin: 'https://evil.example' }),
      sameOrigin({ ...cookieHeader(cookie.value), origin: 'null' }),
      { 'paybridge-refresh-cookie': '1', ...cookieHeader(cookie.value) }, // no Origin
      sameOrigin({ ...cookieHeader(cookie.value), 'sec-fetch-site': 'cross-site' }),
      sameOrigin({ ...cookieHeader(cookie.value), 'sec-fetch-site': 'same-site' }),
    ];
    for (const headers of attempts) {
      const res = await api.request('/v1/auth/refresh', json({}, headers));
      expect(res.status, JSON.stringify(headers)).toBe(403);
      const body = (await res.json()) as ErrorBody;
      expect(body.error).toMatchObject({ type: 'permission', code: 'cross_origin_refused', param: 'Origin' });
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    // Nor does a foreign origin get a cookie at sign-in.
    const login = await api.request(
      '/v1/auth/login',
      json({ email: m.email, password: m.password }, sameOrigin({ origin: 'https://evil.example' })),
    );
    expect(login.status).toBe(403);
    expect(login.headers.getSetCookie()).toEqual([]);
    // Behind CloudFront the API sees its own host, not the viewer's: the browser's
    // Sec-Fetch-Site: same-origin vouches for the origin there.
    const proxied = await api.request(
      '/v1/auth/refresh',
      json(
        {},
        sameOrigin({
          ...cookieHeader(cookie.value),
          origin: 'https://d111111abcdef8.cloudfront.net',
          'sec-fetch-site': 'same-origin',
        }),
      ),
    );
    expect(proxied.status).toBe(200);
  });

  it('answers a cookie refresh with no cookie as an expired session (401), and a bad opt-in value as 400', async () => {
    const none = await api.request('/v1/auth/refresh', json({}, sameOrigin()));
    expect(none.status).toBe(401);
    expect(((await none.json()) as ErrorBody).error.code).toBe('invalid_refresh_token');
    const bad = await api.request(
      '/v1/auth/refresh',
      json({}, sameOrigin({ 'paybridge-refresh-cookie': 'yes' })),
    );
    expect(bad.status).toBe(400);
    // A JSON refresh without a token says what is missing, as before.
    const missing = await api.request('/v1/auth/refresh', json({}));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as ErrorBody).error).toMatchObject({
      code: 'missing_field',
      param: 'refreshToken',
    });
  });

  it('logout clears the cookie (same name, path and attributes, Max-Age=0) and ends the session', async () => {
    const m = await registerMerchant(api.request);
    const { body, cookie } = await cookieSignIn(m);
    const out = await api.request('/v1/auth/logout', {
      method: 'POST',
      headers: { authorization: `Bearer ${body.accessToken as string}`, ...sameOrigin() },
    });
    expect(out.status).toBe(204);
    const cleared = setCookie(out);
    expect(cleared).toMatchObject({ name: '__Secure-paybridge-refresh', value: '' });
    expect(cleared.attributes).toEqual(
      expect.arrayContaining(['max-age=0', 'path=/v1/auth/refresh', 'httponly', 'secure', 'samesite=strict']),
    );
    const res = await api.request('/v1/auth/refresh', json({}, sameOrigin(cookieHeader(cookie.value))));
    expect(res.status).toBe(401);
    // An API user's logout is unchanged: no cookie.
    const other = await registerMerchant(api.request);
    const plain = await api.request('/v1/auth/logout', { method: 'POST', ...bearer(other.accessToken) });
    expect(plain.status).toBe(204);
    expect(plain.headers.getSetCookie()).toEqual([]);
  });
});
