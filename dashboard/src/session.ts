import { createClient, type Mode, type PayBridgeClient, PayBridgeError, type Tokens } from '#client';

/**
 * The signed-in session, in memory only: the access token and the refresh token live in this
 * module's variables, never in localStorage, sessionStorage or a readable cookie, so a reload
 * signs the user out (the price of keeping tokens away from storage an injected script could read).
 */
export interface Session {
  readonly email: string;
  readonly merchantId: string;
  readonly businessName: string;
  accessToken: string;
  refreshToken: string;
}

export interface SessionApi {
  /** The client for the current session and mode. */
  client(mode: Mode): PayBridgeClient;
}

/** What the dashboard calls: the typed client, with a refresh-and-retry on an expired access token. */
export function sessionClient(
  session: Session,
  options: { baseUrl?: string; fetch?: typeof fetch; onExpired?: () => void } = {},
): SessionApi {
  const baseUrl = options.baseUrl ?? location.origin;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const anonymous = createClient({ baseUrl, fetch: doFetch });
  let refreshing: Promise<void> | undefined;

  const refresh = async (): Promise<void> => {
    refreshing ??= anonymous.auth
      .refresh(session.refreshToken)
      .then((tokens: Tokens) => {
        session.accessToken = tokens.accessToken;
        session.refreshToken = tokens.refreshToken;
      })
      .finally(() => (refreshing = undefined));
    return refreshing;
  };

  // A fetch that, on a 401 to an authenticated call, refreshes once and retries with the new token.
  const retrying: typeof fetch = async (input, init) => {
    const response = await doFetch(input, init);
    const sent = new Headers(init?.headers).get('authorization');
    if (response.status !== 401 || sent !== `Bearer ${session.accessToken}`) return response;
    try {
      await refresh();
    } catch (error) {
      options.onExpired?.();
      throw error;
    }
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${session.accessToken}`);
    return doFetch(input, { ...init, headers });
  };

  return {
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

/** Signs in and returns the session. Throws PayBridgeError. */
export async function signIn(
  email: string,
  password: string,
  options: { baseUrl?: string; fetch?: typeof fetch } = {},
): Promise<Session> {
  const client = createClient({ baseUrl: options.baseUrl ?? location.origin, ...fetchOption(options) });
  const tokens = await client.auth.login({ email, password });
  const me = await client.with({ accessToken: tokens.accessToken }).me.get();
  return {
    email: me.user?.email ?? email,
    merchantId: me.merchant.id,
    businessName: me.merchant.businessName,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
  };
}

/** Creates a merchant and its owner, signed in. Throws PayBridgeError. */
export async function signUp(
  input: { email: string; password: string; businessName: string },
  options: { baseUrl?: string; fetch?: typeof fetch } = {},
): Promise<Session> {
  const client = createClient({ baseUrl: options.baseUrl ?? location.origin, ...fetchOption(options) });
  const registration = await client.auth.register(input);
  return {
    email: registration.user.email,
    merchantId: registration.merchant.id,
    businessName: registration.merchant.businessName,
    accessToken: registration.accessToken,
    refreshToken: registration.refreshToken,
  };
}

const fetchOption = (options: { fetch?: typeof fetch }) => (options.fetch ? { fetch: options.fetch } : {});

/** Our error message and request id, for people. */
export function describeError(error: unknown): { message: string; requestId: string | undefined } {
  if (error instanceof PayBridgeError) return { message: error.message, requestId: error.requestId };
  if (error instanceof Error) return { message: error.message, requestId: undefined };
  return { message: String(error), requestId: undefined };
}
