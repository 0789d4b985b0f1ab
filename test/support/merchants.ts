import { randomUUID } from 'node:crypto';

export interface TestMerchant {
  email: string;
  password: string;
  merchantId: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
}

type Request = (path: string, init?: RequestInit) => Promise<Response>;

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const bearer = (token: string, extra: Record<string, string> = {}): RequestInit => ({
  headers: { authorization: `Bearer ${token}`, ...extra },
});

/** A unique source IP per call, so the per-IP sign-up limit never couples tests. */
export const freshIp = (): string => `198.51.100.${Math.floor(Math.random() * 250) + 1}`;

/** Registers a merchant through the API and returns its credentials. */
export async function registerMerchant(request: Request, name = 'Test Shop'): Promise<TestMerchant> {
  const email = `owner-${randomUUID()}@example.com`;
  const password = `pw-${randomUUID()}`;
  const res = await request('/v1/auth/register', json({ email, password, businessName: name }));
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as {
    merchant: { id: string };
    user: { id: string };
    accessToken: string;
    refreshToken: string;
  };
  return {
    email,
    password,
    merchantId: body.merchant.id,
    userId: body.user.id,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
  };
}

/**
 * Creates an API key for a merchant and returns its secret and id. `server`
 * scope unless `full` is asked for (tests that configure providers or webhook
 * endpoints with the key ask for it).
 */
export async function createKey(
  request: Request,
  merchant: TestMerchant,
  mode: 'test' | 'live',
  scope?: 'server' | 'full',
): Promise<{ id: string; key: string }> {
  const res = await request(
    '/v1/api-keys',
    json(
      { name: `${mode} key`, mode, ...(scope ? { scope } : {}) },
      { authorization: `Bearer ${merchant.accessToken}` },
    ),
  );
  if (res.status !== 201) throw new Error(`create key failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; key: string };
}

/**
 * A fresh five-minute access token for a merchant's user, signed in-process with
 * the test stack's JWT keys and the login's current session version: what long
 * runs (the fuzz soak) use to outlive their first token without signing in
 * again, which the fuzz may have locked.
 */
export async function mintAccessToken(
  merchant: Pick<TestMerchant, 'email' | 'merchantId' | 'userId' | 'accessToken'>,
  role: 'owner' | 'admin' = 'owner',
): Promise<string> {
  const [{ signAccessToken }, { identityStore }] = await Promise.all([
    import('#platform/jwt'),
    import('#store/identity'),
  ]);
  const login = await identityStore.getLogin(merchant.email);
  const claims = JSON.parse(
    Buffer.from(merchant.accessToken.split('.')[1] as string, 'base64url').toString('utf8'),
  ) as { sid: string };
  return signAccessToken({
    userId: merchant.userId,
    merchantId: merchant.merchantId,
    email: merchant.email,
    role,
    sessionId: claims.sid,
    sessionVersion: login?.sessionVersion ?? 0,
  });
}
