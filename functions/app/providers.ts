import { adapterFor } from '#providers/index';
import type { ProviderContext, ProviderCredentials, ProviderName } from '#core/provider-adapter';
import { chapaBaseUrl } from '#providers/chapa';
import { flutterwaveBaseUrl } from '#providers/flutterwave';
import { paystackBaseUrl } from '#providers/paystack';
import { stripeBaseUrl } from '#providers/stripe';
import { config } from '#runtime/config';

const production: Record<ProviderName, string> = {
  paystack: paystackBaseUrl,
  flutterwave: flutterwaveBaseUrl,
  stripe: stripeBaseUrl,
  chapa: chapaBaseUrl,
};

/** A provider's API base URL: configuration (the local sandboxes) or the real provider. */
export function providerBaseUrl(name: ProviderName): string {
  const c = config();
  const configured = {
    paystack: c.PAYSTACK_BASE_URL,
    flutterwave: c.FLUTTERWAVE_BASE_URL,
    stripe: c.STRIPE_BASE_URL,
    chapa: c.CHAPA_BASE_URL,
  }[name];
  return configured ?? production[name];
}

/** Everything an adapter call needs, for one merchant's decrypted credentials. */
export function providerContext(name: ProviderName, credentials: ProviderCredentials): ProviderContext {
  return { baseUrl: providerBaseUrl(name), credentials, timeoutMs: config().PROVIDER_TIMEOUT_MS };
}

export { adapterFor };
