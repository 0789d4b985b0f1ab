import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { RequestMeta } from '#core/actor';
import { AppError } from '#core/errors';
import { type Route, routeFor } from '#routes';
// The route decides what its function bundles: these two resolve by the package.json `imports`
// conditions lib/bundling.ts sets from the route row. A public row's bundle gets edge/auth-public.ts
// (no JWT code, no identity store), a row without a limit edge/rate-limit-none.ts (no rate-limit store);
// every other bundle, and tsx/vitest/`npm start`, the real edge/auth.ts and edge/rate-limit.ts.
import { type Actor, authenticate } from '#edge/authenticate';
import { enforceCallerRateLimit, enforceRateLimit } from '#edge/rate-limiter';
import { errorReply } from '#edge/errors';
import { logger } from '#runtime/logger';
import { defaultMaxBodyBytes, parseBody, parseParams, parseQuery, type Schema } from '#edge/request';

class RouteNotInTable extends Error {
  constructor(key: string) {
    super(`route key ${JSON.stringify(key)} is not in functions/routes.ts`);
  }
}

/** Sent on every response: API answers are private, typed and never cached. */
export const securityHeaders: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export interface HttpRequest<B, Q, P> {
  readonly body: B;
  readonly query: Q;
  readonly params: P;
  readonly actor: Actor;
  readonly route: Route | undefined;
  readonly requestId: string;
  /** What the audit log and security events record about this request. */
  readonly meta: RequestMeta;
  readonly event: APIGatewayProxyEventV2;
}

export interface HttpReply {
  readonly status?: number;
  readonly body?: unknown;
  /** A body sent as is instead of JSON (the docs page and its assets); set its content-type in `headers`. */
  readonly text?: string;
  readonly headers?: Record<string, string>;
  readonly cookies?: string[];
}

export interface HttpSpec<B, Q, P> {
  readonly body?: Schema<B>;
  readonly query?: Schema<Q>;
  readonly params?: Schema<P>;
  readonly maxBodyBytes?: number;
  /** Skip body and query validation (the `$default` route answers 404/405 whatever was sent). */
  readonly ignoreInput?: boolean;
}

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * A handler that carries the spec it validates with, so the OpenAPI document
 * (functions/openapi.ts) and the typed client read the very schemas the route enforces.
 */
export type SpecifiedHandler<B, Q, P> = HttpHandler & { readonly spec: HttpSpec<B, Q, P> };

/**
 * The one HTTP handler wrapper. It finds the route's row by API Gateway's route
 * key, authenticates the declared credential, validates body, query and path with
 * zod, calls the handler, and shapes the answer; every error becomes our error
 * shape via one mapper, logged once with the request id.
 */
export function http<B = undefined, Q = Record<string, never>, P = Record<string, string>>(
  spec: HttpSpec<B, Q, P>,
  fn: (request: HttpRequest<B, Q, P>) => Promise<HttpReply>,
): SpecifiedHandler<B, Q, P> {
  const core = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const started = performance.now();
    const requestId = event.requestContext?.requestId ?? 'unknown';
    const route = routeFor(event.routeKey);
    logger.appendKeys({ requestId, routeKey: event.routeKey });
    let reply: {
      status: number;
      body: unknown;
      text?: string;
      headers: Record<string, string>;
      cookies?: string[];
    };
    let errorCode: string | undefined;
    try {
      // Fail closed: a handler reached under a route key the table does not know
      // (a mis-wired deployment, a hand-made event) serves nobody.
      if (!route && event.routeKey !== '$default') throw new RouteNotInTable(event.routeKey);
      if (route) await enforceRateLimit(route.rateLimit, event.requestContext?.http?.sourceIp ?? '');
      const actor = await authenticate(route?.credential ?? 'none', event, route?.apiKeyScope);
      if (route) await enforceCallerRateLimit(route.rateLimit, actor);
      if (actor.kind !== 'anonymous') logger.appendKeys({ merchantId: actor.merchantId });
      const request: HttpRequest<B, Q, P> = {
        params: parseParams(event, spec.params),
        query: spec.ignoreInput ? ({} as Q) : parseQuery(event, spec.query),
        body: spec.ignoreInput
          ? (undefined as B)
          : parseBody(event, spec.body, spec.maxBodyBytes ?? defaultMaxBodyBytes),
        actor,
        route,
        requestId,
        meta: {
          ip: event.requestContext?.http?.sourceIp ?? '',
          userAgent: event.requestContext?.http?.userAgent ?? '',
          requestId,
        },
        event,
      };
      const out = await fn(request);
      reply = {
        status: out.status ?? 200,
        body: out.body,
        ...(out.text === undefined ? {} : { text: out.text }),
        headers: out.headers ?? {},
        ...(out.cookies ? { cookies: out.cookies } : {}),
      };
    } catch (error) {
      const mapped = errorReply(error, requestId);
      errorCode = mapped.body.error.code;
      if (!(error instanceof AppError) || mapped.status >= 500) {
        logger.error('request failed', { error: error as Error });
      }
      reply = mapped;
    }
    logger.info('request', {
      method: event.requestContext?.http?.method,
      status: reply.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      ...(errorCode ? { errorCode } : {}),
    });
    return {
      statusCode: reply.status,
      headers: { ...securityHeaders, 'x-request-id': requestId, ...reply.headers },
      body: reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body)),
      ...(reply.cookies ? { cookies: reply.cookies } : {}),
    };
  };
  const handler = middy(core).use(injectLambdaContext(logger, { resetKeys: true })) as unknown as HttpHandler;
  return Object.assign(handler, { spec });
}
