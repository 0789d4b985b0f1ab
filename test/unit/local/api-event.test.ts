import { describe, expect, it } from 'vitest';
import { apiGatewayEvent, routeEvent } from '#local/api-event';

describe('the API Gateway event builder (local server, bench and tests)', () => {
  it('lower-cases header names, joins repeats with commas and moves cookies to `cookies`', () => {
    const event = apiGatewayEvent({
      method: 'GET',
      path: '/v1/me',
      routeKey: 'GET /v1/me',
      headers: [
        'X-Forwarded-For',
        '10.0.0.1',
        'x-forwarded-for',
        '10.0.0.2',
        'Cookie',
        'a=1; b=2',
        'Host',
        'api.example.com',
      ],
    });
    expect(event.headers['x-forwarded-for']).toBe('10.0.0.1,10.0.0.2');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.cookies).toEqual(['a=1', 'b=2']);
    expect(event.requestContext.domainName).toBe('api.example.com');
    expect(event.requestContext.domainPrefix).toBe('api');
  });

  it('joins repeated query parameters on an object without a prototype', () => {
    const event = apiGatewayEvent({
      method: 'GET',
      path: '/v1/payments',
      routeKey: 'GET /v1/payments',
      rawQueryString: 'status=failed&status=expired&__proto__=x',
    });
    expect(event.rawQueryString).toBe('status=failed&status=expired&__proto__=x');
    expect(Object.getPrototypeOf(event.queryStringParameters)).toBeNull();
    expect({ ...event.queryStringParameters }).toEqual({ status: 'failed,expired', ['__proto__']: 'x' });
  });

  it('passes a text body as is and base64-encodes any other', () => {
    const json = apiGatewayEvent({
      method: 'POST',
      path: '/x',
      routeKey: '$default',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(json).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
    const bytes = Buffer.from([0, 255, 10]);
    const binary = apiGatewayEvent({
      method: 'POST',
      path: '/x',
      routeKey: '$default',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(binary.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.body ?? '', 'base64').equals(bytes)).toBe(true);
    const empty = apiGatewayEvent({ method: 'GET', path: '/x', routeKey: '$default' });
    expect(empty.body).toBeUndefined();
    expect(empty.isBase64Encoded).toBe(false);
  });

  it('takes the route key and path parameters from the route table', () => {
    const id = 'pay_01J0000000000000000000000A';
    const event = routeEvent({
      method: 'POST',
      target: `/v1/payments/${id}/refunds?expand=x`,
      json: { amount: 100 },
      sourceIp: '2001:db8::1',
      requestId: 'req-1',
    });
    expect(event).toMatchObject({
      routeKey: 'POST /v1/payments/{id}/refunds',
      rawPath: `/v1/payments/${id}/refunds`,
      rawQueryString: 'expand=x',
      pathParameters: { id },
      body: '{"amount":100}',
      isBase64Encoded: false,
      requestContext: {
        requestId: 'req-1',
        routeKey: 'POST /v1/payments/{id}/refunds',
        http: { method: 'POST', sourceIp: '2001:db8::1', path: `/v1/payments/${id}/refunds` },
      },
    });
    expect(event.headers['content-type']).toBe('application/json');
  });

  it('is the `$default` route when nothing in the table matches', () => {
    const event = routeEvent({ method: 'GET', target: '/no/such/route' });
    expect(event.routeKey).toBe('$default');
    expect(event.pathParameters).toBeUndefined();
  });
});
