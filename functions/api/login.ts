import * as z from 'zod/mini';
import { login } from '#core/identity';
import { http } from '#edge/http';
import { identity } from '#app/identity';
import { cookieReply, refreshCookieRequested } from './refresh-session.ts';

export const loginBody = z.strictObject({
  email: z.string().check(z.maxLength(254)),
  password: z.string().check(z.maxLength(256)),
});

/**
 * POST /v1/auth/login — access and refresh tokens; with `PayBridge-Refresh-Cookie: 1` (the dashboard,
 * same origin only) the refresh token is set as an HttpOnly cookie instead of sent in the body.
 */
export const handler = http({ body: loginBody }, async ({ body, meta, event }) => {
  const cookie = refreshCookieRequested(event);
  const tokens = await login(identity, body, meta);
  return cookie ? cookieReply(tokens) : { body: tokens };
});
