import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { Conflict, RateLimited } from '#core/errors';
import { http } from '#edge/http';

const context = { awsRequestId: 'aws-req', functionName: 'test' } as Context;

function event(over: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'GET /health',
    rawPath: '/health',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    isBase64Encoded: false,
    requestContext: {
      accountId: '1',
      apiId: 'a',
      domainName: 'd',
      domainPrefix: 'd',
      http: { method: 'GET', path: '/health', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 't' },
      requestId: 'req-1',
      routeKey: 'GET /health',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    ...over,
  };
}

const body = z.strictObject({
  name: z.string().check(z.minLength(2)),
  amount: z.int().check(z.positive()),
  nested: z.optional(z.strictObject({ flag: z.boolean() })),
});

const echo = http({ body }, async ({ body }) => ({ status: 201, body }));
const errorOf = async (e: APIGatewayProxyEventV2) => {
  const res = await echo(e, context);
  return { status: res.statusCode, ...(JSON.parse(res.body ?? '{}') as { error: Record<string, string> }) };
};

describe('http wrapper', () => {
  it('parses a valid JSON body and answers with security headers', async () => {
    const res = await echo(event({ body: '{"name":"ab","amount":5}' }), context);
    expect(res.statusCode).toBe(201);
    expect(JSON.parse(res.body ?? '')).toEqual({ name: 'ab', amount: 5 });
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      'strict-transport-security': expect.stringContaining('max-age='),
      'x-request-id': 'req-1',
    });
  });

  it('answers 400 invalid_json for malformed JSON', async () => {
    const out = await errorOf(event({ body: '{"name":' }));
    expect(out.status).toBe(400);
    expect(out.error).toMatchObject({ type: 'invalid_request', code: 'invalid_json', requestId: 'req-1' });
  });

  it('answers 415 for a body that is not declared as JSON', async () => {
    const out = await errorOf(event({ body: 'name=ab', headers: { 'content-type': 'text/plain' } }));
    expect(out.status).toBe(415);
    expect(out.error.code).toBe('unsupported_media_type');
  });

  it('rejects unknown fields, naming them, also when nested', async () => {
    const top = await errorOf(event({ body: '{"name":"ab","amount":5,"extra":1}' }));
    expect(top).toMatchObject({ status: 400, error: { code: 'unknown_field', param: 'extra' } });
    const nested = await errorOf(event({ body: '{"name":"ab","amount":5,"nested":{"flag":true,"x":1}}' }));
    expect(nested).toMatchObject({ status: 400, error: { code: 'unknown_field', param: 'nested.x' } });
  });

  it('distinguishes a missing field from a wrongly typed one', async () => {
    expect(await errorOf(event({ body: '{"name":"ab"}' }))).toMatchObject({
      status: 400,
      error: { code: 'missing_field', param: 'amount' },
    });
    expect(await errorOf(event({ body: '{"name":"ab","amount":"5"}' }))).toMatchObject({
      status: 400,
      error: { code: 'invalid_field', param: 'amount' },
    });
    expect(await errorOf(event({ body: '{"name":"ab","amount":1.5}' }))).toMatchObject({
      status: 400,
      error: { code: 'invalid_field', param: 'amount', message: '`amount` must be a whole number.' },
    });
  });

  it('rejects a JSON body that is not an object', async () => {
    expect(await errorOf(event({ body: '[1,2]' }))).toMatchObject({
      status: 400,
      error: { code: 'invalid_request' },
    });
  });

  it('answers 413 for a body over the limit before parsing it', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(70 * 1024), amount: 1 });
    expect(await errorOf(event({ body: big }))).toMatchObject({
      status: 413,
      error: { code: 'body_too_large' },
    });
  });

  it('decodes base64 bodies as API Gateway sends them', async () => {
    const res = await echo(
      event({ body: Buffer.from('{"name":"ab","amount":7}').toString('base64'), isBase64Encoded: true }),
      context,
    );
    expect(res.statusCode).toBe(201);
  });

  it('rejects query parameters a route does not declare', async () => {
    const out = await errorOf(
      event({ body: '{"name":"ab","amount":5}', queryStringParameters: { debug: '1' } }),
    );
    expect(out).toMatchObject({ status: 400, error: { code: 'unknown_parameter', param: 'debug' } });
  });

  it('maps typed domain errors to their status and code, with Retry-After on 429', async () => {
    const conflict = http({}, async () => {
      throw new Conflict('duplicate', 'Already exists.');
    });
    const res = await conflict(event(), context);
    expect(res.statusCode).toBe(409);
    expect(JSON.parse(res.body ?? '')).toEqual({
      error: { type: 'invalid_request', code: 'duplicate', message: 'Already exists.', requestId: 'req-1' },
    });
    const limited = http({}, async () => {
      throw new RateLimited('too_many', 'Slow down.', 30);
    });
    const res2 = await limited(event(), context);
    expect(res2.statusCode).toBe(429);
    expect(res2.headers?.['retry-after']).toBe('30');
  });

  it('hides unexpected errors behind a 500 that names no internals', async () => {
    const broken = http({}, async () => {
      throw new Error('ECONNREFUSED db.internal:8000 secret=abc');
    });
    const res = await broken(event(), context);
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('ECONNREFUSED');
    expect(JSON.parse(res.body ?? '').error).toMatchObject({ type: 'api', code: 'internal_error' });
  });

  it('refuses to serve a route key the route table does not know (fails closed)', async () => {
    const res = await echo(
      event({ routeKey: 'POST /admin/backdoor', body: '{"name":"ab","amount":5}' }),
      context,
    );
    expect(res.statusCode).toBe(500);
  });
});
