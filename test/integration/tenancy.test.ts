import { beforeAll, describe, expect, it } from 'vitest';
import { routeKey, routes } from '#routes';
import { useApi } from '#test/http';
import { bearer, createKey, registerMerchant, type TestMerchant } from '#test/merchants';

/**
 * The tenancy sweep: for every route in the table, a caller from merchant B
 * never sees or touches merchant A's objects, and a route that takes
 * credentials refuses a request without them. A new route fails this test
 * until it is given a case below.
 */
const api = useApi();

interface World {
  a: TestMerchant;
  b: TestMerchant;
  aKeys: { test: { id: string; key: string }; live: { id: string; key: string } };
  bKeys: { test: { id: string; key: string }; live: { id: string; key: string } };
}
let w: World;

beforeAll(async () => {
  const a = await registerMerchant(api.request, 'Merchant A');
  const b = await registerMerchant(api.request, 'Merchant B');
  w = {
    a,
    b,
    aKeys: { test: await createKey(api.request, a, 'test'), live: await createKey(api.request, a, 'live') },
    bKeys: { test: await createKey(api.request, b, 'test'), live: await createKey(api.request, b, 'live') },
  };
});

type Case =
  | { kind: 'public' }
  /** B's credential on a path naming A's object → 404, and A's object unchanged. */
  | { kind: 'object'; path: (w: World) => string; method: string; check?: (w: World) => Promise<void> }
  /** B's listing never shows A's objects. */
  | { kind: 'list'; path: string; mustNotContain: (w: World) => string[] }
  /** Acts only on the caller's own merchant, whatever the request says. */
  | { kind: 'self'; path: string; method: string; body?: unknown; check: (w: World) => Promise<void> };

const cases: Record<string, Case> = {
  'GET /health': { kind: 'public' },
  'POST /v1/auth/register': { kind: 'public' },
  'POST /v1/auth/login': { kind: 'public' },
  'POST /v1/auth/refresh': { kind: 'public' },
  'POST /v1/auth/logout': {
    kind: 'self',
    path: '/v1/auth/logout',
    method: 'POST',
    // B logging out leaves A's session alive.
    check: async (w) => {
      const res = await api.request('/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: w.a.refreshToken }),
      });
      expect(res.status).toBe(200);
      w.a.refreshToken = ((await res.json()) as { refreshToken: string }).refreshToken;
    },
  },
  'GET /v1/me': { kind: 'list', path: '/v1/me', mustNotContain: (w) => [w.a.merchantId, w.a.userId] },
  'PATCH /v1/me': {
    kind: 'self',
    path: '/v1/me',
    method: 'PATCH',
    body: { businessName: 'Changed by B' },
    check: async (w) => {
      const res = await api.request('/v1/me', bearer(w.a.accessToken));
      expect(((await res.json()) as { merchant: { businessName: string } }).merchant.businessName).toBe(
        'Merchant A',
      );
    },
  },
  'POST /v1/api-keys': {
    kind: 'self',
    path: '/v1/api-keys',
    method: 'POST',
    body: { name: 'b key', mode: 'test' },
    check: async (w) => {
      const res = await api.request('/v1/api-keys', bearer(w.a.accessToken));
      expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(2);
    },
  },
  'GET /v1/api-keys': {
    kind: 'list',
    path: '/v1/api-keys',
    mustNotContain: (w) => [w.aKeys.test.id, w.aKeys.live.id, w.aKeys.test.key.slice(0, 12)],
  },
  'POST /v1/api-keys/{id}/revoke': {
    kind: 'object',
    method: 'POST',
    path: (w) => `/v1/api-keys/${w.aKeys.live.id}/revoke`,
    check: async (w) => {
      // A's key still works.
      expect((await api.request('/v1/me', bearer(w.aKeys.live.key))).status).toBe(200);
    },
  },
  'GET /v1/audit-logs': {
    kind: 'list',
    path: '/v1/audit-logs?limit=100',
    mustNotContain: (w) => [w.a.merchantId],
  },
  'GET /v1/security-events': {
    kind: 'list',
    path: '/v1/security-events',
    mustNotContain: (w) => [w.a.merchantId],
  },
  'GET /v1/admin/merchants': { kind: 'public' /* admin-only: covered by the 403 check below */ },
  'GET /v1/admin/audit-logs': { kind: 'public' /* admin-only: covered by the 403 check below */ },
};

describe('tenancy sweep over the route table', () => {
  it('has a case for every route', () => {
    expect(routes.map(routeKey).filter((key) => !(key in cases))).toEqual([]);
  });

  it.each(routes.filter((r) => r.credential !== 'none').map((r) => [routeKey(r), r] as const))(
    '%s refuses a request without credentials (401)',
    async (_key, route) => {
      const path = route.path.replace(/\{[^}]+\}/g, 'key_01ARZ3NDEKTSV4RRFFQ69G5FAV');
      const res = await api.request(path, { method: route.method });
      expect(res.status).toBe(401);
    },
  );

  it.each(routes.filter((r) => r.credential === 'admin').map((r) => [routeKey(r), r] as const))(
    '%s refuses a merchant owner (403)',
    async (_key, route) => {
      const res = await api.request(route.path, bearer(w.b.accessToken));
      expect(res.status).toBe(403);
    },
  );

  it.each(routes.map((r) => [routeKey(r), r] as const))(
    '%s keeps merchant A’s data from merchant B',
    async (key, route) => {
      const c = cases[key];
      if (!c || c.kind === 'public') return;
      const credentials =
        route.credential === 'apiKey' ? [w.bKeys.test.key, w.bKeys.live.key] : [w.b.accessToken];
      if (route.credential === 'apiKeyOrDashboard') credentials.push(w.bKeys.test.key, w.bKeys.live.key);
      for (const credential of credentials) {
        if (c.kind === 'object') {
          const res = await api.request(c.path(w), { method: c.method, ...bearer(credential) });
          expect(res.status).toBe(404);
          await c.check?.(w);
        } else if (c.kind === 'list') {
          const res = await api.request(c.path, bearer(credential));
          expect(res.status).toBe(200);
          const text = await res.text();
          for (const secret of c.mustNotContain(w)) expect(text).not.toContain(secret);
        } else {
          const res = await api.request(c.path, {
            method: c.method,
            headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
            ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
          });
          expect(res.status).toBeLessThan(300);
          await c.check(w);
        }
      }
    },
  );

  it('refuses a list cursor taken from another merchant’s list', async () => {
    const page = await api.request('/v1/audit-logs?limit=1', bearer(w.a.accessToken));
    const { nextCursor } = (await page.json()) as { nextCursor: string };
    expect(nextCursor).toBeTruthy();
    const res = await api.request(
      `/v1/audit-logs?cursor=${encodeURIComponent(nextCursor)}`,
      bearer(w.b.accessToken),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_cursor');
  });
});
