import { NotFound } from '#core/errors';
import { chapa } from './chapa.ts';
import { flutterwave } from './flutterwave.ts';
import { paystack } from './paystack.ts';
import { stripe } from './stripe.ts';
import type { ProviderAdapter, ProviderName } from '#core/provider-adapter';

/**
 * The provider registry: one adapter per provider behind one interface. Adding
 * a provider is its name in `providerNames` (core/provider-adapter.ts), one module
 * in this folder and one line here; `satisfies` makes a missing line a type error.
 */
export const adapters = {
  paystack,
  flutterwave,
  stripe,
  chapa,
} as const satisfies Readonly<Record<ProviderName, ProviderAdapter>>;

/** True when `name` is a provider PayBridge has an adapter for. */
export function isProviderName(name: string): name is ProviderName {
  return Object.hasOwn(adapters, name);
}

/**
 * The adapter for `name`. Throws NotFound `provider_not_found` for any other
 * string, e.g. an unknown `{provider}` segment of a webhook URL.
 */
export function adapterFor(name: string): ProviderAdapter {
  if (!isProviderName(name)) {
    throw new NotFound(
      'provider_not_found',
      `There is no provider named ${JSON.stringify(name)}.`,
      'provider',
    );
  }
  return adapters[name];
}
