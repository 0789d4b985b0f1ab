import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, Billing, ProjectionType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Alias, Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { dlqName, type QueueKey, queues, table } from './definitions.ts';

export interface DataStackProps extends StackProps {
  readonly stage: string;
  /** Retain the table, queues and key when the stack is deleted (prod). */
  readonly retain: boolean;
  readonly alarmEmail?: string;
}

export interface DataResources {
  readonly table: TableV2;
  readonly queues: Record<QueueKey, IQueue>;
  readonly deadLetterQueues: Record<QueueKey, IQueue>;
  readonly secretsKey: Key;
  /** The signing set (private keys): read by register, login and refresh only. */
  readonly jwtKeys: Secret;
  /** The verification set (public keys only): read by every function that checks a dashboard token. */
  readonly jwtPublicKeys: Secret;
  /** The webhook-token keys: read by configure-provider (mints) and the provider-webhook ingest (verifies). */
  readonly webhookTokenKeys: Secret;
  readonly alarmTopic: Topic;
}

/**
 * The stateful half: table, queues, the secrets key and the alarm topic. Kept
 * apart from functions and API so that redeploying code can never drop data.
 */
export class DataStack extends Stack implements DataResources {
  readonly table: TableV2;
  readonly queues: Record<QueueKey, Queue>;
  readonly deadLetterQueues: Record<QueueKey, Queue>;
  readonly secretsKey: Key;
  readonly jwtKeys: Secret;
  readonly jwtPublicKeys: Secret;
  readonly webhookTokenKeys: Secret;
  readonly alarmTopic: Topic;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: table.partitionKey, type: AttributeType.STRING },
      sortKey: { name: table.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      timeToLiveAttribute: table.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.retain,
      removalPolicy,
      globalSecondaryIndexes: table.globalIndexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        ...(index.include
          ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.include] }
          : {}),
      })),
    });

    // Envelope encryption of provider secrets and webhook signing secrets.
    this.secretsKey = new Key(this, 'SecretsKey', {
      description: 'PayBridge: encrypts merchant provider keys and webhook secrets',
      enableKeyRotation: true,
      removalPolicy,
    });
    new Alias(this, 'SecretsKeyAlias', {
      aliasName: `alias/paybridge-${props.stage}-secrets`,
      targetKey: this.secretsKey,
    });

    // Dashboard JWT keys, as two JWK sets so that only the functions that mint tokens can read a
    // private key. Created with random placeholders: `npm run admin -- new-jwt-keys` and
    // `public-jwt-keys` make the contents (README, Deploy); until then sign-in answers 503.
    this.jwtKeys = new Secret(this, 'JwtKeys', {
      description:
        'PayBridge: Ed25519 JWK signing set for dashboard access tokens (private keys; first key signs)',
      removalPolicy,
    });
    this.jwtPublicKeys = new Secret(this, 'JwtPublicKeys', {
      description: 'PayBridge: the public half of the JWT signing set, for verifying dashboard access tokens',
      removalPolicy,
    });
    for (const secret of [this.jwtKeys, this.jwtPublicKeys]) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions::AwsSolutions-SMG4',
        reason:
          'The JWK sets are rotated by the operator (`npm run admin -- new-jwt-keys`), prepending a key and keeping the old one for verification; a rotation Lambda cannot do that overlap.',
      });
    }

    // The server key behind self-authenticating webhook URLs (an HMAC over merchant, mode, provider):
    // `{"current":"1","k1":"<64 random characters>"}`, generated at creation, so every deployment has
    // one from the start. Rotation adds `k2` and makes it current; `k1` stays while URLs use it.
    this.webhookTokenKeys = new Secret(this, 'WebhookTokenKeys', {
      description:
        'PayBridge: HMAC keys of webhook URL tokens (current version signs, every listed one verifies)',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ current: '1' }),
        generateStringKey: 'k1',
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy,
    });
    Validations.of(this.webhookTokenKeys).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'Webhook URLs are pasted into providers’ dashboards: a key can only be retired once no URL signed with it is in use, so the operator adds a version and keeps the old one; a rotation Lambda replacing the value would break every URL.',
    });

    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: `PayBridge ${props.stage} alarms`,
      enforceSSL: true,
      masterKey: Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
    });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));

    this.queues = {} as Record<QueueKey, Queue>;
    this.deadLetterQueues = {} as Record<QueueKey, Queue>;
    for (const [key, def] of Object.entries(queues) as [QueueKey, (typeof queues)[QueueKey]][]) {
      const dlq = new Queue(this, `${pascal(key)}Dlq`, {
        queueName: `${dlqName(def)}-${props.stage}`,
        retentionPeriod: Duration.days(def.dlqRetentionDays),
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        removalPolicy,
      });
      Validations.of(dlq).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This is a dead-letter queue; it is watched by an alarm and has no DLQ of its own.',
      });
      const queue = new Queue(this, `${pascal(key)}Queue`, {
        queueName: `${def.name}-${props.stage}`,
        visibilityTimeout: Duration.seconds(def.visibilityTimeoutSeconds),
        retentionPeriod: Duration.days(def.retentionDays),
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        deadLetterQueue: { queue: dlq, maxReceiveCount: def.maxReceiveCount },
        removalPolicy,
      });
      this.queues[key] = queue;
      this.deadLetterQueues[key] = dlq;

      const action = new SnsAction(this.alarmTopic);
      new Alarm(this, `${pascal(key)}DlqDepthAlarm`, {
        alarmDescription: def.dlqImpact,
        metric: dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(action);
      new Alarm(this, `${pascal(key)}OldestMessageAlarm`, {
        alarmDescription: `Messages on ${def.name} are waiting more than 5 minutes. Impact: the consumer is failing or too slow, so payments settle and merchants are notified late. First check: the consumer's log group for errors and its throttles (concurrency), then the queue's depth on the PayBridge dashboard.`,
        metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1) }),
        threshold: 300,
        evaluationPeriods: 3,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(action);
    }
  }
}

const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
