import { describe, expect, it, vi } from 'vitest';
import { PayBridgeError } from '#client';
import {
  describeError,
  restoreSession,
  type Session,
  sessionClient,
  signIn,
  signUp,
} from '../../../dashboard/src/session.ts';
import {
  firstPaymentsPath,
  noPaymentFilters,
  paymentsQuery,
} from '../../../dashboard/src/pages/payments.tsx';

interface Sent {
  url: string;
  method: string;
  authorization: string | null;
  mode: string | null;
  cookieOptIn: string | null;
  credentials: RequestCredentials | undefined;
  body: unknown;
}

/** A fake API: records what the dashboard sends and answers from a script. */
function fakeApi(answer: (sent: Sent) => { status: number; body?: unknown }) {
  const sent: Sent[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    const request: Sent = {
      url: String(input),
      method: init?.method ?? 'GET',
      authorization: headers.get('authorization'),
      mode: headers.get('paybridge-mode'),
      cookieOptIn: headers.get('paybridge-refresh-cookie'),
      credentials: init?.credentials,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    sent.push(request);
    const { status, body } = answer(request);
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-header' },
    });
  };
  return { fetch, sent };
}

const session = (): Session => ({
  email: 'a@b.co',
  merchantId: 'mer_1',
  businessName: 'Shop',
  emailVerified: true,
  accessToken: 'access-1',
});

const page = { data: [], hasMore: false, nextCursor: null };

