import * as z from 'zod/mini';
import { configureProvider, providerView } from '#core/providers';
import { config } from '#runtime/config';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { providers } from '#app/providers';
import { currency, mode } from '#edge/schemas';

const secret = (max: number) => z.string().check(z.trim(), z.minLength(1), z.maxLength(max));

export const configureProviderBody = z.strictObject({
  mode: z.optional(mode),
  secretKey: secret(512),
  publicKey: z.optional(secret(512)),
  webhookSecret: z.optional(secret(256)),
  enabled: z.optional(z.boolean()),
  currencies: z.optional(z.array(currency).check(z.maxLength(50))),
});

/**
 * PUT /v1/providers/{provider} — stores the merchant's credentials for one
 * provider and mode (sealed), keeping the webhook URL across updates. The
 * answer shows the key's last 4 characters only.
 */
export const handler = http(
  { body: configureProviderBody, params: z.strictObject({ provider: z.string().check(z.maxLength(64)) }) },
  async ({ actor, body, params, meta, event }) => {
    const stored = await configureProvider(providers, requireMerchant(actor), params.provider, body, meta);
    return {
      body: providerView(stored, config().PUBLIC_BASE_URL ?? `https://${event.requestContext.domainName}`),
    };
  },
);
