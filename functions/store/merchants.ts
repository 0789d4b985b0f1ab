import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Merchant } from '#core/identity';
import { dynamoClient } from '#runtime/clients';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';
import { tableName } from './table-name.ts';

/** Every merchant, newest first (admin). */
export async function listMerchants(limit: number, cursor?: string): Promise<Page<Merchant>> {
  const out = await dynamoClient().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': 'MERCHANTS' },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: decodeCursor(cursor, { name: 'gsi1pk', value: 'MERCHANTS' }),
    }),
  );
  return {
    data: (out.Items ?? []).map(
      ({ pk: _p, sk: _s, gsi1pk: _g, gsi1sk: _h, type: _t, ...rest }) => rest as unknown as Merchant,
    ),
    hasMore: out.LastEvaluatedKey !== undefined,
    nextCursor: encodeCursor(out.LastEvaluatedKey),
  };
}
