import * as z from 'zod/mini';
import { removeProvider } from '#core/providers';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { providers } from '#app/providers';
import { mode } from '#edge/schemas';

/** DELETE /v1/providers/{provider}?mode= — forgets the credentials; the webhook URL stops working. */
export const handler = http(
  {
    query: z.strictObject({ mode: z.optional(mode) }),
    params: z.strictObject({ provider: z.string().check(z.maxLength(64)) }),
  },
  async ({ actor, query, params, meta }) => {
    await removeProvider(providers, requireMerchant(actor), params.provider, query.mode, meta);
    return { status: 204 };
  },
);
