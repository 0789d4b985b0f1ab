import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  LoggingFormat,
  ParamsAndSecretsLayerVersion,
  ParamsAndSecretsLogLevel,
  ParamsAndSecretsVersions,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type {
  Credential,
  JwtAccess,
  QueueAccess,
  QueueName,
  RateLimitClass,
  SecretsAccess,
  TableAccess,
} from '#routes';
import type { DataResources } from './data-stack.ts';
import {
  bundleConditions,
  bundleDefines,
  bundling,
  quietBundlingReports,
  verboseBundling,
} from './bundling.ts';
import { table } from './definitions.ts';
import { cloudLocalSlots, functionEnvironment } from './function-environment.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Seconds the Parameters and Secrets extension caches a JWT key set (the function adds its own 60 s). */
export const jwtExtensionCacheSeconds = 30;

/** The newest Node.js runtime aws-cdk-lib offers; Lambda runs the bundle on arm64. */
export const runtime = Runtime.NODEJS_24_X;

export interface PayBridgeFunctionProps {
  /** Handler module under functions/, exporting `handler`. */
  readonly handler: string;
  readonly data: DataResources;
  readonly stage: string;
  readonly version: string;
  readonly table: TableAccess;
  readonly queues?: Partial<Record<QueueName, QueueAccess>> | undefined;
  readonly secrets?: SecretsAccess | undefined;
  readonly jwt?: JwtAccess | undefined;
  /** Reads the webhook-token keys (through the Parameters and Secrets extension, as the JWT sets). */
  readonly webhookTokenKeys?: true | undefined;
  /** Sends email through Amazon SES, when the app has a sender (`-c mailFrom=…`). */
  readonly mail?: true | undefined;
  readonly memoryMb?: number | undefined;
  readonly timeoutSeconds?: number | undefined;
  /** Concurrency set aside for this function alone (the route row's `reservedConcurrency`). */
  readonly reservedConcurrency?: number | undefined;
  /** node_modules files copied into the bundle at the same relative path (the route row's `assets`). */
  readonly assets?: readonly string[] | undefined;
  /** The route row's credential and rate-limit class: what the bundle carries (lib/bundling.ts `bundleDefines`). */
  readonly credential?: Credential | undefined;
  readonly rateLimit?: RateLimitClass | undefined;
  /** Serve the OpenAPI document generated at build time (the route row's `openApiDocument`). */
  readonly openApiDocument?: true | undefined;
  readonly retainLogs: boolean;
  /** Merged over the defaults, never replacing them. */
  readonly environment?: Record<string, string>;
}

/**
 * The house construct for every PayBridge function (HTTP route or queue worker):
 * ESM bundle with the SDK inside (no runtime copy: faster cold start), arm64, the
 * newest runtime, its own log group with retention, JSON logs, typed config in the
 * environment, and exactly the grants the route table declares.
 */
