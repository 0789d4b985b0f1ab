import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '#runtime/clients';
import { keys } from './keys.ts';
import { tableName } from './table-name.ts';

/**
 * A fixed-window counter: one atomic ADD per hit, expired by TTL. Returns
 * whether this hit is within `limit` for the current window, and the seconds
 * until the window ends.
 */
export async function hit(
  kind: string,
  who: string,
  limit: number,
  windowSeconds: number,
  now = Date.now(),
): Promise<{ allowed: boolean; retryAfter: number }> {
  const windowStart = Math.floor(now / 1000 / windowSeconds) * windowSeconds;
  const out = await dynamoClient().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.rate(kind, who, windowStart),
      UpdateExpression: 'ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl), #type = :type',
      ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl', '#type': 'type' },
      ExpressionAttributeValues: { ':one': 1, ':ttl': windowStart + windowSeconds * 2, ':type': 'rate' },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  const count = Number(out.Attributes?.count ?? 0);
  const retryAfter = Math.max(1, windowStart + windowSeconds - Math.floor(now / 1000));
  return { allowed: count <= limit, retryAfter };
}
