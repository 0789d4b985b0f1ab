import { createClient, type Mode, type PayBridgeClient, PayBridgeError } from '#client';

/**
 * The signed-in session. The access token lives in this object, in memory only. The refresh token
 * never reaches the page: the API keeps it in an `HttpOnly; Secure; SameSite=Strict` cookie scoped
 * to `/v1/auth/refresh` (the dashboard opts in with the `PayBridge-Refresh-Cookie: 1` header), so
 * nothing in localStorage, sessionStorage or a readable cookie, and a reload signs back in from
 * the cookie (`restoreSession`).
 */
export interface Session {
  readonly email: string;
  readonly merchantId: string;
  readonly businessName: string;
  /** False until the emailed link is opened: live mode answers 403 `email_unverified` until then. */
  emailVerified: boolean;
  accessToken: string;
  /** The landing page's first request, started while the session was restored (`restoreSession`). */
  prefetch?: Prefetch | undefined;
}

/**
 * A GET sent alongside `GET /v1/me` when a reload restores the session, so the page the address
 * names does not wait for `me` before asking for its data: its first identical call (same URL, test
 * mode, the same token) within `prefetchMs` takes the answer instead of sending it again.
 */
export interface Prefetch {
  readonly url: string;
  readonly startedAt: number;
  readonly response: Promise<Response>;
}
export const prefetchMs = 10_000;

export interface SessionApi {
  /** The client for the current session and mode. */
  client(mode: Mode): PayBridgeClient;
  /** The fetch the clients use (refresh-and-retry on an expired access token). */
  readonly fetch: typeof fetch;
}

interface Options {
  baseUrl?: string;
  fetch?: typeof fetch;
}

/** The dashboard's opt-in to the refresh cookie, sent on every `/v1/auth/` call. */
export const refreshCookieHeader = 'paybridge-refresh-cookie';

/**
 * A fetch that sends `PayBridge-Refresh-Cookie: 1` to the auth routes and lets the browser carry
 * the same-origin cookie, so sign-in, refresh and sign-out deal in the cookie, never the body.
 */
export function withRefreshCookie(doFetch: typeof fetch): typeof fetch {
  return (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!/\/v1\/auth\//.test(url)) return doFetch(input, init);
    const headers = new Headers(init?.headers);
    headers.set(refreshCookieHeader, '1');
    return doFetch(input, { ...init, headers, credentials: 'same-origin' });
  };
}

const baseOf = (options: Options) => options.baseUrl ?? location.origin;
const fetchOf = (options: Options): typeof fetch =>
  withRefreshCookie(options.fetch ?? ((input, init) => fetch(input, init)));

/**
 * A new access token from the refresh cookie (which the answer rotates). `refreshToken` moves a
 * session whose refresh token arrived in JSON (sign-up) into the cookie. Throws PayBridgeError.
 */
