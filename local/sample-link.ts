/**
 * A payment link to try right after `npm start`: a throw-away test-mode merchant with
 * the Paystack and Flutterwave sandboxes configured (both take NGN, so the page offers
 * a choice), and a link for a fixed amount. Made through the API like any merchant
 * would; `PAYBRIDGE_SAMPLE_LINK=0` skips it.
 */
import { randomBytes } from 'node:crypto';

const hex = () => randomBytes(10).toString('hex');

async function call<T>(url: string, method: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${new URL(url).pathname} → ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export interface SampleLink {
  url: string;
  email: string;
}

export async function createSampleLink(api: string, sandbox: string): Promise<SampleLink> {
  const email = `sample-shop-${hex().slice(0, 8)}@example.com`;
  const account = await call<{ accessToken: string }>(`${api}/v1/auth/register`, 'POST', {
    email,
    password: `sample ${hex()}`,
    businessName: 'Sample Shop',
  });
  const { key } = await call<{ key: string }>(
    `${api}/v1/api-keys`,
    'POST',
    { name: 'sample link', mode: 'test', scope: 'full' },
    account.accessToken,
  );
  const providers = {
    paystack: { secretKey: `sk_test_${hex()}` },
    flutterwave: { secretKey: `FLWSECK_TEST-${hex()}-X`, webhookSecret: `sample-hash-${hex()}` },
  };
  for (const [provider, credentials] of Object.entries(providers)) {
    const config = await call<{ webhookUrl: string }>(
      `${api}/v1/providers/${provider}`,
      'PUT',
      { mode: 'test', ...credentials },
      key,
    );
    // What the merchant pastes into the provider's dashboard: the webhook URL (and secret hash).
    await call(`${sandbox}/_sandbox/${provider}/accounts`, 'PUT', {
      ...credentials,
      webhookUrl: config.webhookUrl,
    });
  }
  const link = await call<{ url: string }>(
    `${api}/v1/payment-links`,
    'POST',
    {
      amount: 450000,
      currency: 'NGN',
      title: 'Jollof rice for two',
      description: 'A sample link: pay it on a sandbox.',
    },
    key,
  );
  return { url: link.url, email };
}
