import { logout } from '#core/identity';
import { http } from '#edge/http';
import { identity, requireUser } from '#app/identity';
import { clearedRefreshCookie, refreshCookieRequested } from './refresh-session.ts';

/**
 * POST /v1/auth/logout — revokes the caller's refresh-token family; with `PayBridge-Refresh-Cookie: 1`
 * also removes the dashboard's refresh cookie.
 */
export const handler = http({}, async ({ actor, meta, event }) => {
  const cookie = refreshCookieRequested(event);
  await logout(identity, requireUser(actor), meta);
  return { status: 204, ...(cookie ? { cookies: [clearedRefreshCookie] } : {}) };
});
