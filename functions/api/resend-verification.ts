import { RateLimited } from '#core/errors';
import { resendVerification } from '#core/identity';
import { http } from '#edge/http';
import { requireUser } from '#app/identity';
import { mailingIdentity } from '#app/identity-mail';
import { publicBaseUrl } from '#edge/request';

/** Verification emails one user may ask for per hour (on top of the route's per-address limit). */
export const resendsPerHour = 5;

/** POST /v1/auth/verify-email/resend — emails the signed-in user a new verification link. */
export const handler = http({}, async ({ actor, event }) => {
  const user = requireUser(actor);
  const limit = await mailingIdentity.rateLimit('verify-resend', user.userId, resendsPerHour, 3600);
  if (!limit.allowed) {
    throw new RateLimited(
      'too_many_emails',
      `At most ${resendsPerHour} verification emails an hour: check your inbox (and spam folder) for the last one.`,
      limit.retryAfter,
    );
  }
  return { status: 202, body: await resendVerification(mailingIdentity, user, publicBaseUrl(event)) };
});
