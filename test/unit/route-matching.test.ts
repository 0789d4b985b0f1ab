import { describe, expect, it } from 'vitest';
import { matchRoute, routeFor, routeKey, routes } from '#routes';

/**
 * Parameterised routes: `routeFor` (API Gateway's route key → row, what the handler wrapper
 * reads) and `matchRoute` (a concrete path → row and parameters, what the local API server and
 * the `$default` fallback use).
 */
const pay = 'pay_01JD6F5Q0Z3M8W2XK7T4N9HRBE';

const routed = (method: string, path: string) => {
  const match = matchRoute(method, path);
  if (match.kind !== 'route') throw new Error(`${method} ${path}: ${JSON.stringify(match)}`);
  return { handler: match.route.handler, params: match.params };
};

describe('routeFor: the row of an API Gateway route key', () => {
  it('tells a payment’s refunds from the payment itself, by method and template', () => {
    expect(routeFor('POST /v1/payments/{id}/refunds')?.handler).toBe('api/create-refund.ts');
    expect(routeFor('GET /v1/payments/{id}/refunds')?.handler).toBe('api/list-payment-refunds.ts');
    expect(routeFor('GET /v1/payments/{id}')?.handler).toBe('api/get-payment.ts');
    expect(routeFor('POST /v1/payments/{id}/verify')?.handler).toBe('api/verify-payment.ts');
  });

  it('knows templates only: a concrete path, another method, a trailing slash or a renamed parameter is no row', () => {
    expect(routeFor(`GET /v1/payments/${pay}`)).toBeUndefined();
    expect(routeFor('DELETE /v1/payments/{id}')).toBeUndefined();
    expect(routeFor('GET /v1/payments/{id}/')).toBeUndefined();
    expect(routeFor('GET /v1/payments/{paymentId}')).toBeUndefined();
  });
});

describe('matchRoute: a concrete path', () => {
  it('sends /v1/payments/{id}/refunds and /v1/payments/{id} to their own handlers, with the id', () => {
    expect(routed('POST', `/v1/payments/${pay}/refunds`)).toEqual({
      handler: 'api/create-refund.ts',
      params: { id: pay },
    });
    expect(routed('GET', `/v1/payments/${pay}/refunds`)).toEqual({
      handler: 'api/list-payment-refunds.ts',
      params: { id: pay },
    });
    expect(routed('GET', `/v1/payments/${pay}`)).toEqual({
      handler: 'api/get-payment.ts',
      params: { id: pay },
    });
    expect(routed('GET', '/v1/payments')).toEqual({ handler: 'api/list-payments.ts', params: {} });
  });

  it('takes two parameters in order', () => {
    expect(routed('POST', '/hooks/paystack/abc_DEF-123')).toEqual({
      handler: 'hooks/receive-provider-webhook.ts',
      params: { provider: 'paystack', token: 'abc_DEF-123' },
    });
  });

  it('answers "method" with exactly the methods of the matched template', () => {
    expect(matchRoute('DELETE', `/v1/payments/${pay}/refunds`)).toEqual({
      kind: 'method',
      allow: ['POST', 'GET'],
    });
    expect(matchRoute('PUT', `/v1/payments/${pay}`)).toEqual({ kind: 'method', allow: ['GET'] });
    expect(matchRoute('PATCH', '/v1/payments')).toEqual({ kind: 'method', allow: ['POST', 'GET'] });
  });

  it('matches no route for a trailing slash, an empty segment or an extra segment', () => {
    for (const path of [
      `/v1/payments/${pay}/`,
      `/v1/payments/${pay}/refunds/`,
      '/v1/payments/',
      '/v1/payments//refunds',
      `/v1/payments/${pay}/refunds/re_1`,
      '/health/',
      '//health',
    ]) {
      expect(matchRoute('GET', path), path).toEqual({ kind: 'none' });
    }
  });

  it('decodes a parameter’s percent-encoding, and an encoded slash stays inside its one segment', () => {
    expect(routed('GET', '/v1/payments/pay%5F01')).toEqual({
      handler: 'api/get-payment.ts',
      params: { id: 'pay_01' },
    });
    // `a%2Frefunds` is one segment: the payment read with that id, never the refunds route.
    expect(routed('GET', '/v1/payments/a%2Frefunds')).toEqual({
      handler: 'api/get-payment.ts',
      params: { id: 'a/refunds' },
    });
    expect(routed('GET', '/v1/payments/%C3%A9')).toEqual({
      handler: 'api/get-payment.ts',
      params: { id: 'é' },
    });
  });

  it('matches literal segments as written: no decoding, no case folding', () => {
    expect(matchRoute('GET', `/v1/payments/${pay}/%72efunds`)).toEqual({ kind: 'none' });
    expect(matchRoute('GET', `/V1/payments/${pay}`)).toEqual({ kind: 'none' });
  });

  it('matches no route for a parameter that is not valid percent-encoding', () => {
    for (const segment of ['%', '%ZZ', '%C3%28', '%E2%82']) {
      expect(matchRoute('GET', `/v1/payments/${segment}`), segment).toEqual({ kind: 'none' });
    }
  });

  it('finds every row of the table from a path built from its own template', () => {
    for (const route of routes) {
      const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
      const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => `v-${name}`);
      const match = matchRoute(route.method, path);
      expect(match.kind, routeKey(route)).toBe('route');
      if (match.kind !== 'route') continue;
      expect(routeKey(match.route), path).toBe(routeKey(route));
      expect(match.params).toEqual(Object.fromEntries(names.map((name) => [name, `v-${name}`])));
    }
  });
});
