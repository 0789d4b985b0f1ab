import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SQSClient } from '@aws-sdk/client-sqs';
import { allNeeds, type EnvironmentValues, functionEnvironment } from '#infra/function-environment';
import { scheduledWorkers, workers } from '#routes';
import { type ProviderName, providerNames } from '#core/provider-adapter';
import { type LocalApi, startApi } from './api-server.ts';
import { freePort } from './ports.ts';
import { type Sandboxes, startSandboxes } from './sandboxes/server.ts';
import { type LocalDynamo, startDynamo } from './dynamodb.ts';
import { lambdaContext, loadHandler } from './lambda.ts';
import { type QueueWorker, type SqsHandler, startQueueWorker } from './queue-workers.ts';
import { reconcileIntervalMs, startScheduledWorker } from './scheduled-workers.ts';
import { createQueues, createTable, localAwsEnv, localTableName, type QueueUrls } from './resources.ts';
import { type LocalSqs, startSqs } from './sqs.ts';

export interface LocalStackOptions {
  /** Preferred ports; a busy one is replaced by a free one. 0 = any free port. */
  readonly apiPort?: number;
  readonly dynamoPort?: number;
  readonly sqsPort?: number;
  /** Start the API server (tests that call handlers directly can skip it). */
  readonly api?: boolean;
  /** Start the queue workers. */
  readonly workers?: boolean;
  /** Start the provider sandboxes (for each provider whose *_BASE_URL is not set). */
  readonly sandboxes?: boolean;
  readonly sandboxPort?: number;
  readonly log?: (line: string) => void;
}

export interface LocalStack {
  readonly api: LocalApi | undefined;
  readonly sandboxes: Sandboxes | undefined;
  /** Where each provider's API is reached: a sandbox, or what *_BASE_URL says. */
  readonly providerUrls: Record<ProviderName, string | undefined>;
  readonly dynamo: LocalDynamo;
  readonly sqs: LocalSqs;
  readonly queues: QueueUrls;
  readonly env: Record<string, string>;
  /** What the function environment was filled with (sam:env rebuilds it from these for containers). */
  readonly values: EnvironmentValues;
  stop(): Promise<void>;
}

const version = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** `PAYSTACK_BASE_URL`, …: set one to use that URL instead of its sandbox. */
export const baseUrlVariable = (name: ProviderName): string => `${name.toUpperCase()}_BASE_URL`;

/** A fresh Ed25519 JWK set for dashboard tokens; the cloud keeps its set in Secrets Manager. */
export function generateJwtKeys(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return JSON.stringify({
    keys: [{ ...jwk, kid: `local-${randomUUID().slice(0, 8)}`, alg: 'EdDSA', use: 'sig' }],
  });
}

/** The public part of each key of a JWK set: the verification set (no `d`). */
export function publicJwkSet(text: string): string {
  const keys = (JSON.parse(text) as { keys?: Record<string, unknown>[] }).keys ?? [];
  return JSON.stringify({
    keys: keys.map(({ kty, crv, x, kid, alg, use }) => ({ kty, crv, x, kid, alg, use })),
  });
}

/**
 * What the function environment (lib/function-environment.ts) is filled with in the
 * local stack: the emulators, the local table and queues, and throw-away keys
 * (`LOCAL_MASTER_KEY`, `JWT_KEYS` and `WEBHOOK_TOKEN_KEYS` from the shell win, so a restart can keep them).
 */
export function localValues(dynamo: string, sqs: string, queues: QueueUrls): EnvironmentValues {
  const jwtKeys = process.env.JWT_KEYS || generateJwtKeys();
  return {
    stage: 'local',
    version,
    tableName: localTableName,
    providerEventsQueueUrl: queues.providerEvents,
    deliveriesQueueUrl: queues.deliveries,
    deliveriesDlqUrl: queues.dlq.deliveries,
    secretsKeyId: '',
    jwtKeysSecretArn: '',
    jwtPublicKeysSecretArn: '',
    dynamoEndpoint: dynamo,
    sqsEndpoint: sqs,
    localMasterKey: process.env.LOCAL_MASTER_KEY || randomBytes(32).toString('base64'),
    jwtKeys,
    jwtPublicKeys: publicJwkSet(jwtKeys),
    webhookTokenKeysSecretArn: '',
    // Throw-away webhook-token keys; `WEBHOOK_TOKEN_KEYS` from the shell wins, so a restart keeps URLs.
    webhookTokenKeys:
      process.env.WEBHOOK_TOKEN_KEYS ||
      JSON.stringify({ current: '1', k1: randomBytes(32).toString('base64url') }),
  };
}

