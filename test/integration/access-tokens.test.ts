import { generateKeyPairSync } from 'node:crypto';
import { importJWK, type JWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { setRole } from '#store/identity';
import { useApi } from '#test/http';
import { bearer, json, registerMerchant } from '#test/merchants';

const api = useApi();
const keys = (JSON.parse(process.env.JWT_KEYS ?? '{}') as { keys: (JWK & { kid: string })[] }).keys;
const signing = keys[0] as JWK & { kid: string };

async function token(
  claims: Record<string, unknown>,
  options: { kid?: string; key?: JWK; iat?: number; exp?: number; aud?: string; iss?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const key = await importJWK(options.key ?? signing, 'EdDSA');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: options.kid ?? signing.kid })
    .setIssuer(options.iss ?? 'paybridge')
    .setAudience(options.aud ?? 'paybridge-dashboard')
    .setSubject(String(claims.sub ?? 'usr_x'))
    .setJti('aud_test')
    .setIssuedAt(options.iat ?? now)
    .setExpirationTime(options.exp ?? now + 600)
    .sign(key);
}

describe('dashboard access tokens', () => {
  it('accepts a token we signed, and rejects expired, forged, alg:none, wrong-audience and wrong-issuer ones', async () => {
    const m = await registerMerchant(api.request);
    const claims = { sub: m.userId, mer: m.merchantId, email: m.email, role: 'owner', sid: 'ses_x' };
    expect((await api.request('/v1/me', bearer(await token(claims)))).status).toBe(200);

    const now = Math.floor(Date.now() / 1000);
    const expired = await token(claims, { iat: now - 3600, exp: now - 1800 });
    const { privateKey } = generateKeyPairSync('ed25519');
    const forged = await token(claims, { key: privateKey.export({ format: 'jwk' }) });
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: signing.kid })).toString(
      'base64url',
    );
    const payload = Buffer.from(
      JSON.stringify({
        ...claims,
        iss: 'paybridge',
        aud: 'paybridge-dashboard',
        iat: now,
        exp: now + 600,
        jti: 'j',
      }),
    ).toString('base64url');
    const none = `${header}.${payload}.`;
    const wrongAud = await token(claims, { aud: 'someone-else' });
    const wrongIss = await token(claims, { iss: 'evil' });
    const unknownKid = await token(claims, { kid: 'nope' });

    for (const bad of [expired, forged, none, wrongAud, wrongIss, unknownKid, 'not.a.jwt']) {
      const res = await api.request('/v1/me', bearer(bad));
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
    }
  });

  it('takes the mode from PayBridge-Mode and refuses anything but test or live', async () => {
    const m = await registerMerchant(api.request);
    const live = await api.request('/v1/me', bearer(m.accessToken, { 'paybridge-mode': 'live' }));
    expect(await live.json()).toMatchObject({ mode: 'live' });
    const bad = await api.request('/v1/me', bearer(m.accessToken, { 'paybridge-mode': 'prod' }));
    expect(bad.status).toBe(400);
  });
});

describe('admin routes', () => {
  it('are refused to owners (403) and served to a user made admin by the operator command', async () => {
    const owner = await registerMerchant(api.request);
    for (const path of ['/v1/admin/merchants', '/v1/admin/audit-logs']) {
      const res = await api.request(path, bearer(owner.accessToken));
      expect(res.status).toBe(403);
    }

    const admin = await registerMerchant(api.request, 'Ops');
    expect(await setRole(admin.email, 'admin')).toBe(true);
    // A role change takes effect at the next sign-in.
    const login = await api.request('/v1/auth/login', json({ email: admin.email, password: admin.password }));
    const { accessToken } = (await login.json()) as { accessToken: string };

    const merchants = await api.request('/v1/admin/merchants?limit=100', bearer(accessToken));
    expect(merchants.status).toBe(200);
    const ids = ((await merchants.json()) as { data: { id: string }[] }).data.map((x) => x.id);
    expect(ids).toContain(owner.merchantId);

    const audit = await api.request('/v1/admin/audit-logs?limit=100', bearer(accessToken));
    expect(audit.status).toBe(200);
    const merchantsSeen = ((await audit.json()) as { data: { merchantId: string }[] }).data.map(
      (e) => e.merchantId,
    );
    expect(merchantsSeen).toContain(owner.merchantId);
  });

  it('cannot be reached by self-registration: register takes no role', async () => {
    const res = await api.request(
      '/v1/auth/register',
      json({ email: 'sneaky@example.com', password: 'a long passphrase!', businessName: 'S', role: 'admin' }),
    );
    expect(res.status).toBe(400);
  });
});
