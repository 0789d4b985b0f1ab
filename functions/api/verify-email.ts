import * as z from 'zod/mini';
import { verifyEmail } from '#core/identity';
import { http } from '#edge/http';
import { identity } from '#app/identity';

export const verifyEmailBody = z.strictObject({
  /** The `token` of the emailed link (after `#token=`). */
  token: z.string().check(z.minLength(1), z.maxLength(256)),
});

/**
 * POST /v1/auth/verify-email — opens the emailed verification link: the login is
 * verified (live mode opens up). A used, expired or unknown link is a 400.
 */
export const handler = http({ body: verifyEmailBody }, async ({ body, meta }) => ({
  body: await verifyEmail(identity, body, meta),
}));
