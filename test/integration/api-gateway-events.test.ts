import { createServer, type Server } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody, toEvent, writeResult } from '#local/api-server';

// A server that runs the local API server's translation both ways around a
// handler we control, to check it behaves like API Gateway's payload 2.0.
let server: Server;
let base = '';
let lastEvent: APIGatewayProxyEventV2 | undefined;
let nextResult: APIGatewayProxyResultV2 = { statusCode: 204 };

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((read) => {
      const body = read ?? Buffer.alloc(0);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      lastEvent = toEvent(req, url, req.method ?? 'GET', 'POST /things/{id}', { id: 'thing 1' }, body);
      writeResult(res, nextResult);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('API Gateway v2 event translation', () => {
  it('builds a payload 2.0 event: route key, path params, joined query values, cookies apart', async () => {
    await fetch(`${base}/things/thing%201?a=1&a=2&b=x`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: 'session=abc; theme=dark', 'X-Custom': 'Yes' },
      body: '{"hello":"world"}',
    });
    expect(lastEvent).toMatchObject({
      version: '2.0',
      routeKey: 'POST /things/{id}',
      rawPath: '/things/thing%201',
      rawQueryString: 'a=1&a=2&b=x',
      queryStringParameters: { a: '1,2', b: 'x' },
      pathParameters: { id: 'thing 1' },
      cookies: ['session=abc', 'theme=dark'],
      body: '{"hello":"world"}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', sourceIp: '127.0.0.1' }, stage: '$default' },
    });
    expect(lastEvent?.headers['x-custom']).toBe('Yes');
    expect(lastEvent?.headers.cookie).toBeUndefined();
  });

  it('base64-encodes a binary body and keeps its bytes', async () => {
    const bytes = Buffer.from([0, 255, 1, 254, 10]);
    await fetch(`${base}/things/1`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(lastEvent?.isBase64Encoded).toBe(true);
    expect(Buffer.from(lastEvent?.body ?? '', 'base64').equals(bytes)).toBe(true);
  });

  it('writes status, headers, cookies and a base64 body back faithfully', async () => {
    nextResult = {
      statusCode: 201,
      headers: { 'x-one': '1', 'content-type': 'image/png' },
      cookies: ['a=1; Path=/', 'b=2; HttpOnly'],
      body: Buffer.from([137, 80, 78, 71]).toString('base64'),
      isBase64Encoded: true,
    };
    const res = await fetch(`${base}/things/1`, { method: 'POST' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-one')).toBe('1');
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([137, 80, 78, 71]));
  });

  it('treats a result without statusCode as a 200 JSON body, as API Gateway does', async () => {
    nextResult = { hello: 'world' } as unknown as APIGatewayProxyResultV2;
    const res = await fetch(`${base}/things/1`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ hello: 'world' });
  });
});
