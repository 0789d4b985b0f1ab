/**
 * The sample merchant: sample events in events/ carry placeholders instead of
 * credentials (`Bearer {{PAYBRIDGE_TEST_API_KEY}}`), so one sample works against
 * any stack. `npm run invoke` and `npm run sam:env` seed a merchant into the local
 * stack they talk to and put its real credentials in, so an authenticated sample
 * shows its real answer instead of a 401.
 *
 * Uses the table and JWT keys of the environment it runs in (config()), like the
 * handlers do: call it only after that environment points at the target stack.
 */
import { randomBytes } from 'node:crypto';
import type { RequestMeta } from '#core/actor';
import { createApiKey, login, register } from '#core/identity';
import { identity } from '#app/identity';
import { setRole } from '#store/identity';

/** The placeholders sample events may carry, and what each becomes. */
export const placeholders = {
  apiKey: '{{PAYBRIDGE_TEST_API_KEY}}',
  accessToken: '{{PAYBRIDGE_ACCESS_TOKEN}}',
  refreshToken: '{{PAYBRIDGE_REFRESH_TOKEN}}',
  email: '{{PAYBRIDGE_SAMPLE_EMAIL}}',
  password: '{{PAYBRIDGE_SAMPLE_PASSWORD}}',
} as const;

export type SampleCredentials = Record<keyof typeof placeholders, string> & {
  readonly merchantId: string;
};

const meta: RequestMeta = { ip: '127.0.0.1', userAgent: 'paybridge-seed', requestId: 'seed' };

/**
 * Registers a fresh merchant whose owner is an admin (so the admin samples answer too),
 * signs in twice — one session for the access token, another for the refresh token, so
 * the logout sample does not revoke what the refresh sample presents — and creates a
 * test-mode API key. A new merchant each time: nothing to clean up in a throw-away stack.
 */
export async function seedSampleMerchant(): Promise<SampleCredentials> {
  const email = `samples-${randomBytes(6).toString('hex')}@example.com`;
  const password = randomBytes(18).toString('base64url');
  const account = await register(identity, { email, password, businessName: 'Sample Shop' }, meta);
  await setRole(email, 'admin');
  const dashboard = await login(identity, { email, password }, meta);
  const refreshable = await login(identity, { email, password }, meta);
  const actor = {
    kind: 'user',
    merchantId: account.merchant.id,
    userId: account.user.id,
    email,
    role: 'admin',
    sessionId: 'seed',
    mode: 'test',
  } as const;
  const key = await createApiKey(
    identity,
    actor,
    { name: 'sample events', mode: 'test', scope: 'full' },
    meta,
  );
  return {
    merchantId: account.merchant.id,
    apiKey: key.key,
    accessToken: dashboard.accessToken,
    refreshToken: refreshable.refreshToken,
    email,
    password,
  };
}

/** Credentials named by environment variables (a deployed stack: nothing is seeded there). */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<SampleCredentials> {
  const out: Partial<Record<keyof typeof placeholders, string>> = {};
  for (const [field, placeholder] of Object.entries(placeholders) as [keyof typeof placeholders, string][]) {
    const value = env[placeholder.slice(2, -2)]; // {{NAME}} → $NAME
    if (value) out[field] = value;
  }
  return out;
}

/**
 * The event with every placeholder replaced by its credential, in every string of
 * it (headers and the JSON `body` string alike). Placeholders without a credential
 * are left as they are, so the function answers 401 and says why.
 */
export function fillPlaceholders<T>(event: T, credentials: Partial<SampleCredentials>): T {
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') {
      let out = value;
      for (const [field, placeholder] of Object.entries(placeholders) as [
        keyof typeof placeholders,
        string,
      ][]) {
        const credential = credentials[field];
        if (credential !== undefined) out = out.split(placeholder).join(credential);
      }
      return out;
    }
    if (Array.isArray(value)) return value.map(fill);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]));
    }
    return value;
  };
  return fill(event) as T;
}

/** The placeholders a text still carries (to say which credentials are missing). */
export function placeholdersIn(text: string): string[] {
  return Object.values(placeholders).filter((placeholder) => text.includes(placeholder));
}
