import { randomBytes } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient } from '#runtime/clients';
import type { ProviderName } from '#core/provider-adapter';
import { keys } from '#store/keys';
import { findWebhookToken, getProviderConfig, listEnabledProviders } from '#store/providers';
import { tableName } from '#store/table-name';
import { useApi } from '#test/http';
import { bearer, createKey, registerMerchant, type TestMerchant } from '#test/merchants';

const api = useApi();
type ErrorBody = { error: { type: string; code: string; message: string; param?: string } };
interface View {
  provider: string;
  mode: string;
  enabled: boolean;
  currencies: string[];
  webhookUrl: string;
  secretKeyLast4: string;
  updatedAt: string;
}

const hex = (n: number) => randomBytes(n).toString('hex');

/** Credentials in each provider's real shape, unique per call. */
function credentials(provider: ProviderName, mode: 'test' | 'live') {
  const t = mode === 'test';
  switch (provider) {
    case 'paystack':
      return { secretKey: `sk_${mode}_${hex(20)}`, publicKey: `pk_${mode}_${hex(20)}` };
    case 'flutterwave':
      return { secretKey: `FLWSECK${t ? '_TEST' : ''}-${hex(16)}-X`, webhookSecret: `flw hash ${hex(8)}` };
    case 'stripe':
      return {
        secretKey: `sk_${mode}_51${hex(30)}`,
        webhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
      };
    case 'chapa':
      return { secretKey: `CHASECK${t ? '_TEST' : ''}-${hex(16)}`, webhookSecret: `chapa-${hex(8)}` };
  }
}

