import { logoutEverywhere } from '#core/identity';
import { http } from '#edge/http';
import { identity, requireUser } from '#app/identity';

/**
 * POST /v1/auth/logout-everywhere — ends every session of the caller: this one
 * now, the others at their next refresh (their access tokens expire within 5 minutes).
 */
export const handler = http({}, async ({ actor, meta }) => {
  await logoutEverywhere(identity, requireUser(actor), meta);
  return { status: 204 };
});
