import type { Actor } from '#core/actor';
import { RateLimited } from '#core/errors';
import { addHits, hit, retryAfter, windowStartOf } from '#store/rate-limits';
import type { RateLimitClass } from '#routes';
import { rateLimitKey } from '#edge/client-ip';
import { config } from '#runtime/config';
import { LruCache } from '#runtime/lru';

/**
 * The in-app limits of each route's rate-limit class, fixed one-minute windows
 * (API Gateway's stage throttle applies to every route on top). Each throws
 * RateLimited: 429, `Retry-After` in seconds, our error shape.
 *
 * | class      | before authentication            | after authentication                   | counted        |
 * | ---------- | -------------------------------- | -------------------------------------- | -------------- |
 * | `auth`     | per source IP (AUTH_…)           | —                                      | every attempt  |
 * | `standard` | per source IP (IP_…)             | per API key or dashboard user (CALLER_…) | batched      |
 * | `webhook`  | per source IP (WEBHOOK_…)        | —                                      | batched        |
 * | `none`     | —                                | —                                      | —              |
 *
 * IPv6 addresses count per /64. The per-IP limit runs first, so a flood of bad credentials is refused before it
 * costs a key lookup; the per-caller one stops one leaked or runaway key from using
 * a merchant's (or everyone's) share.
 *
 * `auth` writes its shared counter on every attempt: sign-in brute force is the
 * one limit where a few extra guesses matter, and those routes are rare. The
 * other classes count in the container and add to the shared counter in batches
 * (`BatchedLimiter`): no DynamoDB write on most requests, a global limit within
 * the tolerance stated there.
 */
export async function enforceRateLimit(kind: RateLimitClass, sourceIp: string): Promise<void> {
  // Public documents read no configuration at all (their bundle carries none).
  if (kind === 'none') return;
  const c = config();
  // IPv6 callers count per /64 (client-ip.ts). `auth` keeps its counter name (RATE#auth#<ip>);
  // the others name what they count.
  const ip = rateLimitKey(sourceIp);
  const message = 'Too many requests from this address. Slow down.';
  if (kind === 'auth') {
    const result = await hit(kind, ip, c.AUTH_RATE_LIMIT_PER_MINUTE, windowSeconds);
    if (!result.allowed) throw new RateLimited('rate_limited', message, result.retryAfter);
    return;
  }
  const limit = kind === 'standard' ? c.IP_RATE_LIMIT_PER_MINUTE : c.WEBHOOK_RATE_LIMIT_PER_MINUTE;
  await within(kind, `ip:${ip}`, limit, message);
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

const windowSeconds = 60;

/**
 * Adds a batch of hits to the shared counter of a window and answers the
 * window's total after it (store/rate-limits.ts `addHits`; a fake in tests).
 */
export type SharedCounter = (who: string, count: number, windowStart: number) => Promise<number>;

interface Tally {
  windowStart: number;
  /** The shared total as last read back (this container's flushed hits included). */
  shared: number;
  /** Hits allowed here and not yet added to the shared counter. */
  pending: number;
}

/**
 * A fixed-window limit shared by every container, without a DynamoDB write per
 * request. Each container counts its hits locally and decides from the last
 * shared total it read back plus its own unflushed hits; it adds its hits to the
 * shared counter (one ADD that returns the new total) when it has `flushEvery`
 * of them, or when its estimate reaches the limit. So on one container the
 * answer is exact: hit `limit` flushes and is allowed, hit `limit + 1` is
 * refused. Once a container knows the window is spent it refuses locally, with
 * no write at all, until the window ends.
 *
 * Tolerance: the shared total only ever grows, so a container's estimate never
 * exceeds the truth. What it cannot see are other containers' unflushed hits:
 * each container allows at most `flushEvery − 1` hits beyond the limit in a
 * window (those it has not flushed yet, or the earlier hits of the one batch
 * whose flush found the window spent). Worst case, a window admits
 * `limit + containers × (flushEvery − 1)` hits, where `containers` is the number
 * of warm containers (of any function behind the class) that served this caller
 * or address in the window. A tally pushed out of the bounded LRU forgets its
 * unflushed hits: up to `flushEvery − 1` more per eviction.
 */
export class BatchedLimiter {
  readonly #tallies: LruCache<string, Tally>;
  readonly #add: SharedCounter;
  readonly flushEvery: number;

  constructor(add: SharedCounter, flushEvery: number, maxTallies = 10_000) {
    this.#add = add;
    this.flushEvery = flushEvery;
    this.#tallies = new LruCache(maxTallies);
  }

  /** Whether this hit is within `limit` for the window `now` is in, and seconds to the window's end. */
  async hit(who: string, limit: number, now = Date.now()): Promise<{ allowed: boolean; retryAfter: number }> {
    const windowStart = windowStartOf(now, windowSeconds);
    const answer = (allowed: boolean) => ({
      allowed,
      retryAfter: retryAfter(now, windowStart, windowSeconds),
    });
    let tally = this.#tallies.get(who);
    if (!tally || tally.windowStart !== windowStart) {
      tally = { windowStart, shared: 0, pending: 0 };
      this.#tallies.set(who, tally);
    }
    if (tally.shared >= limit) return answer(false);
    tally.pending += 1;
    if (tally.pending < this.flushEvery && tally.shared + tally.pending < limit) return answer(true);
    const batch = tally.pending;
    tally.pending = 0;
    let total: number;
    try {
      total = await this.#add(who, batch, windowStart);
    } catch (error) {
      tally.pending += batch; // not counted: the next hit tries again
      throw error;
    }
    tally.shared = Math.max(tally.shared, total);
    return answer(total <= limit);
  }
}

const limiters = new Map<string, BatchedLimiter>();
function limiterFor(kind: string): BatchedLimiter {
  let limiter = limiters.get(kind);
  if (!limiter) {
    limiter = new BatchedLimiter(
      (who, count, windowStart) => addHits(kind, who, count, windowStart, windowSeconds),
      config().RATE_LIMIT_FLUSH_EVERY,
    );
    limiters.set(kind, limiter);
  }
  return limiter;
}

async function within(kind: string, who: string, limit: number, message: string): Promise<void> {
  const result = await limiterFor(kind).hit(who, limit);
  if (!result.allowed) throw new RateLimited('rate_limited', message, result.retryAfter);
}
