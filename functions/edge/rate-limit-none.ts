import type { Actor } from '#core/actor';
import type { RateLimitClass } from '#routes';

/**
 * `#edge/rate-limiter` in the bundle of a route without a rate limit: package.json maps the import
 * here under the `paybridge-unlimited` condition, which lib/bundling.ts sets from the route row, so
 * such a bundle carries no rate-limit store (nor, for a public document, any DynamoDB client). It
 * fails closed if the route it serves declares a limit.
 */
export async function enforceRateLimit(kind: RateLimitClass, _sourceIp: string): Promise<void> {
  if (kind !== 'none')
    throw new Error(`this function was bundled without rate limits, but the route has ${kind}`);
}

export async function enforceCallerRateLimit(kind: RateLimitClass, _actor: Actor): Promise<void> {
  if (kind !== 'none')
    throw new Error(`this function was bundled without rate limits, but the route has ${kind}`);
}
