import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '#runtime/clients';
import { keys } from './keys.ts';
import { tableName } from './table-name.ts';

/** The start (epoch seconds) of the fixed window `now` falls in. */
export const windowStartOf = (now: number, windowSeconds: number): number =>
  Math.floor(now / 1000 / windowSeconds) * windowSeconds;

/**
 * Adds `count` hits to a fixed-window counter in one atomic ADD (expired by TTL)
 * and answers the window's total after it, everyone's hits included.
 */
export async function addHits(
  kind: string,
  who: string,
  count: number,
  windowStart: number,
  windowSeconds: number,
): Promise<number> {
  const out = await dynamoClient().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.rate(kind, who, windowStart),
      UpdateExpression: 'ADD #count :n SET #ttl = if_not_exists(#ttl, :ttl), #type = :type',
      ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl', '#type': 'type' },
      ExpressionAttributeValues: { ':n': count, ':ttl': windowStart + windowSeconds * 2, ':type': 'rate' },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(out.Attributes?.count ?? 0);
}

/**
 * A fixed-window counter written on every hit: one atomic ADD per hit. Returns
 * whether this hit is within `limit` for the current window, and the seconds
 * until the window ends. For the limits where each attempt must be counted at
 * once (sign-in brute force, payment-page submissions); `standard` routes batch
 * their hits per container (edge/rate-limit.ts).
 */
export async function hit(
  kind: string,
  who: string,
  limit: number,
  windowSeconds: number,
  now = Date.now(),
): Promise<{ allowed: boolean; retryAfter: number }> {
  const windowStart = windowStartOf(now, windowSeconds);
  const count = await addHits(kind, who, 1, windowStart, windowSeconds);
  return { allowed: count <= limit, retryAfter: retryAfter(now, windowStart, windowSeconds) };
}

/** Seconds until the window that started at `windowStart` ends (at least 1). */
export const retryAfter = (now: number, windowStart: number, windowSeconds: number): number =>
  Math.max(1, windowStart + windowSeconds - Math.floor(now / 1000));
