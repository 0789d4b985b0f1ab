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

/**
 * The token of the newest emailed link of `kind` to `email`, read from the local
 * outbox (the handlers run in this process: functions/runtime/mail.ts).
 */
export async function outboxToken(
  email: string,
  kind: 'verify_email' | 'password_reset' = 'verify_email',
): Promise<string> {
  const { outboxMessages } = await import('#runtime/mail');
  const message = outboxMessages({ to: email, kind }).at(-1);
  const token = message?.link.split('#token=')[1];
  if (!token) throw new Error(`no ${kind} email to ${email} in the local outbox`);
  return token;
}

/** Verifies a merchant's email address through the API, with the link from the local outbox. */
export async function verifyEmail(request: Request, merchant: Pick<TestMerchant, 'email'>): Promise<void> {
  const res = await request('/v1/auth/verify-email', json({ token: await outboxToken(merchant.email) }));
  if (res.status !== 200) throw new Error(`verify-email failed: ${res.status} ${await res.text()}`);
}

/**
 * Registers a merchant through the API and returns its credentials. Its email
 * address is verified (through the emailed link, as a user would) unless
 * `{ verified: false }`: an unverified account works in test mode only.
 */
export async function registerMerchant(
  request: Request,
  name = 'Test Shop',
  options: { verified?: boolean } = {},
): Promise<TestMerchant> {
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
  if (options.verified !== false) await verifyEmail(request, { email });
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
    import('#edge/jwt'),
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
