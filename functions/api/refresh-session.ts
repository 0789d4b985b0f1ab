import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { Forbidden, Unauthenticated, ValidationFailed } from '#core/errors';
import { refresh, refreshIdleSeconds, type Tokens } from '#core/identity';
import { http, type HttpReply } from '#edge/http';
import { identity } from '#app/identity';
import { header } from '#edge/request';

/**
 * `refreshToken` is required, except on a cookie refresh (`PayBridge-Refresh-Cookie: 1`), which
 * reads the refresh cookie instead; given there, it moves a JSON session into the cookie.
 */
export const refreshBody = z.strictObject({ refreshToken: z.optional(z.string().check(z.maxLength(200))) });

// ---- the dashboard's refresh cookie --------------------------------------------------------------

/**
 * The dashboard's opt-in (sign-in, refresh, sign-out): the refresh token travels in an
 * `HttpOnly; Secure; SameSite=Strict` cookie scoped to the refresh path instead of the JSON body,
 * so no script on the page can read it. A custom header cannot be sent cross-site without a CORS
 * preflight, which this API never grants: it is the CSRF defence, with the `Origin` check below.
 */
export const refreshCookieHeader = 'PayBridge-Refresh-Cookie';
/** `__Secure-`: browsers accept it only with `Secure`, from a secure origin (https, or 127.0.0.1/localhost). */
export const refreshCookieName = '__Secure-paybridge-refresh';
export const refreshCookiePath = '/v1/auth/refresh';

const cookieAttributes = `Path=${refreshCookiePath}; HttpOnly; Secure; SameSite=Strict`;

/** Set-Cookie for a refresh token: it lives as long as an unused session does (7 days). */
export const refreshCookie = (token: string): string =>
  `${refreshCookieName}=${token}; Max-Age=${refreshIdleSeconds}; ${cookieAttributes}`;

/** Set-Cookie that removes the refresh cookie. */
export const clearedRefreshCookie = `${refreshCookieName}=; Max-Age=0; ${cookieAttributes}`;

const crossOrigin = () =>
  new Forbidden(
    'cross_origin_refused',
    'The refresh cookie is only set and read for requests from the dashboard’s own origin.',
    'Origin',
  );

/**
 * Whether the request opts into the refresh cookie. An opt-in from another origin is refused (403):
 * `Origin` must be present and name this host, or (behind CloudFront, where the API sees its own
 * host, not the viewer's) the browser's `Sec-Fetch-Site` must say `same-origin`; a `Sec-Fetch-Site`
 * other than `same-origin` is refused whatever `Origin` says.
 */
export function refreshCookieRequested(event: APIGatewayProxyEventV2): boolean {
  const flag = header(event, refreshCookieHeader);
  if (flag === undefined) return false;
  if (flag !== '1') {
    throw new ValidationFailed(
      'invalid_header',
      `${refreshCookieHeader} must be \`1\` (or absent for tokens in the JSON body).`,
      refreshCookieHeader,
    );
  }
  const site = header(event, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') throw crossOrigin();
  const origin = header(event, 'origin');
  if (origin === undefined) throw crossOrigin();
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw crossOrigin();
  }
  if (host !== header(event, 'host') && site !== 'same-origin') throw crossOrigin();
  return true;
}

/** The refresh cookie's value, if the browser sent one (API Gateway v2 puts cookies in `event.cookies`). */
export function refreshCookieValue(event: APIGatewayProxyEventV2): string | undefined {
  const cookies = event.cookies ?? (header(event, 'cookie') ?? '').split(';');
  for (const cookie of cookies) {
    const at = cookie.indexOf('=');
    if (at > 0 && cookie.slice(0, at).trim() === refreshCookieName) {
      const value = cookie.slice(at + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

/** The answer of a cookie sign-in or refresh: the access token in JSON, the refresh token in the cookie only. */
export function cookieReply(tokens: Tokens, status = 200): HttpReply {
  const { refreshToken, ...rest } = tokens;
  return { status, body: rest, cookies: [refreshCookie(refreshToken)] };
}

// ---- the route -----------------------------------------------------------------------------------

/**
 * POST /v1/auth/refresh — rotates the refresh token; a reused one revokes its family. With
 * `PayBridge-Refresh-Cookie: 1` (the dashboard, same origin only) the refresh token comes from the
 * body if given, else from the cookie, and the new one goes back in the cookie only.
 */
export const handler = http({ body: refreshBody }, async ({ body, meta, event }) => {
  if (!refreshCookieRequested(event)) {
    if (body.refreshToken === undefined) {
      if (refreshCookieValue(event) !== undefined) {
        throw new Forbidden(
          'refresh_cookie_header_required',
          `A refresh by cookie must send the \`${refreshCookieHeader}: 1\` header.`,
          refreshCookieHeader,
        );
      }
      throw new ValidationFailed('missing_field', '`refreshToken` is required.', 'refreshToken');
    }
    return { body: await refresh(identity, body.refreshToken, meta) };
  }
  const token = body.refreshToken ?? refreshCookieValue(event);
  if (token === undefined) {
    throw new Unauthenticated('invalid_refresh_token', 'The refresh token is invalid or expired.');
  }
  return cookieReply(await refresh(identity, token, meta));
});
