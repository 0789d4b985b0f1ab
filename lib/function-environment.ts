import type { JwtAccess, QueueAccess, QueueName, SecretsAccess, TableAccess } from '#routes';

/**
 * The one place that says which environment variables a PayBridge function gets
 * and where each value comes from. The CDK construct (lib/paybridge-function.ts)
 * fills it with the stack's resources, the local stack (local/stack.ts) with its
 * emulators, and `npm run sam:env` (local/sam.ts) with either, for `sam local invoke`.
 *
 * Why the cloud template also carries empty local slots (`AWS_ENDPOINT_URL_*`,
 * `LOCAL_MASTER_KEY`, `JWT_KEYS`): `sam local invoke --env-vars` only sets
 * variables the template already declares for the function, and silently drops
 * the rest. In the cloud the slots are empty strings, which the SDK's endpoint
 * lookup and runtime/config.ts treat exactly as unset (a KMS key id, when set,
 * always wins over the local key; the JWT key set falls back to the secret).
 */

/** What a route row or worker declares, as far as its environment is concerned. */
export interface EnvironmentNeeds {
  readonly table: TableAccess;
  readonly queues?: Partial<Record<QueueName, QueueAccess>> | undefined;
  readonly secrets?: SecretsAccess | undefined;
  /** `both`: one process runs every handler (the local stack, `sam:env`'s local file). */
  readonly jwt?: JwtAccess | 'both' | undefined;
  /** Reads the webhook-token keys (configure provider, the provider-webhook ingest). */
  readonly webhookTokenKeys?: true | undefined;
}

/** Where the values come from: CloudFormation tokens in the cloud, emulator URLs and local keys locally. */
export interface EnvironmentValues {
  readonly stage: 'cloud' | 'local';
  readonly version: string;
  readonly tableName: string;
  readonly providerEventsQueueUrl: string;
  readonly deliveriesQueueUrl: string;
  readonly deliveriesDlqUrl: string;
  /** Omitted: the process keeps its own (the local stack and tests choose their level). */
  readonly logLevel?: string | undefined;
  /** The KMS key for envelope encryption; '' locally. */
  readonly secretsKeyId: string;
  /** The Secrets Manager secret with the private JWK signing set; '' locally. */
  readonly jwtKeysSecretArn: string;
  /** The Secrets Manager secret with its public half, the verification set; '' locally. */
  readonly jwtPublicKeysSecretArn: string;
  /** DynamoDB and SQS endpoints; '' in the cloud (the SDK's default). */
  readonly dynamoEndpoint: string;
  readonly sqsEndpoint: string;
  /** The local stand-in for the KMS key (32 bytes, base64); '' in the cloud. */
  readonly localMasterKey: string;
  /** The JWK signing set itself; '' in the cloud. */
  readonly jwtKeys: string;
  /** Its public half; '' in the cloud. */
  readonly jwtPublicKeys: string;
  /** The Secrets Manager secret with the webhook-token keys; '' (or absent) locally. */
  readonly webhookTokenKeysSecretArn?: string | undefined;
  /** The webhook-token keys themselves (`{"current":"1","k1":"…"}`); '' (or absent) in the cloud. */
  readonly webhookTokenKeys?: string | undefined;
}

/** Everything a function can need: the local stack runs every handler in one process. */
export const allNeeds: EnvironmentNeeds = {
  table: 'readwrite',
  queues: { providerEvents: 'send', deliveries: 'send' },
  secrets: 'open',
  jwt: 'both',
  webhookTokenKeys: true,
};

/** The variables for one function. Keys depend only on `needs`, so every target declares the same set. */
export function functionEnvironment(
  needs: EnvironmentNeeds,
  values: EnvironmentValues,
): Record<string, string> {
  const usesSqs = Object.keys(needs.queues ?? {}).length > 0;
  return {
    // config() requires the table and both queue URLs of every function.
    TABLE_NAME: values.tableName,
    PROVIDER_EVENTS_QUEUE_URL: values.providerEventsQueueUrl,
    DELIVERIES_QUEUE_URL: values.deliveriesQueueUrl,
    DELIVERIES_DLQ_URL: values.deliveriesDlqUrl,
    PAYBRIDGE_STAGE: values.stage,
    PAYBRIDGE_VERSION: values.version,
    POWERTOOLS_SERVICE_NAME: 'paybridge',
    ...(values.logLevel === undefined ? {} : { POWERTOOLS_LOG_LEVEL: values.logLevel }),
    ...(needs.table === 'none' ? {} : { AWS_ENDPOINT_URL_DYNAMODB: values.dynamoEndpoint }),
    ...(usesSqs ? { AWS_ENDPOINT_URL_SQS: values.sqsEndpoint } : {}),
    ...(needs.secrets
      ? { SECRETS_KEY_ID: values.secretsKeyId, LOCAL_MASTER_KEY: values.localMasterKey }
      : {}),
    // The private signing set only where tokens are minted; the public set everywhere else.
    ...(needs.jwt === 'sign' || needs.jwt === 'both'
      ? { JWT_KEYS_SECRET_ARN: values.jwtKeysSecretArn, JWT_KEYS: values.jwtKeys }
      : {}),
    ...(needs.jwt === 'verify' || needs.jwt === 'both'
      ? { JWT_PUBLIC_KEYS_SECRET_ARN: values.jwtPublicKeysSecretArn, JWT_PUBLIC_KEYS: values.jwtPublicKeys }
      : {}),
    ...(needs.webhookTokenKeys
      ? {
          WEBHOOK_TOKEN_KEYS_SECRET_ARN: values.webhookTokenKeysSecretArn ?? '',
          WEBHOOK_TOKEN_KEYS: values.webhookTokenKeys ?? '',
        }
      : {}),
  };
}

/** The local slots, empty in the cloud: what `values` carries there besides the stack's resources. */
export const cloudLocalSlots = {
  dynamoEndpoint: '',
  sqsEndpoint: '',
  localMasterKey: '',
  jwtKeys: '',
  jwtPublicKeys: '',
  webhookTokenKeys: '',
} as const satisfies Partial<EnvironmentValues>;
