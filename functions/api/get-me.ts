import { getMe } from '#core/identity';
import { http } from '#platform/http';
import { identity, requireMerchant } from '#platform/identity';

/** GET /v1/me — the caller's merchant and mode, and the user when signed in to the dashboard. */
export const handler = http({}, async ({ actor }) => ({
  body: await getMe(identity, requireMerchant(actor)),
}));