describe('the dashboard’s API layer', () => {
  it('sends the access token and the selected mode through the typed client', async () => {
    const api = fakeApi(() => ({ status: 200, body: page }));
    const s = session();
    await sessionClient(s, { baseUrl: 'http://x', fetch: api.fetch })
      .client('live')
      .payments.list({ limit: 25 });
    expect(api.sent).toEqual([
      expect.objectContaining({
        url: 'http://x/v1/payments?limit=25',
        authorization: 'Bearer access-1',
        mode: 'live',
      }),
    ]);
  });

  it('refreshes an expired access token once by the refresh cookie, keeps the new one in memory and retries', async () => {
    const api = fakeApi((r) => {
      if (r.url.endsWith('/v1/auth/refresh')) {
        return { status: 200, body: { accessToken: 'access-2', tokenType: 'Bearer', expiresIn: 300 } };
      }
      return r.authorization === 'Bearer access-2'
        ? { status: 200, body: page }
        : {
            status: 401,
            body: { error: { type: 'authentication', code: 'token_expired', message: 'Expired.' } },
          };
    });
    const s = session();
    const result = await sessionClient(s, { baseUrl: 'http://x', fetch: api.fetch })
      .client('test')
      .payments.list();
    expect(result).toEqual(page);
    expect(api.sent.map((r) => `${r.method} ${new URL(r.url).pathname} ${r.authorization ?? '-'}`)).toEqual([
      'GET /v1/payments Bearer access-1',
      'POST /v1/auth/refresh -',
      'GET /v1/payments Bearer access-2',
    ]);
    // No token in the body: the browser sends the HttpOnly cookie, opted into by the header.
    expect(api.sent[1]).toMatchObject({ body: {}, cookieOptIn: '1', credentials: 'same-origin' });
    expect(api.sent[0]?.cookieOptIn).toBeNull();
    expect(s).toEqual({ ...session(), accessToken: 'access-2' });
  });

  it('refreshes once for two calls that expire together', async () => {
    let refreshes = 0;
    const api = fakeApi((r) => {
      if (r.url.endsWith('/v1/auth/refresh')) {
        refreshes++;
        return { status: 200, body: { accessToken: 'access-2', tokenType: 'Bearer', expiresIn: 300 } };
      }
      return r.authorization === 'Bearer access-2'
        ? { status: 200, body: page }
        : { status: 401, body: { error: { type: 'authentication', code: 'token_expired', message: 'x' } } };
    });
    const client = sessionClient(session(), { baseUrl: 'http://x', fetch: api.fetch }).client('test');
    await Promise.all([client.payments.list(), client.refunds.list()]);
    expect(refreshes).toBe(1);
  });

  it('restores a session with the landing list asked for beside /v1/me, and answers the page’s identical call from it once', async () => {
    const me = {
      merchant: { id: 'mer_1', businessName: 'Shop' },
      user: { email: 'a@b.co', emailVerified: true },
      mode: 'test',
    };
    let releaseMe = () => {};
    const meHeld = new Promise<void>((resolve) => (releaseMe = resolve));
    const sent: string[] = [];
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      sent.push(`${init?.method ?? 'GET'} ${String(input)} ${headers.get('paybridge-mode') ?? '-'}`);
      const url = String(input);
      if (url.endsWith('/v1/auth/refresh')) return Response.json({ accessToken: 'access-1' });
      if (url.endsWith('/v1/me')) {
        await meHeld;
        return Response.json(me);
      }
      return Response.json({ ...page, data: [{ id: 'pay_1' }] });
    };
    const restoring = restoreSession({ baseUrl: 'http://x', fetch, prefetchPath: '/v1/payments?limit=25' });
    // The list is on its way before /v1/me has answered.
    await vi.waitFor(() =>
      expect(sent).toEqual([
        'POST http://x/v1/auth/refresh -',
        'GET http://x/v1/payments?limit=25 test',
        'GET http://x/v1/me -',
      ]),
    );
    releaseMe();
    const s = await restoring;
    expect(s).toMatchObject({ ...session(), prefetch: { url: 'http://x/v1/payments?limit=25' } });
    const client = sessionClient(s as Session, { baseUrl: 'http://x', fetch }).client('test');
    // Live mode, or another query, is not what was prefetched: sent as usual.
    await sessionClient(s as Session, { baseUrl: 'http://x', fetch })
      .client('live')
      .payments.list({ limit: 25 });
    expect(sent).toHaveLength(4);
    expect((await client.payments.list({ limit: 25 })).data).toEqual([{ id: 'pay_1' }]);
    expect(sent).toHaveLength(4);
    expect(s?.prefetch).toBeUndefined();
    // Once only: the next identical call (a poll) asks the API.
    await client.payments.list({ limit: 25 });
    expect(sent.at(-1)).toBe('GET http://x/v1/payments?limit=25 test');
    expect(sent).toHaveLength(5);
  });

  it('asks for the payments page’s first request exactly as the page sends it', async () => {
    const api = fakeApi(() => ({ status: 200, body: page }));
    await sessionClient(session(), { baseUrl: 'http://x', fetch: api.fetch })
      .client('test')
      .payments.list(paymentsQuery(noPaymentFilters, undefined));
    expect(api.sent[0]?.url).toBe(`http://x${firstPaymentsPath()}`);
  });

  it('signs in with the cookie opt-in: the session holds the access token only', async () => {
    const api = fakeApi((r) =>
      r.url.endsWith('/v1/auth/login')
        ? { status: 200, body: { accessToken: 'access-1', tokenType: 'Bearer', expiresIn: 300 } }
        : {
            status: 200,
            body: {
              merchant: { id: 'mer_1', businessName: 'Shop' },
              user: { email: 'a@b.co', emailVerified: true },
              mode: 'test',
            },
          },
    );
    const s = await signIn('a@b.co', 'pw', { baseUrl: 'http://x', fetch: api.fetch });
    expect(s).toEqual(session());
    expect(api.sent[0]).toMatchObject({ cookieOptIn: '1', credentials: 'same-origin' });
    expect(api.sent[1]).toMatchObject({ authorization: 'Bearer access-1', cookieOptIn: null });
  });

  it('moves a sign-up’s refresh token into the cookie with one refresh, and keeps none of it', async () => {
    const api = fakeApi((r) =>
      r.url.endsWith('/v1/auth/register')
        ? {
            status: 201,
            body: {
              merchant: { id: 'mer_1', businessName: 'Shop' },
              user: { email: 'a@b.co', emailVerified: false },
              accessToken: 'access-0',
              refreshToken: 'rt_json',
              tokenType: 'Bearer',
              expiresIn: 300,
            },
          }
        : { status: 200, body: { accessToken: 'access-1', tokenType: 'Bearer', expiresIn: 300 } },
    );
    const s = await signUp(
      { email: 'a@b.co', password: 'a long passphrase', businessName: 'Shop' },
      { baseUrl: 'http://x', fetch: api.fetch },
    );
    // A new account is unverified until its emailed link is opened: test mode only.
    expect(s).toEqual({ ...session(), emailVerified: false });
    expect(JSON.stringify(s)).not.toContain('rt_');
    expect(api.sent[1]).toMatchObject({
      url: 'http://x/v1/auth/refresh',
      body: { refreshToken: 'rt_json' },
      cookieOptIn: '1',
    });
  });

  it('restores a session from the cookie after a reload, or none when the cookie is gone', async () => {
    const me = { merchant: { id: 'mer_1', businessName: 'Shop' }, user: { email: 'a@b.co' }, mode: 'test' };
    const signedIn = fakeApi((r) =>
      r.url.endsWith('/v1/auth/refresh')
        ? { status: 200, body: { accessToken: 'access-1', tokenType: 'Bearer', expiresIn: 300 } }
        : { status: 200, body: me },
    );
    expect(await restoreSession({ baseUrl: 'http://x', fetch: signedIn.fetch })).toEqual(session());
    // `GET /v1/me` says whether the address is verified yet.
    const unverified = fakeApi((r) =>
      r.url.endsWith('/v1/auth/refresh')
        ? { status: 200, body: { accessToken: 'access-1', tokenType: 'Bearer', expiresIn: 300 } }
        : { status: 200, body: { ...me, user: { email: 'a@b.co', emailVerified: false } } },
    );
    expect(await restoreSession({ baseUrl: 'http://x', fetch: unverified.fetch })).toEqual({
      ...session(),
      emailVerified: false,
    });
    const signedOut = fakeApi(() => ({
      status: 401,
      body: { error: { type: 'authentication', code: 'invalid_refresh_token', message: 'No.' } },
    }));
    expect(await restoreSession({ baseUrl: 'http://x', fetch: signedOut.fetch })).toBeUndefined();
    const down = fakeApi(() => ({
      status: 503,
      body: { error: { type: 'api', code: 'x', message: 'Down.' } },
    }));
    await expect(restoreSession({ baseUrl: 'http://x', fetch: down.fetch })).rejects.toThrow('Down.');
  });

  it('signs the user out when the refresh is refused, and surfaces our error', async () => {
    const api = fakeApi((r) =>
      r.url.endsWith('/v1/auth/refresh')
        ? {
            status: 401,
            body: {
              error: {
                type: 'authentication',
                code: 'refresh_token_reused',
                message: 'Reused.',
                requestId: 'req-9',
              },
            },
          }
        : {
            status: 401,
            body: { error: { type: 'authentication', code: 'token_expired', message: 'Expired.' } },
          },
    );
    let expired = 0;
    const client = sessionClient(session(), {
      baseUrl: 'http://x',
      fetch: api.fetch,
      onExpired: () => expired++,
    }).client('test');
    const error = await client.apiKeys.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayBridgeError);
    expect(describeError(error)).toEqual({ message: 'Reused.', requestId: 'req-9' });
    expect(expired).toBe(1);
  });

  it('does not retry a 401 of a call that carried no token (a wrong password)', async () => {
    const api = fakeApi(() => ({
      status: 401,
      body: {
        error: { type: 'authentication', code: 'invalid_credentials', message: 'Wrong email or password.' },
      },
    }));
    const error = await signIn('a@b.co', 'nope', { baseUrl: 'http://x', fetch: api.fetch }).catch(
      (e: unknown) => e,
    );
    expect(describeError(error)).toEqual({ message: 'Wrong email or password.', requestId: 'req-header' });
    expect(api.sent).toHaveLength(1);
  });
});
