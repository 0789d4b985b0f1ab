import { getMe } from '#core/identity';
import { http } from '#edge/http';
import { identity, requireMerchant } from '#app/identity';

/** GET /v1/me — the caller's merchant and mode, and the user when signed in to the dashboard. */
export const handler = http({}, async ({ actor }) => ({
  body: await getMe(identity, requireMerchant(actor)),
}));
