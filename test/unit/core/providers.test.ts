import { describe, expect, it } from 'vitest';
import type { MerchantActor } from '#core/actor';
import type { Unprocessable } from '#core/errors';
import { Conflict, Forbidden, NotFound, ValidationFailed } from '#core/errors';
import type { ProviderName } from '#core/provider-adapter';
import {
  configureProvider,
  isWebhookToken,
  listProviders,
  type ProviderDeps,
  providerView,
  removeProvider,
  validateCredentials,
} from '#core/providers';
import { ManualClock } from '#test/memory/clock';
import { fixtureCurrencies } from '#test/memory/gateway';
import { MemoryProviderStore } from '#test/memory/providers';
import { meta } from '#test/memory/world';

const user = (merchantId = 'mer_A'): MerchantActor => ({
  kind: 'user',
  merchantId,
  userId: `usr_${merchantId}`,
  email: 'owner@shop.example',
  role: 'owner',
  sessionId: 'ses_1',
  mode: 'test',
});
const testKey: MerchantActor = {
  kind: 'apiKey',
  merchantId: 'mer_A',
  mode: 'test',
  keyId: 'key_1',
  scope: 'full',
};

function providersWorld() {
  const clock = new ManualClock();
  const store = new MemoryProviderStore();
  const deps: ProviderDeps = { store, currencies: (p) => fixtureCurrencies[p], now: clock.now };
  return { clock, store, deps };
}

type Keys = { secretKey: string; webhookSecret?: string };
const valid: Record<ProviderName, { test: Keys; live: Keys }> = {
  paystack: { test: { secretKey: 'sk_test_abc123' }, live: { secretKey: 'sk_live_abc123' } },
  flutterwave: {
    test: { secretKey: 'FLWSECK_TEST-abc123-X', webhookSecret: 'my hash' },
    live: { secretKey: 'FLWSECK-abc123-X', webhookSecret: 'my hash' },
  },
  stripe: {
    test: { secretKey: 'rk_test_abc123', webhookSecret: 'whsec_abc123' },
    live: { secretKey: 'sk_live_abc123', webhookSecret: 'whsec_abc123' },
  },
  chapa: {
    test: { secretKey: 'CHASECK_TEST-abc123', webhookSecret: 'chapa hash' },
    live: { secretKey: 'CHASECK-abc123', webhookSecret: 'chapa hash' },
  },
};
const providers = Object.keys(valid) as ProviderName[];

describe('validateCredentials', () => {
  it('accepts each provider’s own key shapes in each mode, with the adapter’s currencies by default', () => {
    for (const provider of providers) {
      for (const mode of ['test', 'live'] as const) {
        const input = valid[provider][mode];
        const out = validateCredentials(provider, mode, input, fixtureCurrencies[provider]);
        expect(out.credentials).toEqual(input);
        expect(out.currencies).toEqual([...fixtureCurrencies[provider]]);
      }
    }
  });

  it('refuses a key of the other mode by name, never echoing it', () => {
    for (const provider of providers) {
      const live = valid[provider].live;
      const error = (() => {
        try {
          validateCredentials(provider, 'test', live, fixtureCurrencies[provider]);
        } catch (e) {
          return e as Unprocessable;
        }
        throw new Error('accepted a live key in test mode');
      })();
      expect(error).toMatchObject({ code: 'key_mode_mismatch', param: 'secretKey' });
      expect(error.message).not.toContain(live.secretKey);
    }
  });

  it('refuses what is no key of the provider, and a secret pasted as a public key', () => {
    expect(() => validateCredentials('paystack', 'test', { secretKey: 'FLWSECK_TEST-abc' }, ['NGN'])).toThrow(
      expect.objectContaining({ code: 'invalid_secret_key' }),
    );
    expect(() =>
      validateCredentials('paystack', 'test', { secretKey: 'sk_test_abc', publicKey: 'sk_test_abc' }, [
        'NGN',
      ]),
    ).toThrow(expect.objectContaining({ code: 'invalid_public_key', param: 'publicKey' }));
  });

  it('wants a webhook secret exactly where the provider signs with one', () => {
    expect(() =>
      validateCredentials('paystack', 'test', { secretKey: 'sk_test_abc', webhookSecret: 'x' }, ['NGN']),
    ).toThrow(expect.objectContaining({ code: 'webhook_secret_not_used' }));
    expect(() => validateCredentials('stripe', 'test', { secretKey: 'sk_test_abc' }, ['USD'])).toThrow(
      expect.objectContaining({ code: 'webhook_secret_required' }),
    );
    expect(() =>
      validateCredentials('stripe', 'test', { secretKey: 'sk_test_abc', webhookSecret: 'not-whsec' }, [
        'USD',
      ]),
    ).toThrow(expect.objectContaining({ code: 'invalid_webhook_secret' }));
    expect(() =>
      validateCredentials('chapa', 'test', { secretKey: 'CHASECK_TEST-abc', webhookSecret: ' padded ' }, [
        'ETB',
      ]),
    ).toThrow(expect.objectContaining({ code: 'invalid_webhook_secret' }));
  });

  it('takes a subset of the adapter’s currencies, refusing others and none', () => {
    const pick = (currencies: string[]) =>
      validateCredentials('paystack', 'test', { secretKey: 'sk_test_abc', currencies }, [
        'NGN',
        'GHS',
        'USD',
      ]);
    expect(pick(['USD', 'NGN', 'USD']).currencies).toEqual(['USD', 'NGN']);
    expect(() => pick(['NGN', 'ETB'])).toThrow(expect.objectContaining({ code: 'unsupported_currency' }));
    expect(() => pick([])).toThrow(ValidationFailed);
  });
});

