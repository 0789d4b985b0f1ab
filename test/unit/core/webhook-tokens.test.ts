import { describe, expect, it } from 'vitest';
import {
  isWebhookToken,
  newWebhookToken,
  readSignedWebhookToken,
  signedTokenVersion,
  signWebhookToken,
  type WebhookTarget,
  type WebhookTokenKeys,
} from '#core/providers';
import { parseWebhookTokenKeys } from '#app/webhook-tokens';
import type { MerchantActor } from '#core/actor';
import { configureProvider, type ProviderDeps, removeProvider } from '#core/providers';
import { fixtureCurrencies } from '#test/memory/gateway';
import { MemoryProviderStore } from '#test/memory/providers';
import { meta } from '#test/memory/world';

const k1 = Buffer.from('a-server-key-of-at-least-thirty-two-characters-1');
const k2 = Buffer.from('a-server-key-of-at-least-thirty-two-characters-2');
const keys: WebhookTokenKeys = { current: '1', keys: new Map([['1', k1]]) };
const target: WebhookTarget = {
  merchantId: 'mer_01JABCDEFGHJKMNPQRSTVWXYZ0',
  mode: 'live',
  provider: 'paystack',
};
/** The ingest route's own check of the path parameter (hooks/receive-provider-webhook.ts). */
const routeShape = /^[A-Za-z0-9_-]{20,100}$/;

const mint = (k: WebhookTokenKeys = keys, t: WebhookTarget = target): string => {
  const token = signWebhookToken(k, t);
  if (!token) throw new Error('no token minted');
  return token;
};

describe('self-authenticating webhook tokens', () => {
  it('name their merchant, mode and provider, verified without a lookup', () => {
    const token = mint();
    expect(token).toMatch(routeShape);
    // As long as a random token: URLs keep their shape.
    expect(token).toHaveLength(newWebhookToken().length);
    expect(isWebhookToken(token)).toBe(true);
    expect(signedTokenVersion(token)).toBe('1');
    expect(readSignedWebhookToken(keys, token, 'paystack')).toEqual(target);
    expect(readSignedWebhookToken(keys, mint(keys, { ...target, mode: 'test' }), 'paystack')).toEqual({
      ...target,
      mode: 'test',
    });
  });

  it('are each their own: two configurations of the same target get different URLs', () => {
    expect(mint()).not.toBe(mint());
  });

  it('hold only for the provider they were made for', () => {
    expect(readSignedWebhookToken(keys, mint(), 'stripe')).toBeUndefined();
  });

  it('refuse any change: another version, mode, merchant, nonce or MAC, or another key', () => {
    const token = mint();
    const change = (i: number) => token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
    expect(token[1]).toBe('l');
    expect(readSignedWebhookToken(keys, `${token[0]}t${token.slice(2)}`, 'paystack')).toBeUndefined();
    // 0: version, 2–23: merchant, 24–26: nonce, 27–42: MAC.
    for (const i of [0, 2, 12, 23, 24, 26, 27, 42]) {
      expect(readSignedWebhookToken(keys, change(i), 'paystack'), `position ${i}`).toBeUndefined();
    }
    const other: WebhookTokenKeys = { current: '1', keys: new Map([['1', k2]]) };
    expect(readSignedWebhookToken(other, token, 'paystack')).toBeUndefined();
  });

  it('rotate: a new current key signs, the old one still verifies while it is listed', () => {
    const old = mint();
    const rotated: WebhookTokenKeys = {
      current: '2',
      keys: new Map([
        ['1', k1],
        ['2', k2],
      ]),
    };
    const fresh = mint(rotated);
    expect(signedTokenVersion(fresh)).toBe('2');
    expect(readSignedWebhookToken(rotated, old, 'paystack')).toEqual(target);
    expect(readSignedWebhookToken(rotated, fresh, 'paystack')).toEqual(target);
    // Version 1 retired: its tokens no longer verify (ingest then falls back to the lookup).
    expect(
      readSignedWebhookToken({ current: '2', keys: new Map([['2', k2]]) }, old, 'paystack'),
    ).toBeUndefined();
  });

  it('leave the first, random form to the lookup: it is still a token, and never verifies', () => {
    for (let i = 0; i < 500; i++) {
      const random = newWebhookToken();
      expect(isWebhookToken(random)).toBe(true);
      expect(readSignedWebhookToken(keys, random, 'paystack')).toBeUndefined();
    }
    // One that happens to have the signed form (version, mode) is refused by its MAC all the same.
    const lookalike = `Bt${newWebhookToken().slice(2)}`;
    expect(signedTokenVersion(lookalike)).toBe('1');
    expect(readSignedWebhookToken(keys, lookalike, 'paystack')).toBeUndefined();
  });

  it('are not minted for a merchant id they cannot carry', () => {
    expect(signWebhookToken(keys, { ...target, merchantId: 'mer_short' })).toBeUndefined();
    // Our ids are canonical ULIDs; the id pattern's wider alphabet (I, L, O, U) is not packed.
    expect(
      signWebhookToken(keys, { ...target, merchantId: 'mer_01JXAMPLEIIIIIIIIIIIIIIIII' }),
    ).toBeUndefined();
    expect(signWebhookToken({ current: '3', keys: new Map([['1', k1]]) }, target)).toBeUndefined();
  });
});

