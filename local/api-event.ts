import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { matchRoute, type Method, routeKey } from '#routes';

/**
 * The one builder of API Gateway HTTP API (payload 2.0) events outside the cloud:
 * the local API server (local/api-server.ts) turns each request into one, the
 * benchmarks (bench/fixtures.ts) hand one straight to a handler, and so do the
 * tests that call a handler directly. What API Gateway does is written here once:
 * header names lower-cased and repeats joined with commas, the `Cookie` header
 * split into `cookies`, repeated query parameters joined with commas on an object
 * without a prototype, text bodies passed as is and everything else base64.
 */
export interface ApiEventRequest {
  readonly method: string;
  /** The path as received (still percent-encoded): `rawPath` and `requestContext.http.path`. */
  readonly path: string;
  /** `METHOD /path/{param}` of the matched route, or `$default`. */
  readonly routeKey: string;
  /** The query string without its `?`. */
  readonly rawQueryString?: string | undefined;
  /** As a record, or as Node's `rawHeaders` (name, value, name, value, …) to keep repeats. */
  readonly headers?: Readonly<Record<string, string>> | readonly string[] | undefined;
  readonly pathParameters?: Readonly<Record<string, string>> | undefined;
  readonly body?: Buffer | string | undefined;
  readonly sourceIp?: string | undefined;
  /** `HTTP/1.1` unless said. */
  readonly protocol?: string | undefined;
  readonly requestId?: string | undefined;
  readonly now?: Date | undefined;
}

/** API Gateway passes text bodies as is and base64-encodes everything else. */
export function isTextBody(contentType: string | undefined): boolean {
  if (!contentType) return false;
  return /^(text\/|application\/(json|[\w.+-]+\+json|xml|[\w.+-]+\+xml|x-www-form-urlencoded|javascript))/i.test(
    contentType,
  );
}

function headerPairs(headers: ApiEventRequest['headers']): [string, string][] {
  if (headers === undefined) return [];
  if (!Array.isArray(headers)) return Object.entries(headers as Readonly<Record<string, string>>);
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < headers.length; i += 2)
    pairs.push([headers[i] as string, headers[i + 1] as string]);
  return pairs;
}

/** The payload 2.0 event API Gateway's HTTP API would hand the function for this request. */
export function apiGatewayEvent(request: ApiEventRequest): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  const cookies: string[] = [];
  for (const [rawName, value] of headerPairs(request.headers)) {
    const name = rawName.toLowerCase();
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      );
      continue;
    }
    // API Gateway joins repeated headers with commas.
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const rawQueryString = request.rawQueryString ?? '';
  // No prototype: `?__proto__=x` must arrive as a parameter, as API Gateway passes it.
  const query: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  const body = request.body ?? '';
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const text = isTextBody(headers['content-type']);
  const now = request.now ?? new Date();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: request.routeKey,
    rawPath: request.path,
    rawQueryString,
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: (headers.host ?? '127').split('.')[0] as string,
      http: {
        method: request.method,
        path: request.path,
        protocol: request.protocol ?? 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: request.requestId ?? randomUUID(),
      routeKey: request.routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: bytes.length > 0 && !text,
  };
  if (cookies.length > 0) event.cookies = cookies;
  if (Object.keys(query).length > 0) event.queryStringParameters = query;
  if (request.pathParameters && Object.keys(request.pathParameters).length > 0) {
    event.pathParameters = { ...request.pathParameters };
  }
  if (bytes.length > 0) event.body = text ? bytes.toString('utf8') : bytes.toString('base64');
  return event;
}

/** A request by method and target (`/v1/payments?limit=5`), as a client would make it. */
export interface RouteRequest {
  readonly method: Method;
  /** Path and optional query string. */
  readonly target: string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Sent as JSON (`content-type: application/json` unless a header says otherwise). */
  readonly json?: unknown;
  /** Sent as is. */
  readonly body?: Buffer | string | undefined;
  readonly sourceIp?: string | undefined;
  readonly requestId?: string | undefined;
}

/**
 * The event for a request to the route table: its route key and path parameters
 * from the same matcher the local server and the cloud's routes use (`$default`
 * when nothing matches).
 */
export function routeEvent(request: RouteRequest): APIGatewayProxyEventV2 {
  const url = new URL(request.target, 'http://127.0.0.1');
  const match = matchRoute(request.method, url.pathname);
  const headers: Record<string, string> = { ...request.headers };
  let body = request.body;
  if (request.json !== undefined) {
    body = JSON.stringify(request.json);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
  }
  return apiGatewayEvent({
    method: request.method,
    path: url.pathname,
    routeKey: match.kind === 'route' ? routeKey(match.route) : '$default',
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    pathParameters: match.kind === 'route' ? match.params : undefined,
    body,
    sourceIp: request.sourceIp,
    requestId: request.requestId,
  });
}
