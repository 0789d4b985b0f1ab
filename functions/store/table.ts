import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '#runtime/clients';
import { config } from '#runtime/config';

/** True when the table answers and is ACTIVE; used by the health check. */
export async function tableIsHealthy(timeoutMs = 2000): Promise<boolean> {
  try {
    const out = await dynamoClient().send(new DescribeTableCommand({ TableName: config().TABLE_NAME }), {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    return out.Table?.TableStatus === 'ACTIVE';
  } catch {
    return false;
  }
}