describe('configureProvider', () => {
  it('creates a configuration with an unguessable webhook token that resolves to it', async () => {
    const w = providersWorld();
    const config = await configureProvider(
      w.deps,
      user(),
      'paystack',
      { mode: 'test', secretKey: 'sk_test_abcd1234' },
      meta,
    );
    expect(config).toMatchObject({
      provider: 'paystack',
      mode: 'test',
      enabled: true,
      secretKeyLast4: '1234',
    });
    expect(isWebhookToken(config.webhookToken)).toBe(true);
    expect(await w.store.findWebhookToken(config.webhookToken)).toEqual({
      merchantId: 'mer_A',
      mode: 'test',
      provider: 'paystack',
    });
    expect(w.store.notices).toEqual([
      expect.objectContaining({ kind: 'provider_credentials_changed', secretKeyLast4: '1234' }),
    ]);
    expect(w.store.audits.map((a) => a.action)).toEqual(['provider.configured']);
  });

  it('keeps the webhook token and creation time when the keys are rotated', async () => {
    const w = providersWorld();
    const first = await configureProvider(
      w.deps,
      user(),
      'paystack',
      { mode: 'test', secretKey: 'sk_test_old1' },
      meta,
    );
    w.clock.advance(60_000);
    const second = await configureProvider(
      w.deps,
      user(),
      'paystack',
      { mode: 'test', secretKey: 'sk_test_new2' },
      meta,
    );
    expect(second).toMatchObject({
      webhookToken: first.webhookToken,
      createdAt: first.createdAt,
      secretKeyLast4: 'new2',
    });
    expect(second.updatedAt).not.toBe(first.updatedAt);
    expect(await w.store.credentials('mer_A', 'test', 'paystack')).toEqual({ secretKey: 'sk_test_new2' });
    expect(w.store.audits.map((a) => a.action)).toEqual(['provider.configured', 'provider.updated']);
  });

  it('disables and re-enables a provider for routing, keeping its webhook URL', async () => {
    const w = providersWorld();
    const on = await configureProvider(
      w.deps,
      user(),
      'stripe',
      { mode: 'test', ...valid.stripe.test },
      meta,
    );
    expect((await w.store.routable('mer_A', 'test')).map((p) => p.provider)).toEqual(['stripe']);
    const off = await configureProvider(
      w.deps,
      user(),
      'stripe',
      { mode: 'test', ...valid.stripe.test, enabled: false },
      meta,
    );
    expect(off.enabled).toBe(false);
    expect(await w.store.routable('mer_A', 'test')).toEqual([]);
    expect(await w.store.findWebhookToken(on.webhookToken)).toBeDefined();
    await configureProvider(w.deps, user(), 'stripe', { mode: 'test', ...valid.stripe.test }, meta);
    expect((await w.store.routable('mer_A', 'test')).map((p) => p.provider)).toEqual(['stripe']);
  });

  it('ends concurrent first configurations with one configuration and one token', async () => {
    const w = providersWorld();
    const all = await Promise.all(
      ['sk_test_a1', 'sk_test_b2', 'sk_test_c3'].map((secretKey) =>
        configureProvider(w.deps, user(), 'paystack', { mode: 'test', secretKey }, meta),
      ),
    );
    expect(new Set(all.map((c) => c.webhookToken)).size).toBe(1);
    expect(await w.store.list('mer_A', 'test')).toHaveLength(1);
  });

  it('gives up with 409 when the configuration keeps changing under it', async () => {
    const w = providersWorld();
    await configureProvider(w.deps, user(), 'paystack', { mode: 'test', secretKey: 'sk_test_a1' }, meta);
    const deps: ProviderDeps = {
      ...w.deps,
      store: {
        ...w.deps.store,
        get: w.store.get.bind(w.store),
        list: w.store.list.bind(w.store),
        remove: w.store.remove.bind(w.store),
        put: async () => false,
      },
    };
    await expect(
      configureProvider(deps, user(), 'paystack', { mode: 'test', secretKey: 'sk_test_b2' }, meta),
    ).rejects.toBeInstanceOf(Conflict);
  });

  it('acts in the API key’s own mode only, and wants a mode from a dashboard user', async () => {
    const w = providersWorld();
    await expect(
      configureProvider(w.deps, testKey, 'paystack', { mode: 'live', secretKey: 'sk_live_a1' }, meta),
    ).rejects.toBeInstanceOf(Forbidden);
    await expect(
      configureProvider(w.deps, user(), 'paystack', { secretKey: 'sk_test_a1' }, meta),
    ).rejects.toMatchObject({ code: 'missing_field', param: 'mode' });
    expect(
      (await configureProvider(w.deps, testKey, 'paystack', { secretKey: 'sk_test_a1' }, meta)).mode,
    ).toBe('test');
    await expect(
      configureProvider(w.deps, user(), 'paypal', { mode: 'test', secretKey: 'x' }, meta),
    ).rejects.toMatchObject({ code: 'provider_not_found', status: 404 });
  });
});

