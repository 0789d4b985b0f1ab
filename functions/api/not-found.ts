import { MethodNotAllowed, NotFound } from '#core/errors';
import { http } from '#platform/http';
import { matchRoute } from '../routes.ts';

/** API Gateway's `$default` route: our error shape for unknown paths (404) and wrong methods (405). */
export const handler = http({ ignoreInput: true }, async ({ event }) => {
  const match = matchRoute(event.requestContext.http.method, event.rawPath);
  if (match.kind === 'method') throw new MethodNotAllowed(match.allow);
  throw new NotFound('route_not_found', `No route for ${event.requestContext.http.method} ${event.rawPath}.`);
});