/**
 * The environment a handler sees in the local stack: what the CDK stack sets in the
 * cloud (every function's variables at once: one process runs them all), plus the
 * fake AWS credentials. Empty slots are left out rather than set to ''.
 */
export function localEnvFrom(values: EnvironmentValues): Record<string, string> {
  const variables = Object.entries(functionEnvironment(allNeeds, values)).filter(([, value]) => value !== '');
  return {
    ...Object.fromEntries(variables),
    ...localAwsEnv,
    // The sweeper's per-payment schedule (seconds); the local default is the cloud's.
    ...(process.env.RECONCILE_SCHEDULE ? { RECONCILE_SCHEDULE: process.env.RECONCILE_SCHEDULE } : {}),
    POWERTOOLS_DEV: process.env.POWERTOOLS_DEV ?? 'false',
  };
}

export function localEnv(dynamo: string, sqs: string, queues: QueueUrls): Record<string, string> {
  return localEnvFrom(localValues(dynamo, sqs, queues));
}

/**
 * Starts the whole local stack on 127.0.0.1: DynamoDB Local, the SQS emulator,
 * the table and queues from lib/definitions.ts, the API server over the route
 * table, and a worker per queue consumer. Whatever started is stopped again if a
 * later step fails.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const [dynamo, sqs] = await Promise.all([
      startDynamo(options.dynamoPort ?? 0),
      startSqs(options.sqsPort ?? 0),
    ]);
    stops.push(dynamo.stop, sqs.stop);
    await createTable(dynamo.endpoint);
    const queues = await createQueues(sqs.endpoint);
    const values = localValues(dynamo.endpoint, sqs.endpoint, queues);
    const env = localEnvFrom(values);
    Object.assign(process.env, env);

    let sandboxes: Sandboxes | undefined;
    const providerUrls = {} as Record<ProviderName, string | undefined>;
    const wanted = providerNames.filter((name) => !process.env[baseUrlVariable(name)]);
    if (options.sandboxes !== false && wanted.length > 0) {
      sandboxes = await startSandboxes(await freePort(options.sandboxPort ?? 0), {
        log: (line) => options.log?.(`sandbox: ${line}`),
      });
      stops.push(sandboxes.stop);
      for (const name of wanted) process.env[baseUrlVariable(name)] = sandboxes.baseUrls[name];
    }
    for (const name of providerNames) providerUrls[name] = process.env[baseUrlVariable(name)];

    let api: LocalApi | undefined;
    if (options.api !== false) {
      api = await startApi(options.apiPort ?? 0);
      stops.push(api.stop);
      process.env.PUBLIC_BASE_URL ??= api.url;
    }
    if (options.workers !== false && workers.length > 0) {
      const client = new SQSClient({});
      const running: QueueWorker[] = [];
      for (const worker of workers) {
        const handler = (await loadHandler(worker.handler)) as SqsHandler;
        running.push(
          startQueueWorker({
            sqs: client,
            queueUrl: queues[worker.queue],
            handler,
            batchSize: worker.batchSize,
            context: () => lambdaContext(worker.handler),
            onError: (error) => options.log?.(`worker ${worker.handler}: ${String(error)}`),
          }),
        );
      }
      stops.push(async () => {
        await Promise.all(running.map((w) => w.stop()));
        client.destroy();
      });
      // The reconciliation sweeper, on RECONCILE_INTERVAL_SECONDS instead of EventBridge's minute.
      const timers = scheduledWorkers.map((w) =>
        startScheduledWorker(w, reconcileIntervalMs(), (error) =>
          options.log?.(`scheduled ${w.handler}: ${String(error)}`),
        ),
      );
      stops.push(async () => {
        await Promise.all(timers.map((t) => t.stop()));
      });
    }
    return { api, sandboxes, providerUrls, dynamo, sqs, queues, env, values, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
