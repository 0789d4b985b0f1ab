import { describe, expect, it } from 'vitest';
import { PayBridgeError } from '#client';
import { describeError, type Session, sessionClient, signIn } from '../../../dashboard/src/session.ts';

interface Sent {
  url: string;
  method: string;
  authorization: string | null;
  mode: string | null;
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
  accessToken: 'access-1',
  refreshToken: 'rt_1',
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

  it('refreshes an expired access token once, keeps the rotated tokens in memory and retries', async () => {
    const api = fakeApi((r) => {
      if (r.url.endsWith('/v1/auth/refresh')) {
        return {
          status: 200,
          body: { accessToken: 'access-2', refreshToken: 'rt_2', tokenType: 'Bearer', expiresIn: 900 },
        };
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
    expect(api.sent[1]?.body).toEqual({ refreshToken: 'rt_1' });
    expect(s).toMatchObject({ accessToken: 'access-2', refreshToken: 'rt_2' });
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
