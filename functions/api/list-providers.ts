import * as z from 'zod/mini';
import { listProviders, providerView } from '#core/providers';
import { config } from '#runtime/config';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { providers } from '#app/providers';
import { mode } from '#edge/schemas';

/**
 * GET /v1/providers — the caller's provider configurations in one mode: an API
 * key's own, or for the dashboard `?mode=` (else the `PayBridge-Mode` header).
 * Four providers at most, so one page.
 */
export const handler = http(
  { query: z.strictObject({ mode: z.optional(mode) }) },
  async ({ actor, query, event }) => {
    const caller = requireMerchant(actor);
    const configs = await listProviders(providers, caller, query.mode);
    const health = await providers.health(caller.merchantId, configs[0]?.mode ?? caller.mode, configs);
    const baseUrl = config().PUBLIC_BASE_URL ?? `https://${event.requestContext.domainName}`;
    return {
      body: {
        data: configs.map((c) => providerView(c, baseUrl, health.get(c.provider))),
        hasMore: false,
        nextCursor: null,
      },
    };
  },
);
