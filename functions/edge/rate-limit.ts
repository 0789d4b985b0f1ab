import type { Actor } from '#core/actor';
import { RateLimited } from '#core/errors';
import { hit } from '#store/rate-limits';
import type { RateLimitClass } from '#routes';
import { rateLimitKey } from '#edge/client-ip';
import { config } from '#runtime/config';

/**
 * The in-app limits of each route's rate-limit class, fixed one-minute windows
 * (API Gateway's stage throttle applies to every route on top). Each throws
 * RateLimited: 429, `Retry-After` in seconds, our error shape.
 *
 * | class      | before authentication            | after authentication                   |
 * | ---------- | -------------------------------- | -------------------------------------- |
 * | `auth`     | per source IP (AUTH_…)           | —                                      |
 * | `standard` | per source IP (IP_…)             | per API key or dashboard user (CALLER_…) |
 * | `webhook`  | per source IP (WEBHOOK_…)        | —                                      |
 * | `none`     | —                                | —                                      |
 *
 * IPv6 addresses count per /64. The per-IP limit runs first, so a flood of bad credentials is refused before it
 * costs a key lookup; the per-caller one stops one leaked or runaway key from using
 * a merchant's (or everyone's) share.
 */
export async function enforceRateLimit(kind: RateLimitClass, sourceIp: string): Promise<void> {
  // Public documents read no configuration at all (their bundle carries none).
  if (kind === 'none') return;
  const c = config();
  const limit =
    kind === 'auth'
      ? c.AUTH_RATE_LIMIT_PER_MINUTE
      : kind === 'standard'
        ? c.IP_RATE_LIMIT_PER_MINUTE
        : c.WEBHOOK_RATE_LIMIT_PER_MINUTE;
  // IPv6 callers count per /64 (client-ip.ts). `auth` keeps its counter name (RATE#auth#<ip>);
  // the others name what they count.
  const ip = rateLimitKey(sourceIp);
  const who = kind === 'auth' ? ip : `ip:${ip}`;
  await within(kind, who, limit, 'Too many requests from this address. Slow down.');
}

/** The per-caller limit of `standard` routes, once the credential is known. */
export async function enforceCallerRateLimit(kind: RateLimitClass, actor: Actor): Promise<void> {
  if (kind !== 'standard' || actor.kind === 'anonymous') return;
  const who = actor.kind === 'apiKey' ? `key:${actor.keyId}` : `user:${actor.userId}`;
  await within(
    kind,
    who,
    config().CALLER_RATE_LIMIT_PER_MINUTE,
    actor.kind === 'apiKey'
      ? 'Too many requests with this API key. Slow down.'
      : 'Too many requests. Slow down.',
  );
}

async function within(kind: string, who: string, limit: number, message: string): Promise<void> {
  const result = await hit(kind, who, limit, 60);
  if (!result.allowed) throw new RateLimited('rate_limited', message, result.retryAfter);
}
