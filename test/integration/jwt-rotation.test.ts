import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { importJWK, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateJwtKeys, publicJwkSet } from '#local/stack';
import { useApi } from '#test/http';
import { bearer, json, registerMerchant } from '#test/merchants';

/**
 * README's key rotation, end to end, the way the cloud reads keys: two secrets
 * (the private signing set, the public verification set) served by a stand-in
 * for the Parameters and Secrets extension, and one long-lived "container" (this
 * process) that never restarts. Handlers read their configuration at first use,
 * so the environment is set before any request.
 */
delete process.env.JWT_KEYS;
delete process.env.JWT_PUBLIC_KEYS; // the local stack's own sets: this test is the cloud, through the extension
process.env.JWT_KEYS_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:1:secret:signing';
process.env.JWT_PUBLIC_KEYS_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:1:secret:public';
process.env.JWT_KEYS_TTL_SECONDS = '1';

const secrets: Record<string, string> = {};
/** Which secret ids the functions read, so the test can tell signers from verifiers. */
const reads: string[] = [];
const extension = createServer((req, res) => {
  const id = new URL(req.url ?? '/', 'http://x').searchParams.get('secretId') ?? '';
  reads.push(id);
  const value = Object.entries(secrets).find(([arn]) => arn === id)?.[1];
  if (value === undefined) {
    res.writeHead(400).end('{"message":"not found"}');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ SecretString: value }));
});

const api = useApi();
const signingArn = process.env.JWT_KEYS_SECRET_ARN;
const publicArn = process.env.JWT_PUBLIC_KEYS_SECRET_ARN;
const put = (signing: string) => {
  secrets[signingArn] = signing;
  secrets[publicArn] = publicJwkSet(signing);
};
const keysOf = (set: string) => (JSON.parse(set) as { keys: (JWK & { kid: string })[] }).keys;
const kidOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()) as { kid: string }).kid;
const ttl = () => new Promise((r) => setTimeout(r, 1100));

beforeAll(async () => {
  await new Promise<void>((resolve) => extension.listen(0, '127.0.0.1', resolve));
  process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = String((extension.address() as AddressInfo).port);
});
afterAll(() => new Promise<void>((resolve) => extension.close(() => resolve())));

describe('JWT key rotation on a warm container', () => {
  it('verifies tokens of a prepended key at once, signs with it after the TTL, and drops the old key', async () => {
    const a = generateJwtKeys();
    const [keyA] = keysOf(a);
    put(a);
    const m = await registerMerchant(api.request);
    expect(kidOf(m.accessToken)).toBe(keyA?.kid);
    expect((await api.request('/v1/me', bearer(m.accessToken))).status).toBe(200);
    // Verifiers read the public set only; only sign-up, sign-in and refresh read the private one.
    expect(reads).toContain(publicArn);
    expect(secrets[publicArn]).not.toContain('"d"');

    // Rotate: prepend B (README: `new-jwt-keys current.json`), public set first.
    const b = JSON.stringify({ keys: [...keysOf(generateJwtKeys()), ...keysOf(a)] });
    const keyB = keysOf(b)[0] as JWK & { kid: string };
    put(b);
    // A token another (already reloaded) container signed with B verifies here at once: unknown kid → reload.
    const byB = await new SignJWT({ mer: m.merchantId, email: m.email, role: 'owner', sid: 'ses_x' })
      .setProtectedHeader({ alg: 'EdDSA', kid: keyB.kid })
      .setIssuer('paybridge')
      .setAudience('paybridge-dashboard')
      .setSubject(m.userId)
      .setJti('aud_rotation')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(await importJWK(keyB, 'EdDSA'));
    expect((await api.request('/v1/me', bearer(byB))).status).toBe(200);
    // Tokens signed with A still verify during the overlap.
    expect((await api.request('/v1/me', bearer(m.accessToken))).status).toBe(200);

    // After the TTL this container signs with B.
    await ttl();
    const signedIn = await api.request('/v1/auth/login', json({ email: m.email, password: m.password }));
    const tokens = (await signedIn.json()) as { accessToken: string; refreshToken: string };
    expect(kidOf(tokens.accessToken)).toBe(keyB.kid);

    // Drop A: after the TTL, A's tokens are refused, and nothing is signed with A any more.
    put(JSON.stringify({ keys: [keyB] }));
    await ttl();
    expect((await api.request('/v1/me', bearer(m.accessToken))).status).toBe(401);
    expect((await api.request('/v1/me', bearer(tokens.accessToken))).status).toBe(200);
    const refreshed = await api.request('/v1/auth/refresh', json({ refreshToken: tokens.refreshToken }));
    expect(kidOf(((await refreshed.json()) as { accessToken: string }).accessToken)).toBe(keyB.kid);
  });

  it('keeps serving the last good key set when a reload fails', async () => {
    const m = await registerMerchant(api.request);
    const saved = { ...secrets };
    delete secrets[signingArn];
    delete secrets[publicArn];
    await ttl();
    expect((await api.request('/v1/me', bearer(m.accessToken))).status).toBe(200);
    Object.assign(secrets, saved);
  });
});
