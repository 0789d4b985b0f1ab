import type { Mode } from '#core/actor';
import { Unprocessable } from '#core/errors';
import type { PaymentDeps, PaymentGateway } from '#core/payments';
import type { ProviderName } from '#core/provider-adapter';
import { getProviderConfig, listEnabledProviders } from '#store/providers';
import { onAmountLimitsChanged, paymentsStore } from '#store/payments';
import { nextCheckAt } from '#core/reconciliation';
import { expiryBounds, reconcileSettings } from '#runtime/config';
import { adapterFor, providerContext } from '#app/providers';
import { logger } from '#runtime/logger';
import { LruCache } from '#runtime/lru';
import { transitionPayment } from '#app/webhooks';
import { paymentActivity } from '#app/payment-activity';
import { paymentReads } from '#app/payment-reads';
import { recordVerifyCalls } from '#core/verify-activity';

type ProviderConfig = NonNullable<Awaited<ReturnType<typeof getProviderConfig>>>;

/**
 * Provider configurations read in this container in the last few seconds: a
 * payment's routing query already returned the config its initialise needs, and
 * the verify worker reads the config that the provider verify call needs. A
 * changed or removed configuration applies within `configCacheMs`.
 */
export const configCacheMs = 5_000;
const configCache = new Map<string, { config: ProviderConfig | undefined; until: number }>();
const cacheKey = (merchantId: string, mode: string, provider: string) => `${merchantId}#${mode}#${provider}`;

function remember(config: ProviderConfig | undefined, merchantId: string, mode: string, provider: string) {
  if (configCache.size > 1000) configCache.clear();
  configCache.set(cacheKey(merchantId, mode, provider), { config, until: Date.now() + configCacheMs });
}

/** A merchant's provider configuration (secrets still sealed), through the short per-container cache. */
export async function providerConfig(
  merchantId: string,
  mode: 'test' | 'live',
  provider: ProviderName,
): Promise<ProviderConfig | undefined> {
  const hit = configCache.get(cacheKey(merchantId, mode, provider));
  if (hit && hit.until > Date.now()) return hit.config;
  const config = await getProviderConfig(merchantId, mode, provider);
  remember(config, merchantId, mode, provider);
  return config;
}

/**
 * What creating a payment needs to know about the merchant before it routes: its
 * amount limits and its enabled provider configurations in the mode, read
 * together (two reads in parallel) into one short per-container cache, like the
 * API-key cache (edge/auth.ts). With it warm, a payment costs its idempotency
 * claim and its final transaction only. The price is staleness: a lowered
 * limit, or a provider disabled or removed, reaches a warm container within
 * `routingCacheMs` (changes this container makes to limits at once); a provider
 * just configured is seen at once, because a payment the cache would refuse is
 * routed again on a fresh read (core/payments.ts `routeOnFreshRefusal`).
 * A failed read is not cached.
 */
export const routingCacheMs = 5_000;
interface RoutingFacts {
  limits: Partial<Record<string, number>>;
  enabled: ProviderConfig[];
}
const routing = new LruCache<string, { facts: Promise<RoutingFacts>; until: number }>(1_000);
const routingKey = (merchantId: string, mode: Mode) => `${merchantId}#${mode}`;
onAmountLimitsChanged((merchantId, mode) => routing.delete(routingKey(merchantId, mode)));

function routingFacts(merchantId: string, mode: Mode): Promise<RoutingFacts> {
  const key = routingKey(merchantId, mode);
  const now = Date.now();
  const hit = routing.get(key);
  if (hit && hit.until > now) return hit.facts;
  const facts = Promise.all([
    paymentsStore.amountLimits(merchantId, mode),
    listEnabledProviders(merchantId, mode),
  ]).then(([limits, enabled]) => {
    // initialize() reads the chosen provider's config through the config cache: no third read.
    for (const config of enabled) remember(config, merchantId, mode, config.provider);
    return { limits, enabled };
  });
  const entry = { facts, until: now + routingCacheMs };
  routing.set(key, entry);
  facts.catch(() => {
    if (routing.get(key) === entry) routing.delete(key);
  });
  return facts;
}

async function configured(merchantId: string, mode: 'test' | 'live', provider: ProviderName) {
  const config = await providerConfig(merchantId, mode, provider);
  if (!config || !config.enabled) {
    throw new Unprocessable(
      'provider_not_configured',
      `${provider} is not configured and enabled in this mode.`,
      'provider',
    );
  }
  return providerContext(provider, await config.credentials());
}

/** Providers as the payments domain sees them: routing facts, initialise and verify with decrypted keys. */
const gateway: PaymentGateway = {
  async enabledProviders(merchantId, mode, options) {
    if (options?.fresh) routing.delete(routingKey(merchantId, mode));
    const { enabled } = await routingFacts(merchantId, mode);
    return enabled.map((c) => ({ provider: c.provider, currencies: c.currencies }));
  },
  async initialize(merchantId, mode, provider, input) {
    const ctx = await configured(merchantId, mode, provider);
    return adapterFor(provider).initialize(ctx, {
      reference: input.reference,
      amount: input.amount,
      currency: input.currency,
      customer: {
        email: input.customer.email,
        ...(input.customer.name ? { name: input.customer.name } : {}),
        ...(input.customer.phone ? { phone: input.customer.phone } : {}),
      },
      ...(input.description ? { description: input.description } : {}),
      ...(input.redirectUrl ? { redirectUrl: input.redirectUrl } : {}),
      ...(input.metadata ? { metadata: input.metadata } : {}),
      expiresAt: input.expiresAt,
    });
  },
  async verify(merchantId, mode, payment) {
    const ctx = await configured(merchantId, mode, payment.provider);
    return adapterFor(payment.provider).verify(ctx, {
      reference: payment.attemptReference,
      providerReference: payment.providerReference,
    });
  },
  async expire(merchantId, mode, payment) {
    const adapter = adapterFor(payment.provider);
    if (!adapter.expire) return; // Paystack, Flutterwave, Chapa: no API to close a checkout; ours governs.
    const ctx = await configured(merchantId, mode, payment.provider);
    await adapter.expire(ctx, {
      reference: payment.attemptReference,
      providerReference: payment.providerReference,
    });
  },
};

const domain: PaymentDeps = {
  store: {
    ...paymentsStore,
    amountLimits: async (merchantId, mode) => (await routingFacts(merchantId, mode)).limits,
  },
  gateway,
  transition: transitionPayment,
  expiryBounds,
  nextCheck: (payment, now) => nextCheckAt(payment, now, reconcileSettings()),
  log: (level, message, fields) => logger[level](message, fields),
  verified: recordVerifyCalls(paymentActivity),
};

/**
 * The payments area, wired to DynamoDB and the provider adapters once per cold
 * start: the ports the domain's functions take (`createPayment(payments, …)`)
 * and the reads the handlers make (app/payment-reads.ts: a handler that only reads
 * imports that module instead, and bundles none of this wiring).
 */
export const payments = {
  ...domain,
  ...paymentReads,
};
