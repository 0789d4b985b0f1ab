import * as z from 'zod/mini';
import { changePassword } from '#core/identity';
import { http } from '#edge/http';
import { identity, requireUser } from '#app/identity';

export const changePasswordBody = z.strictObject({
  currentPassword: z.string().check(z.maxLength(256)),
  newPassword: z.string().check(z.maxLength(256)),
});

/** POST /v1/auth/password — a new password; every session of the user ends. */
export const handler = http({ body: changePasswordBody }, async ({ actor, body, meta }) => {
  await changePassword(identity, requireUser(actor), body, meta);
  return { status: 204 };
});
