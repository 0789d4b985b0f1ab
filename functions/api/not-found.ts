import { MethodNotAllowed, NotFound } from '#core/errors';
import { http } from '#edge/http';
import { matchRoute } from '#routes';

/**
 * API Gateway's `$default` route: our error shape for unknown paths (404) and wrong methods (405).
 * Pages are forgiving: `/` (reached only without the dashboard in front) goes to the API reference,
 * and a public page asked for with a trailing
 * slash (`/docs/`) is redirected to its one address.
 */
export const handler = http({ ignoreInput: true }, async ({ event }) => {
  const method = event.requestContext.http.method;
  const path = event.rawPath;
  if (method === 'GET' || method === 'HEAD') {
    const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
    if (path === '/') return { status: 302, headers: { location: '/docs' } };
    const trimmed = path.replace(/\/+$/, '');
    if (trimmed !== path && trimmed !== '') {
      const page = matchRoute('GET', trimmed);
      if (page.kind === 'route' && page.route.credential === 'none') {
        return { status: 308, headers: { location: `${trimmed}${query}` } };
      }
    }
  }
  const match = matchRoute(method, path);
  if (match.kind === 'method') throw new MethodNotAllowed(match.allow);
  throw new NotFound('route_not_found', `No route for ${method} ${path}.`);
});
