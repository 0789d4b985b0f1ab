import { RateLimited } from '#core/errors';
import { hit } from '#store/rate-limits';
import type { RateLimitClass } from '../routes.ts';
import { rateLimitKey } from './client-ip.ts';
import { config } from './config.ts';

/**
 * Applies a route's in-app rate-limit class (API Gateway throttling applies to
 * every route on top). `auth`: sign-up and sign-in per source IP, which slows
 * credential stuffing and account farming; IPv6 callers count per /64
 * (client-ip.ts). Throws RateLimited (429, Retry-After).
 */
export async function enforceRateLimit(kind: RateLimitClass, sourceIp: string): Promise<void> {
  if (kind !== 'auth') return;
  const result = await hit(kind, rateLimitKey(sourceIp), config().AUTH_RATE_LIMIT_PER_MINUTE, 60);
  if (!result.allowed) {
    throw new RateLimited(
      'rate_limited',
      'Too many requests from this address. Slow down.',
      result.retryAfter,
    );
  }
}
