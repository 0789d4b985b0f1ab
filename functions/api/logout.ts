import { logout } from '#core/identity';
import { http } from '#platform/http';
import { identity, requireUser } from '#platform/identity';

/** POST /v1/auth/logout — revokes the caller's refresh-token family. */
export const handler = http({}, async ({ actor, meta }) => {
  await logout(identity, requireUser(actor), meta);
  return { status: 204 };
});
