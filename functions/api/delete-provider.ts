import * as z from 'zod/mini';
import { removeProvider } from '#core/providers';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { mode } from '#edge/schemas';
import { providerStore } from '#store/providers';

/** DELETE /v1/providers/{provider}?mode= — forgets the credentials; the webhook URL stops working. */
export const handler = http(
  {
    query: z.strictObject({ mode: z.optional(mode) }),
    params: z.strictObject({ provider: z.string().check(z.maxLength(64)) }),
  },
  async ({ actor, query, params, meta }) => {
    await removeProvider({ store: providerStore }, requireMerchant(actor), params.provider, query.mode, meta);
    return { status: 204 };
  },
);
