import { adapterFor, adapters } from '#providers/index';
import type { ProviderContext, ProviderCredentials, ProviderName } from '#core/provider-adapter';
import type { ProviderDeps } from '#core/providers';
import { providerStore } from '#store/providers';
import { config } from '#runtime/config';
import { providerHealth } from '#app/provider-health';
import { webhookTokens } from '#app/webhook-tokens';

/** A provider's API base URL: configuration (the local sandboxes) or the real provider's (its adapter's). */
export function providerBaseUrl(name: ProviderName): string {
  const c = config();
  const configured = {
    paystack: c.PAYSTACK_BASE_URL,
    flutterwave: c.FLUTTERWAVE_BASE_URL,
    stripe: c.STRIPE_BASE_URL,
    chapa: c.CHAPA_BASE_URL,
  }[name];
  return configured ?? adapters[name].baseUrl;
}

/** Everything an adapter call needs, for one merchant's decrypted credentials. */
export function providerContext(name: ProviderName, credentials: ProviderCredentials): ProviderContext {
  return { baseUrl: providerBaseUrl(name), credentials, timeoutMs: config().PROVIDER_TIMEOUT_MS };
}

export { adapterFor };

const domain: ProviderDeps = {
  store: providerStore,
  currencies: (provider) => adapters[provider].currencies,
  newWebhookToken: webhookTokens.mint,
};

/**
 * The providers area (a merchant's provider configurations), wired to DynamoDB
 * and the adapters once per cold start: the ports the domain's functions take
 * (`configureProvider(providers, …)`) and the health the providers list shows.
 */
export const providers = {
  ...domain,
  /** Last webhook, signature failures and settlement sources per configuration (app/provider-health.ts). */
  health: providerHealth,
};