describe('removeProvider and listProviders', () => {
  it('removes a configuration: its webhook URL stops working, and a second removal is a 404', async () => {
    const w = providersWorld();
    const config = await configureProvider(
      w.deps,
      user(),
      'paystack',
      { mode: 'test', secretKey: 'sk_test_a1' },
      meta,
    );
    await removeProvider(w.deps, user(), 'paystack', 'test', meta);
    expect(await w.store.findWebhookToken(config.webhookToken)).toBeUndefined();
    expect(await w.store.credentials('mer_A', 'test', 'paystack')).toBeUndefined();
    await expect(removeProvider(w.deps, user(), 'paystack', 'test', meta)).rejects.toBeInstanceOf(NotFound);
    expect(w.store.notices.map((n) => n.kind)).toEqual([
      'provider_credentials_changed',
      'provider_credentials_removed',
    ]);
  });

  it('lists a merchant’s configurations in one mode only, by name, and shows no secret', async () => {
    const w = providersWorld();
    await configureProvider(w.deps, user(), 'stripe', { mode: 'test', ...valid.stripe.test }, meta);
    await configureProvider(w.deps, user(), 'chapa', { mode: 'test', ...valid.chapa.test }, meta);
    await configureProvider(w.deps, user(), 'paystack', { mode: 'live', secretKey: 'sk_live_a1' }, meta);
    await configureProvider(
      w.deps,
      user('mer_B'),
      'paystack',
      { mode: 'test', secretKey: 'sk_test_b1' },
      meta,
    );
    const list = await listProviders(w.deps, user(), 'test');
    expect(list.map((c) => c.provider)).toEqual(['chapa', 'stripe']);
    const shown = JSON.stringify(list.map((c) => providerView(c, 'https://api.example/')));
    for (const secret of ['rk_test_abc123', 'whsec_abc123', 'CHASECK_TEST-abc123', 'chapa hash'])
      expect(shown).not.toContain(secret);
    expect(shown).toContain('https://api.example/hooks/stripe/');
    expect(await listProviders(w.deps, user('mer_C'), 'test')).toEqual([]);
  });
});
