import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { dlqName, type QueueKey, queues, table } from '#infra/definitions';

export const localTableName = 'paybridge-local';

/** Fake credentials: DynamoDB Local (with -sharedDb) and fauxqs accept any. */
export const localAwsEnv = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
} as const;

/** Creates the table exactly as lib/definitions.ts describes it (the CDK stack reads the same). */
export async function createTable(endpoint: string, tableName = localTableName): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: localAwsEnv.AWS_REGION, credentials: creds() });
  const attributes = new Set<string>([table.partitionKey, table.sortKey]);
  for (const index of table.globalIndexes) {
    attributes.add(index.partitionKey);
    attributes.add(index.sortKey);
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: table.partitionKey, KeyType: 'HASH' },
          { AttributeName: table.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: table.globalIndexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: index.include
            ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.include] }
            : { ProjectionType: 'ALL' },
        })),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await client
    .send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
      }),
    )
    .catch((error: Error) => {
      // Setting TTL twice is refused; the first call already did it.
      if (!/already enabled/i.test(error.message)) throw error;
    });
  client.destroy();
}

export type QueueUrls = Record<QueueKey, string> & { dlq: Record<QueueKey, string> };

/** Creates each queue and its DLQ with the redrive policy from lib/definitions.ts. */
export async function createQueues(
  endpoint: string,
  suffix = '',
  visibilityTimeoutSeconds?: number,
): Promise<QueueUrls> {
  const client = new SQSClient({ endpoint, region: localAwsEnv.AWS_REGION, credentials: creds() });
  const urls = { dlq: {} } as QueueUrls;
  for (const [key, def] of Object.entries(queues) as [QueueKey, (typeof queues)[QueueKey]][]) {
    const dlq = await client.send(
      new CreateQueueCommand({
        QueueName: `${dlqName(def)}${suffix}`,
        Attributes: { MessageRetentionPeriod: String(def.dlqRetentionDays * 86_400) },
      }),
    );
    const dlqArn = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const main = await client.send(
      new CreateQueueCommand({
        QueueName: `${def.name}${suffix}`,
        Attributes: {
          VisibilityTimeout: String(visibilityTimeoutSeconds ?? def.visibilityTimeoutSeconds),
          MessageRetentionPeriod: String(def.retentionDays * 86_400),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqArn.Attributes?.QueueArn,
            maxReceiveCount: def.maxReceiveCount,
          }),
        },
      }),
    );
    urls[key] = main.QueueUrl as string;
    urls.dlq[key] = dlq.QueueUrl as string;
  }
  client.destroy();
  return urls;
}

const creds = () => ({
  accessKeyId: localAwsEnv.AWS_ACCESS_KEY_ID,
  secretAccessKey: localAwsEnv.AWS_SECRET_ACCESS_KEY,
});
