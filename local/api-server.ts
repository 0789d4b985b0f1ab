import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { ValidationFailed } from '#core/errors';
import { errorReply } from '#edge/errors';
import { outboxMessages } from '#runtime/mail';
import { fallback, matchRoute, routeKey } from '#routes';
import { apiGatewayEvent } from './api-event.ts';
import { serveDashboard } from './dashboard.ts';
import { lambdaContext, loadHandler } from './lambda.ts';

/** API Gateway's payload limit; larger bodies get a 413 before any handler runs. */
const maxPayloadBytes = 10 * 1024 * 1024;

export interface LocalApi {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Serves the route table like API Gateway's HTTP API does: each request becomes a
 * payload-2.0 event for the real handler, and its result is written back faithfully
 * (status, headers, cookies, base64 bodies). Unmatched requests go to the `$default`
 * handler, as in the cloud.
 */
export async function startApi(port: number): Promise<LocalApi> {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Only a bug in this server lands here: API Gateway would answer 500 too.
      console.error('local api server error', error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"message":"Internal Server Error"}');
    });
  });
  // Idle keep-alive connections stay open longer than any client keeps them (Node's fetch: about 4 s, with a
  // coarse timer), so a client never reuses a socket this server is closing at that instant ("other side
  // closed"); as behind API Gateway or a load balancer, the server outlives the client.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const listen = (on: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: on, host: '127.0.0.1', exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  // A busy preferred port is replaced by a free one, as for every other local server.
  await listen(port).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE' || port === 0) throw error;
    await listen(0);
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return { url: `http://127.0.0.1:${actual}`, port: actual, stop: () => close(server) };
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  if (body === undefined) {
    // Past API Gateway's 10 MB no handler runs; answer in our error shape all the same, as every
    // smaller refusal does (the wrapper refuses anything over its route's limit with this code).
    const tooLarge = new ValidationFailed(
      'body_too_large',
      `The request body is over ${maxPayloadBytes} bytes, API Gateway's limit.`,
      undefined,
      413,
    );
    const reply = errorReply(tooLarge, randomUUID());
    res.writeHead(reply.status, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify(reply.body));
    return;
  }
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  // The local outbox: the emails the stack "sent" (verification, password reset), newest last.
  // Local only (this server listens on 127.0.0.1); the cloud has no such route.
  if (url.pathname === '/_local/outbox' && req.method === 'GET') {
    const to = url.searchParams.get('to') ?? undefined;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ data: outboxMessages(to === undefined ? {} : { to }) }));
    return;
  }
  // The dashboard's static files (CloudFront + S3 in the cloud); everything else is the API.
  if (serveDashboard(req, res, url)) return;
  const method = (req.method ?? 'GET').toUpperCase();
  const match = matchRoute(method, url.pathname);
  const module = match.kind === 'route' ? match.route.handler : fallback.handler;
  const key = match.kind === 'route' ? routeKey(match.route) : '$default';
  const params = match.kind === 'route' ? match.params : undefined;
  const event = toEvent(req, url, method, key, params, body);
  const handler = await loadHandler(module);
  const result = (await handler(
    event,
    lambdaContext(module, match.kind === 'route' ? match.route.timeoutSeconds : 10),
  )) as APIGatewayProxyResultV2;
  writeResult(res, result);
}

export function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxPayloadBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The event API Gateway's HTTP API would send for this request (local/api-event.ts builds it). */
export function toEvent(
  req: IncomingMessage,
  url: URL,
  method: string,
  key: string,
  params: Record<string, string> | undefined,
  body: Buffer,
): APIGatewayProxyEventV2 {
  return apiGatewayEvent({
    method,
    path: url.pathname,
    routeKey: key,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers: req.rawHeaders,
    pathParameters: params,
    body,
    sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, ''),
    protocol: `HTTP/${req.httpVersion}`,
  });
}

/** Writes a handler result the way API Gateway's payload 2.0 format does. */
export function writeResult(res: ServerResponse, result: APIGatewayProxyResultV2): void {
  // A result without `statusCode` is taken as a 200 JSON body, as API Gateway does.
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    const text = typeof result === 'string' ? result : JSON.stringify(result);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(text);
    return;
  }
  const structured = result;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {})) headers[name] = String(value);
  if (structured.cookies && structured.cookies.length > 0) headers['set-cookie'] = structured.cookies;
  const body = structured.body ?? '';
  const bytes = structured.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  res.writeHead(structured.statusCode ?? 200, headers);
  res.end(bytes);
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
