import * as z from 'zod/mini';
import { sha256 } from '#core/credentials';
import { passwordResetAccepted, requestPasswordReset } from '#core/identity';
import { http } from '#edge/http';
import { mailingIdentity } from '#app/identity-mail';
import { publicBaseUrl } from '#edge/request';
import { logger } from '#runtime/logger';
import { email } from '#edge/schemas';

export const requestPasswordResetBody = z.strictObject({ email });

/** Reset emails one address may be sent per hour, whoever asks (on top of the route's per-address limit). */
export const resetsPerEmailPerHour = 3;

/**
 * POST /v1/auth/password-reset — always 202 with the same body, whether or not
 * an account uses the address (no account enumeration). Past the per-email limit
 * nothing is sent, and the answer is still the same.
 */
export const handler = http({ body: requestPasswordResetBody }, async ({ body, event }) => {
  // Keyed by the address's hash: the counter never stores an address somebody typed.
  const limit = await mailingIdentity.rateLimit(
    'reset-email',
    sha256(body.email.toLowerCase()),
    resetsPerEmailPerHour,
    3600,
  );
  if (!limit.allowed) {
    logger.warn('password reset not sent: per-email limit', { retryAfter: limit.retryAfter });
    return { status: 202, body: passwordResetAccepted };
  }
  return { status: 202, body: await requestPasswordReset(mailingIdentity, body, publicBaseUrl(event)) };
});