describe('the webhook-token key set', () => {
  it('reads `{"current":"1","k1":"…"}`, every listed version, and refuses short keys or a missing current one', () => {
    const set = parseWebhookTokenKeys(JSON.stringify({ current: '2', k1: k1.toString(), k2: k2.toString() }));
    expect(set?.current).toBe('2');
    expect([...(set?.keys.keys() ?? [])].sort()).toEqual(['1', '2']);
    expect(parseWebhookTokenKeys(JSON.stringify({ current: '1', k1: 'short' }))).toBeUndefined();
    expect(parseWebhookTokenKeys(JSON.stringify({ current: '3', k1: k1.toString() }))).toBeUndefined();
    expect(parseWebhookTokenKeys('not json')).toBeUndefined();
    expect(parseWebhookTokenKeys(undefined)).toBeUndefined();
  });
});

describe('configurations and their tokens', () => {
  const owner: MerchantActor = {
    kind: 'user',
    merchantId: target.merchantId,
    userId: 'usr_1',
    email: 'owner@shop.example',
    role: 'owner',
    sessionId: 'ses_1',
    mode: 'test',
  };
  const world = (mint: (t: WebhookTarget) => Promise<string | undefined>) => {
    const minted: WebhookTarget[] = [];
    const deps: ProviderDeps = {
      store: new MemoryProviderStore(),
      currencies: (p) => fixtureCurrencies[p],
      newWebhookToken: async (t) => (minted.push(t), mint(t)),
    };
    return { deps, minted };
  };
  const configure = (deps: ProviderDeps, secretKey = 'sk_test_abc123') =>
    configureProvider(deps, owner, 'paystack', { mode: 'test', secretKey }, meta);

  it('mints a signed token for a new configuration, keeps it across key rotation, and a new one after removal', async () => {
    const w = world(async (t) => signWebhookToken(keys, t));
    const first = await configure(w.deps);
    expect(readSignedWebhookToken(keys, first.webhookToken, 'paystack')).toEqual({ ...target, mode: 'test' });
    expect(w.minted).toEqual([{ ...target, mode: 'test' }]);
    const rotated = await configure(w.deps, 'sk_test_new999');
    expect(rotated.webhookToken).toBe(first.webhookToken);
    expect(w.minted).toHaveLength(1);
    await removeProvider(w.deps, owner, 'paystack', 'test', meta);
    const again = await configure(w.deps);
    expect(again.webhookToken).not.toBe(first.webhookToken);
    expect(readSignedWebhookToken(keys, again.webhookToken, 'paystack')).toEqual({ ...target, mode: 'test' });
  });

  it('falls back to a random token when no key is configured', async () => {
    const w = world(async () => undefined);
    const config = await configure(w.deps);
    expect(isWebhookToken(config.webhookToken)).toBe(true);
    expect(readSignedWebhookToken(keys, config.webhookToken, 'paystack')).toBeUndefined();
  });
});