export async function refreshAccessToken(options: Options & { refreshToken?: string } = {}): Promise<string> {
  const response = await fetchOf(options)(`${baseOf(options).replace(/\/+$/, '')}/v1/auth/refresh`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify(options.refreshToken === undefined ? {} : { refreshToken: options.refreshToken }),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  if (!response.ok) throw new PayBridgeError(response.status, body, response.headers);
  const token = (body as { accessToken?: unknown } | undefined)?.accessToken;
  if (typeof token !== 'string') throw new PayBridgeError(502, body, response.headers);
  return token;
}

/** What the dashboard calls: the typed client, with a refresh-and-retry on an expired access token. */
export function sessionClient(
  session: Session,
  options: Options & { onExpired?: () => void } = {},
): SessionApi {
  const baseUrl = baseOf(options);
  const doFetch = fetchOf(options);
  let refreshing: Promise<void> | undefined;

  const refresh = async (): Promise<void> => {
    refreshing ??= refreshAccessToken({ ...options, baseUrl })
      .then((accessToken) => {
        session.accessToken = accessToken;
      })
      .finally(() => (refreshing = undefined));
    return refreshing;
  };

  // A fetch that, on a 401 to an authenticated call, refreshes once and retries with the new token.
  const retrying: typeof fetch = async (input, init) => {
    const response = await (takePrefetch(session, input, init) ?? doFetch(input, init));
    const sent = new Headers(init?.headers).get('authorization');
    if (response.status !== 401 || sent === null) return response;
    if (sent !== `Bearer ${session.accessToken}`) {
      // Another call refreshed meanwhile: retry with the token it got.
      if (refreshing) await refreshing.catch(() => undefined);
    } else {
      try {
        await refresh();
      } catch (error) {
        options.onExpired?.();
        throw error;
      }
    }
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${session.accessToken}`);
    return doFetch(input, { ...init, headers });
  };

  return {
    fetch: retrying,
    client: (mode) =>
      createClient({
        baseUrl,
        fetch: retrying,
        mode,
        // Read at call time: a refresh replaces it.
        get accessToken() {
          return session.accessToken;
        },
      }),
  };
}

async function sessionFor(accessToken: string, options: Options, fallbackEmail = ''): Promise<Session> {
  const me = await createClient({ baseUrl: baseOf(options), fetch: fetchOf(options), accessToken }).me.get();
  return {
    email: me.user?.email ?? fallbackEmail,
    merchantId: me.merchant.id,
    businessName: me.merchant.businessName,
    // Accounts from before verification existed are verified; a session without a user cannot be here.
    emailVerified: me.user?.emailVerified ?? true,
    accessToken,
  };
}

/** Signs in (the refresh token goes into the cookie) and returns the session. Throws PayBridgeError. */
export async function signIn(email: string, password: string, options: Options = {}): Promise<Session> {
  const client = createClient({ baseUrl: baseOf(options), fetch: fetchOf(options) });
  const tokens = await client.auth.login({ email, password });
  return sessionFor(tokens.accessToken, options, email);
}

/**
 * Creates a merchant and its owner, signed in. Sign-up answers with JSON tokens; one refresh with
 * the cookie opt-in rotates that refresh token into the cookie, so the page keeps none of it.
 */
export async function signUp(
  input: { email: string; password: string; businessName: string },
  options: Options = {},
): Promise<Session> {
  const client = createClient({ baseUrl: baseOf(options), fetch: fetchOf(options) });
  const registration = await client.auth.register(input);
  const accessToken = await refreshAccessToken({ ...options, refreshToken: registration.refreshToken });
  return {
    email: registration.user.email,
    merchantId: registration.merchant.id,
    businessName: registration.merchant.businessName,
    emailVerified: registration.user.emailVerified,
    accessToken,
  };
}

/**
 * The session the refresh cookie still holds (after a reload), or undefined when there is none.
 * `prefetchPath` (e.g. `/v1/payments?limit=25`): the landing page's first GET, in test mode, sent at
 * the same time as `GET /v1/me` (see `Prefetch`).
 */
export async function restoreSession(
  options: Options & { prefetchPath?: string | undefined } = {},
): Promise<Session | undefined> {
  let accessToken: string;
  try {
    accessToken = await refreshAccessToken(options);
  } catch (error) {
    if (error instanceof PayBridgeError && error.status < 500 && error.status !== 429) return undefined;
    throw error;
  }
  const url = options.prefetchPath && `${baseOf(options).replace(/\/+$/, '')}${options.prefetchPath}`;
  const prefetch: Prefetch | undefined = url
    ? {
        url,
        startedAt: Date.now(),
        response: fetchOf(options)(url, {
          method: 'GET',
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${accessToken}`,
            'paybridge-mode': 'test',
          },
        }),
      }
    : undefined;
  // Never an unhandled rejection: the page's own call sees the failure, or sends again.
  prefetch?.response.catch(() => undefined);
  const session = await sessionFor(accessToken, options);
  return prefetch ? { ...session, prefetch } : session;
}

/** The prefetched answer for this call, once, when it is the very request that was prefetched. */
function takePrefetch(session: Session, input: RequestInfo | URL, init: RequestInit | undefined) {
  const prefetch = session.prefetch;
  if (!prefetch) return undefined;
  const headers = new Headers(init?.headers);
  if (
    String(input) !== prefetch.url ||
    (init?.method ?? 'GET') !== 'GET' ||
    headers.get('paybridge-mode') !== 'test' ||
    headers.get('authorization') !== `Bearer ${session.accessToken}`
  ) {
    return undefined;
  }
  session.prefetch = undefined;
  return Date.now() - prefetch.startedAt <= prefetchMs ? prefetch.response : undefined;
}

/** The typed client without a session, for the signed-out auth calls (verify email, password reset). */
export function publicClient(options: Options = {}): PayBridgeClient {
  return createClient({ baseUrl: baseOf(options), fetch: fetchOf(options) });
}

/** Our error message and request id, for people. */
export function describeError(error: unknown): { message: string; requestId: string | undefined } {
  if (error instanceof PayBridgeError) return { message: error.message, requestId: error.requestId };
  if (error instanceof Error) return { message: error.message, requestId: undefined };
  return { message: String(error), requestId: undefined };
}
