import * as z from 'zod/mini';
import { confirmPasswordReset } from '#core/identity';
import { http } from '#edge/http';
import { identity } from '#app/identity';

export const confirmPasswordResetBody = z.strictObject({
  /** The `token` of the emailed link (after `#token=`). */
  token: z.string().check(z.minLength(1), z.maxLength(256)),
  password: z.string().check(z.maxLength(256)),
});

/**
 * POST /v1/auth/password-reset/confirm — sets a new password with the emailed
 * link; the link is spent and every session of the user ends.
 */
export const handler = http({ body: confirmPasswordResetBody }, async ({ body, meta }) => {
  await confirmPasswordReset(identity, body, meta);
  return { status: 204 };
});