export class PayBridgeFunction extends Construct {
  readonly fn: NodejsFunction;
  /** The function's own log group: the business metric filters (lib/observability.ts) read it. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PayBridgeFunctionProps) {
    super(scope, id);
    // The sender of the product's emails (an SES-verified address or domain): `cdk deploy -c mailFrom=…`.
    const mailFrom = props.mail ? (this.node.tryGetContext('mailFrom') as string | undefined) : undefined;
    const publicBaseUrl = this.node.tryGetContext('publicBaseUrl') as string | undefined;
    const logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.logGroup = logGroup;
    const { data } = props;
    // Our own role instead of AWSLambdaBasicExecutionRole: it may write to this
    // function's log group and nothing else.
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    quietBundlingReports(); // the CDK's "Bundling asset …" line, as esbuild's report below
    this.fn = new NodejsFunction(this, 'Function', {
      role,
      entry: join(root, 'functions', props.handler),
      handler: 'handler',
      runtime,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb ?? 512,
      timeout: Duration.seconds(props.timeoutSeconds ?? 10),
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      // X-Ray: Lambda records each invocation's segment, and the SDK's trace header rides on the SQS
      // messages, so ingest → verify → deliver link up. No tracer in the bundle: no cold-start cost.
      tracing: Tracing.ACTIVE,
      // JWT keys come through the Parameters and Secrets extension (no SDK client in the bundle).
      // Its cache is kept short so a key rotation reaches warm containers within a minute or two.
      ...(props.jwt || props.webhookTokenKeys
        ? {
            paramsAndSecrets: ParamsAndSecretsLayerVersion.fromVersion(ParamsAndSecretsVersions.V1_0_103, {
              cacheSize: 10,
              secretsManagerTtl: Duration.seconds(jwtExtensionCacheSeconds),
              logLevel: ParamsAndSecretsLogLevel.WARN,
            }),
          }
        : {}),
      projectRoot: root,
      depsLockFilePath: join(root, 'package-lock.json'),
      environment: {
        ...functionEnvironment(props, {
          stage: 'cloud',
          version: props.version,
          tableName: data.table.tableName,
          providerEventsQueueUrl: data.queues.providerEvents.queueUrl,
          deliveriesQueueUrl: data.queues.deliveries.queueUrl,
          deliveriesDlqUrl: data.deadLetterQueues.deliveries.queueUrl,
          logLevel: 'INFO',
          secretsKeyId: props.secrets ? data.secretsKey.keyArn : '',
          jwtKeysSecretArn: props.jwt === 'sign' ? data.jwtKeys.secretArn : '',
          jwtPublicKeysSecretArn: props.jwt === 'verify' ? data.jwtPublicKeys.secretArn : '',
          webhookTokenKeysSecretArn: props.webhookTokenKeys ? data.webhookTokenKeys.secretArn : '',
          ...cloudLocalSlots,
        }),
        ...(mailFrom ? { MAIL_FROM: mailFrom } : {}),
        // Where emailed links and payment links point (the dashboard's domain): `-c publicBaseUrl=…`.
        ...(publicBaseUrl ? { PUBLIC_BASE_URL: publicBaseUrl } : {}),
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: bundling.target,
        minify: bundling.minify,
        sourceMap: bundling.sourceMap,
        externalModules: [...bundling.externalModules],
        mainFields: [...bundling.mainFields],
        banner: bundling.banner,
        // esbuild's per-bundle report only with PAYBRIDGE_VERBOSE_BUNDLING=1: synth and tests stay quiet.
        logLevel: verboseBundling() ? LogLevel.INFO : LogLevel.WARNING,
        define: bundleDefines(props),
        ...(bundleConditions(props).length > 0
          ? { esbuildArgs: { '--conditions': bundleConditions(props).join(',') } }
          : {}),
        ...(props.assets?.length || props.openApiDocument
          ? { commandHooks: afterBundling(props.assets ?? [], props.openApiDocument === true) }
          : {}),
      },
    });

    grantTable(this.fn, data, props.table);
    for (const [name, access] of Object.entries(props.queues ?? {}) as [QueueName, QueueAccess][]) {
      const queue = data.queues[name];
      if (access === 'send') queue.grantSendMessages(this.fn);
      // Whoever queues deliveries may also park a spent one in the DLQ.
      if (access === 'send' && name === 'deliveries')
        data.deadLetterQueues.deliveries.grantSendMessages(this.fn);
      else queue.grant(this.fn, 'sqs:GetQueueAttributes');
    }
    // Envelope encryption: a function that seals gets a data key and nothing else (it can
    // never read a stored secret back); only a function that opens stored secrets may Decrypt.
    if (props.secrets === 'seal') data.secretsKey.grant(this.fn, 'kms:GenerateDataKey');
    if (props.secrets === 'open') data.secretsKey.grant(this.fn, 'kms:Decrypt');
    // The private signing set only where tokens are minted; the public set everywhere else.
    if (props.jwt === 'sign') data.jwtKeys.grantRead(this.fn);
    if (props.jwt === 'verify') data.jwtPublicKeys.grantRead(this.fn);
    if (props.webhookTokenKeys) data.webhookTokenKeys.grantRead(this.fn);
    // Email only from the functions that send it, only as the configured sender's SES identity.
    if (mailFrom) {
      const stack = Stack.of(this);
      const domain = mailFrom.slice(mailFrom.indexOf('@') + 1);
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['ses:SendEmail'],
          resources: [
            stack.formatArn({ service: 'ses', resource: 'identity', resourceName: domain }),
            stack.formatArn({ service: 'ses', resource: 'identity', resourceName: mailFrom }),
          ],
        }),
      );
    }
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions (the grant the CDK adds for Tracing.ACTIVE).',
    });
  }
}

/**
 * What runs after esbuild, in the bundle directory:
 * - node_modules files the function reads at run time are copied at the same relative path, so it finds them
 *   with `createRequire(import.meta.url).resolve(...)` as it does locally (paths are checked: they come from our
 *   route table, but end up in a shell);
 * - `openapi.json`, the OpenAPI document generated from the route table and every handler's schemas
 *   (`npm run openapi`), written beside `index.mjs` for the function that serves it.
 */
export function afterBundling(assets: readonly string[], openApiDocument: boolean) {
  for (const asset of assets) {
    if (!/^(@[\w.-]+\/)?[\w.-]+(\/[\w.-]+)+$/.test(asset) || asset.split('/').includes('..')) {
      throw new Error(`Unsafe asset path ${JSON.stringify(asset)}`);
    }
  }
  return {
    beforeBundling: (): string[] => [],
    beforeInstall: (): string[] => [],
    afterBundling: (inputDir: string, outputDir: string): string[] => [
      ...assets.map((asset) => {
        const to = `${outputDir}/node_modules/${asset}`;
        return `mkdir -p "${dirname(to)}" && cp "${inputDir}/node_modules/${asset}" "${to}"`;
      }),
      ...(openApiDocument
        ? [
            `"${inputDir}/node_modules/.bin/tsx" "${inputDir}/local/write-openapi.ts" --quiet --server / "${outputDir}/${openApiAssetName}"`,
          ]
        : []),
    ],
  };
}

/** The generated document's file name in the bundle directory (functions/api/get-openapi.ts reads it). */
export const openApiAssetName = 'openapi.json';

const readActions = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
const writeActions = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/**
 * Table grants with enumerated actions on the table and each named index — no
 * `index/*` wildcard and no Scan: nothing in PayBridge lists by scanning.
 */
function grantTable(fn: NodejsFunction, data: DataResources, access: TableAccess): void {
  if (access === 'none') return;
  const actions =
    access === 'describe'
      ? ['dynamodb:DescribeTable']
      : access === 'read'
        ? readActions
        : [...readActions, ...writeActions];
  const resources =
    access === 'describe'
      ? [data.table.tableArn]
      : [
          data.table.tableArn,
          ...table.globalIndexes.map((index) => `${data.table.tableArn}/index/${index.indexName}`),
        ];
  fn.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions, resources }));
}