const put = (token: string, provider: string, body: unknown, headers: Record<string, string> = {}) =>
  api.request(`/v1/providers/${provider}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

const list = (token: string, query = '', headers: Record<string, string> = {}) =>
  api.request(`/v1/providers${query}`, bearer(token, headers));

const remove = (token: string, provider: string, query = '') =>
  api.request(`/v1/providers/${provider}${query}`, { method: 'DELETE', ...bearer(token) });

/** Every response body and header, as one string, to search for leaks. */
async function whole(res: Response): Promise<string> {
  return JSON.stringify([...res.headers.entries()]) + (await res.clone().text());
}

const tokenOf = (view: View) => view.webhookUrl.split('/').pop() as string;

async function rawItem(merchantId: string, mode: string, provider: string) {
  const out = await dynamoClient().send(
    new GetCommand({ TableName: tableName(), Key: keys.provider(merchantId, mode, provider) }),
  );
  return out.Item;
}

let m: TestMerchant;
let testKey: string;
let liveKey: string;

beforeAll(async () => {
  m = await registerMerchant(api.request, 'Provider Shop');
  testKey = (await createKey(api.request, m, 'test', 'full')).key;
  liveKey = (await createKey(api.request, m, 'live', 'full')).key;
});

describe('PUT /v1/providers/{provider}', () => {
  it.each(['paystack', 'flutterwave', 'stripe', 'chapa'] as const)(
    'configures %s and answers with the webhook URL and the last 4 of the key only',
    async (provider) => {
      const creds = credentials(provider, 'test');
      const res = await put(m.accessToken, provider, { mode: 'test', ...creds });
      expect(res.status).toBe(200);
      const text = await whole(res);
      const body = (await res.json()) as View;
      expect(Object.keys(body).sort()).toEqual(
        ['currencies', 'enabled', 'mode', 'provider', 'secretKeyLast4', 'updatedAt', 'webhookUrl'].sort(),
      );
      expect(body).toMatchObject({
        provider,
        mode: 'test',
        enabled: true,
        secretKeyLast4: creds.secretKey.slice(-4),
      });
      expect(body.currencies.length).toBeGreaterThan(0);
      expect(body.webhookUrl).toMatch(
        new RegExp(
          `^${api.url().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/hooks/${provider}/[A-Za-z0-9_-]{43}$`,
        ),
      );
      expect(text).not.toContain(creds.secretKey);
      expect(text).not.toContain(creds.secretKey.slice(-8));
      if ('webhookSecret' in creds) expect(text).not.toContain(creds.webhookSecret);

      // The token lookup points back at this merchant, mode and provider.
      expect(await findWebhookToken(tokenOf(body))).toEqual({
        merchantId: m.merchantId,
        mode: 'test',
        provider,
      });
    },
  );

  it('stores no plaintext secret in DynamoDB, and the store opens it again', async () => {
    const creds = credentials('stripe', 'live');
    const res = await put(m.accessToken, 'stripe', { mode: 'live', ...creds });
    expect(res.status).toBe(200);
    const item = await rawItem(m.merchantId, 'live', 'stripe');
    expect(item).toBeDefined();
    const json = JSON.stringify(item);
    expect(json).not.toContain(creds.secretKey);
    expect(json).not.toContain(creds.secretKey.slice(4)); // not even without its prefix
    expect(json).not.toContain(creds.secretKey.slice(-8));
    const webhookSecret = creds.webhookSecret as string;
    expect(json).not.toContain(webhookSecret);
    expect(json).not.toContain(webhookSecret.slice(6, 30));

    const config = await getProviderConfig(m.merchantId, 'live', 'stripe');
    expect(config).toMatchObject({ provider: 'stripe', mode: 'live', enabled: true });
    expect(JSON.stringify(config)).not.toContain(creds.secretKey);
    expect(await config?.credentials()).toEqual({
      secretKey: creds.secretKey,
      webhookSecret: creds.webhookSecret,
    });
  });

  it('keeps the webhook token when the credentials are updated', async () => {
    const first = credentials('paystack', 'live');
    const a = (await (await put(liveKey, 'paystack', first)).json()) as View;
    const second = credentials('paystack', 'live');
    const res = await put(liveKey, 'paystack', { ...second, enabled: false, currencies: ['NGN'] });
    expect(res.status).toBe(200);
    const b = (await res.json()) as View;
    expect(b.webhookUrl).toBe(a.webhookUrl);
    expect(b).toMatchObject({
      enabled: false,
      currencies: ['NGN'],
      secretKeyLast4: second.secretKey.slice(-4),
    });
    expect(b.updatedAt >= a.updatedAt).toBe(true);
    const config = await getProviderConfig(m.merchantId, 'live', 'paystack');
    expect((await config?.credentials())?.secretKey).toBe(second.secretKey);
    // Disabled: not offered to payments.
    expect((await listEnabledProviders(m.merchantId, 'live')).map((c) => c.provider)).not.toContain(
      'paystack',
    );
  });

  it('records an audit entry per change, without secrets', async () => {
    const creds = credentials('chapa', 'live');
    await put(m.accessToken, 'chapa', { mode: 'live', ...creds });
    const res = await api.request('/v1/audit-logs?limit=100', bearer(m.accessToken));
    const text = await res.text();
    const entries = (
      JSON.parse(text) as { data: { action: string; target: { id: string }; mode?: string }[] }
    ).data;
    expect(entries).toContainEqual(
      expect.objectContaining({
        action: 'provider.configured',
        target: { type: 'provider', id: 'chapa' },
        mode: 'live',
      }),
    );
    expect(text).not.toContain(creds.secretKey);
  });

  it.each([
    ['paystack', 'test', 'sk_live_0123456789abcdef0123456789abcdef01234567'],
    ['paystack', 'live', 'sk_test_0123456789abcdef0123456789abcdef01234567'],
    ['flutterwave', 'test', 'FLWSECK-0123456789abcdef0123456789abcdef-X'],
    ['stripe', 'live', 'rk_test_51abcdefghijklmnop'],
    ['chapa', 'test', 'CHASECK-0123456789abcdef'],
  ] as const)('refuses a %s key of the other mode for %s mode (422)', async (provider, mode, secretKey) => {
    const hook = provider === 'paystack' ? {} : { webhookSecret: credentials(provider, mode).webhookSecret };
    const res = await put(m.accessToken, provider, { mode, secretKey, ...hook });
    expect(res.status).toBe(422);
    const text = await whole(res);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({
      code: 'key_mode_mismatch',
      param: 'secretKey',
      message: expect.stringContaining(`${mode} mode`),
    });
    expect(text).not.toContain(secretKey.slice(-8));
  });

  it('accepts a Stripe restricted key', async () => {
    const res = await put(m.accessToken, 'stripe', {
      mode: 'test',
      secretKey: `rk_test_51${hex(20)}`,
      webhookSecret: `whsec_${hex(16)}`,
    });
    expect(res.status).toBe(200);
  });

  it.each([
    [
      'a key of another provider',
      'flutterwave',
      { secretKey: 'sk_test_abc', webhookSecret: 'h' },
      'invalid_secret_key',
    ],
    ['a missing webhook secret', 'stripe', { secretKey: 'sk_test_abc' }, 'webhook_secret_required'],
    [
      'a malformed Stripe webhook secret',
      'stripe',
      { secretKey: 'sk_test_abc', webhookSecret: 'nope' },
      'invalid_webhook_secret',
    ],
    [
      'a webhook secret Paystack does not use',
      'paystack',
      { secretKey: 'sk_test_abc', webhookSecret: 'x' },
      'webhook_secret_not_used',
    ],
    [
      'a secret pasted as the public key',
      'paystack',
      { secretKey: 'sk_test_abc', publicKey: 'sk_test_abd' },
      'invalid_public_key',
    ],
    [
      'a currency the provider cannot charge',
      'chapa',
      { secretKey: 'CHASECK_TEST-abc', webhookSecret: 'h', currencies: ['NGN'] },
      'unsupported_currency',
    ],
  ] as const)('refuses %s (422)', async (_what, provider, body, code) => {
    const res = await put(m.accessToken, provider, { mode: 'test', ...body });
    expect(res.status).toBe(422);
    expect(((await res.json()) as ErrorBody).error.code).toBe(code);
  });

  it('refuses a mode that differs from the API key’s (403 mode_mismatch)', async () => {
    const res = await put(testKey, 'paystack', { mode: 'live', ...credentials('paystack', 'live') });
    expect(res.status).toBe(403);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({
      type: 'permission',
      code: 'mode_mismatch',
    });
  });

  it('takes the mode from the API key when the body names none', async () => {
    const res = await put(testKey, 'chapa', credentials('chapa', 'test'));
    expect(res.status).toBe(200);
    expect(((await res.json()) as View).mode).toBe('test');
  });

  it('requires `mode` from a dashboard user, whatever the PayBridge-Mode header says', async () => {
    const res = await put(m.accessToken, 'paystack', credentials('paystack', 'live'), {
      'paybridge-mode': 'live',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ code: 'missing_field', param: 'mode' });
  });

  it('answers 404 for an unknown provider, and 400 for unknown fields', async () => {
    const unknown = await put(m.accessToken, 'paypal', { mode: 'test', secretKey: 'sk_test_abc' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as ErrorBody).error.code).toBe('provider_not_found');
    const extra = await put(m.accessToken, 'paystack', {
      mode: 'test',
      secretKey: 'sk_test_abc',
      merchantId: 'x',
    });
    expect(extra.status).toBe(400);
  });
});

describe('GET /v1/providers', () => {
  it('lists the caller’s mode only, without secrets', async () => {
    const merchant = await registerMerchant(api.request);
    const { key: test } = await createKey(api.request, merchant, 'test', 'full');
    const { key: live } = await createKey(api.request, merchant, 'live', 'full');
    const secrets: string[] = [];
    for (const provider of ['paystack', 'flutterwave', 'stripe', 'chapa'] as const) {
      const creds = credentials(provider, 'test');
      secrets.push(creds.secretKey, creds.secretKey.slice(-8));
      if ('webhookSecret' in creds) secrets.push(creds.webhookSecret);
      expect((await put(test, provider, creds)).status).toBe(200);
    }
    const liveCreds = credentials('stripe', 'live');
    expect((await put(live, 'stripe', liveCreds)).status).toBe(200);

    const res = await list(test);
    expect(res.status).toBe(200);
    const text = await whole(res);
    const body = (await res.json()) as { data: View[]; hasMore: boolean; nextCursor: null };
    expect(body).toMatchObject({ hasMore: false, nextCursor: null });
    expect(body.data.map((v) => v.provider)).toEqual(['chapa', 'flutterwave', 'paystack', 'stripe']);
    expect(body.data.every((v) => v.mode === 'test')).toBe(true);
    for (const secret of secrets) expect(text).not.toContain(secret);

    // The dashboard picks the mode with ?mode= or the PayBridge-Mode header.
    const liveList = (await (await list(merchant.accessToken, '?mode=live')).json()) as { data: View[] };
    expect(liveList.data.map((v) => v.provider)).toEqual(['stripe']);
    const byHeader = (await (await list(merchant.accessToken, '', { 'paybridge-mode': 'live' })).json()) as {
      data: View[];
    };
    expect(byHeader.data.map((v) => v.provider)).toEqual(['stripe']);
    expect(((await (await list(merchant.accessToken)).json()) as { data: View[] }).data).toHaveLength(4);

    // A test key cannot read live configurations, and asking is a 403.
    const refused = await list(test, '?mode=live');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ErrorBody).error.code).toBe('mode_mismatch');
    const liveByKey = (await (await list(live)).json()) as { data: View[] };
    expect(liveByKey.data.map((v) => v.provider)).toEqual(['stripe']);
  });
});

describe('DELETE /v1/providers/{provider}', () => {
  it('deletes the configuration and its webhook token lookup, audited', async () => {
    const merchant = await registerMerchant(api.request);
    const view = (await (
      await put(merchant.accessToken, 'flutterwave', { mode: 'test', ...credentials('flutterwave', 'test') })
    ).json()) as View;
    const token = tokenOf(view);
    expect(await findWebhookToken(token)).toBeDefined();

    const missingMode = await remove(merchant.accessToken, 'flutterwave');
    expect(missingMode.status).toBe(400);
    const wrongMode = await remove(merchant.accessToken, 'flutterwave', '?mode=live');
    expect(wrongMode.status).toBe(404);

    const res = await remove(merchant.accessToken, 'flutterwave', '?mode=test');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await rawItem(merchant.merchantId, 'test', 'flutterwave')).toBeUndefined();
    const lookup = await dynamoClient().send(
      new GetCommand({ TableName: tableName(), Key: keys.webhookToken(token) }),
    );
    expect(lookup.Item).toBeUndefined();
    expect(await findWebhookToken(token)).toBeUndefined();
    expect(((await (await list(merchant.accessToken)).json()) as { data: View[] }).data).toEqual([]);

    const audit = await dynamoClient().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: {
          ':pk': keys.merchantPartition(merchant.merchantId),
          ':p': keys.auditPrefix,
        },
      }),
    );
    expect((audit.Items ?? []).map((i) => i.action)).toEqual(
      expect.arrayContaining(['provider.configured', 'provider.deleted']),
    );

    expect((await remove(merchant.accessToken, 'flutterwave', '?mode=test')).status).toBe(404);
    // Configured again: a new token, the old URL stays dead.
    const again = (await (
      await put(merchant.accessToken, 'flutterwave', { mode: 'test', ...credentials('flutterwave', 'test') })
    ).json()) as View;
    expect(tokenOf(again)).not.toBe(token);
  });

  it('refuses an API key naming the other mode (403), and uses the key’s mode otherwise', async () => {
    const merchant = await registerMerchant(api.request);
    const { key } = await createKey(api.request, merchant, 'live', 'full');
    expect((await put(key, 'paystack', credentials('paystack', 'live'))).status).toBe(200);
    const refused = await remove(key, 'paystack', '?mode=test');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ErrorBody).error.code).toBe('mode_mismatch');
    expect((await remove(key, 'paystack')).status).toBe(204);
  });
});

describe('tenancy and modes', () => {
  let a: TestMerchant;
  let b: TestMerchant;
  let aView: View;
  let aSecret: string;
  beforeAll(async () => {
    a = await registerMerchant(api.request, 'Tenant A');
    b = await registerMerchant(api.request, 'Tenant B');
    const creds = credentials('paystack', 'live');
    aSecret = creds.secretKey;
    aView = (await (await put(a.accessToken, 'paystack', { mode: 'live', ...creds })).json()) as View;
  });

  it('merchant B sees none of A’s configurations and cannot delete them', async () => {
    const { key: bLive } = await createKey(api.request, b, 'live', 'full');
    for (const credential of [b.accessToken, bLive]) {
      const res = await list(credential, credential === bLive ? '' : '?mode=live');
      const text = await res.text();
      expect(text).not.toContain(tokenOf(aView));
      expect(text).not.toContain(aSecret.slice(-4));
      const del = await remove(credential, 'paystack', '?mode=live');
      expect(del.status).toBe(404);
    }
    const still = await getProviderConfig(a.merchantId, 'live', 'paystack');
    expect(still?.webhookToken).toBe(tokenOf(aView));
  });

  it('merchant B configuring the same provider gets its own token and leaves A’s alone', async () => {
    const res = await put(b.accessToken, 'paystack', { mode: 'live', ...credentials('paystack', 'live') });
    const bView = (await res.json()) as View;
    expect(tokenOf(bView)).not.toBe(tokenOf(aView));
    expect((await getProviderConfig(a.merchantId, 'live', 'paystack'))?.secretKeyLast4).toBe(
      aSecret.slice(-4),
    );
  });

  it('a test key cannot read or delete live configurations', async () => {
    const { key: aTest } = await createKey(api.request, a, 'test', 'full');
    const listed = (await (await list(aTest)).json()) as { data: View[] };
    expect(listed.data.find((v) => v.mode === 'live')).toBeUndefined();
    expect((await list(aTest, '?mode=live')).status).toBe(403);
    expect((await remove(aTest, 'paystack')).status).toBe(404);
    expect((await remove(aTest, 'paystack', '?mode=live')).status).toBe(403);
    expect(await getProviderConfig(a.merchantId, 'live', 'paystack')).toBeDefined();
  });

  it('will not open a sealed secret moved to another merchant’s item', async () => {
    // Copy A's sealed key into B's item: the encryption context names the merchant.
    const aItem = await rawItem(a.merchantId, 'live', 'paystack');
    const bConfig = await getProviderConfig(b.merchantId, 'live', 'paystack');
    expect(aItem && bConfig).toBeTruthy();
    const { TransactWriteCommand } = await import('@aws-sdk/lib-dynamodb');
    await dynamoClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName(),
              Key: keys.provider(b.merchantId, 'live', 'paystack'),
              UpdateExpression: 'SET sealedSecretKey = :s',
              ExpressionAttributeValues: { ':s': aItem?.sealedSecretKey },
            },
          },
        ],
      }),
    );
    const moved = await getProviderConfig(b.merchantId, 'live', 'paystack');
    await expect(moved?.credentials()).rejects.toThrow();
  });
});
