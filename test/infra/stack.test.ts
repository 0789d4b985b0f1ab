import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { queues, table, workerTimeouts } from '#infra/definitions';
import { constructId, functionName, routeFor, routes, scheduledWorkers, workers } from '#routes';
import { buildApp } from '../../lib/app.ts';
import { filterPatternOf, logMetrics, moneyPathRoutes } from '../../lib/observability.ts';

let api: Template;
let data: Template;

beforeAll(() => {
  // No asset bundling (`aws:cdk:bundling-stacks`): these assertions read templates, not code (the bundles
  // are checked in docs-assets.test.ts and by the cold-start benchmark); bundling ~60 functions per app
  // made this file take minutes.
  // The real route table and workers: what is deployed is what is checked.
  const built = buildApp({ app: new App({ context: { stage: 'test', 'aws:cdk:bundling-stacks': [] } }) });
  built.app.synth(); // runs cdk-nag: throws on any unacknowledged finding
  api = Template.fromStack(built.api);
  data = Template.fromStack(built.data);
}, 600_000); // bundles every function: minutes on a busy machine

type Resource = { Properties: Record<string, unknown> };

/**
 * PayBridge's own functions: the ones built by our function construct (they carry PAYBRIDGE_STAGE).
 * CDK adds helpers of its own beside them (the dashboard's BucketDeployment and auto-delete handlers),
 * whose runtime, architecture and grants are CDK's choice, not ours.
 */
const ourFunctions = (template: Template): Record<string, Resource> =>
  Object.fromEntries(
    Object.entries(template.findResources('AWS::Lambda::Function') as Record<string, Resource>).filter(
      ([, fn]) =>
        'PAYBRIDGE_STAGE' in
        ((fn.Properties.Environment as { Variables?: object } | undefined)?.Variables ?? {}),
    ),
  );

/** The statements of the policies attached to our functions' roles. */
const statementsOf = (template: Template): Array<{ Action: string | string[]; Resource: unknown }> => {
  const roles = new Set(
    Object.values(ourFunctions(template)).map(
      (fn) => (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
    ),
  );
  return Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => roles.has(role.Ref)))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: [] }).Statement);
};

/** Every handler module the app deploys: the route table's, the `$default` fallback, the workers. */
const handlers = new Set([
  ...routes.map((r) => r.handler),
  'api/not-found.ts',
  ...workers.map((w) => w.handler),
  ...scheduledWorkers.map((w) => w.handler),
]);

describe('API stack', () => {
  it('has one function per route-table row, plus the $default fallback and each worker', () => {
    expect(Object.keys(ourFunctions(api)).length).toBe(handlers.size);
    // Besides ours, only CDK's two helpers for the dashboard bucket (deployment and auto-delete).
    expect(Object.keys(api.findResources('AWS::Lambda::Function')).length).toBeLessThanOrEqual(
      handlers.size + 2,
    );
  });

  it('runs the reconciliation sweeper every minute from an EventBridge rule, with its own alarms', () => {
    api.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: Match.arrayWith([Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 } })]),
    });
    for (const text of ['errors in 3 runs', 'close to their timeout', 'not run for 15 minutes']) {
      api.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: Match.stringLikeRegexp(`reconciliation sweeper is failing.*${text}`),
      });
    }
    api.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('settling only through the reconciliation sweeper'),
    });
    // Failed checks are retried, not thrown: the worker's EMF count is what alarms on them.
    api.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp(
        'reconciliation sweeper is failing.*provider checks keep failing',
      ),
      Namespace: 'PayBridge',
      MetricName: 'SweepErrors',
      Dimensions: [{ Name: 'Worker', Value: 'reconcile-payments' }],
      AlarmActions: Match.anyValue(),
    });
  });

  it('creates one HTTP API route per row and a $default route', () => {
    for (const route of routes) {
      api.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `${route.method} ${route.path}` });
    }
    api.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    api.resourceCountIs('AWS::ApiGatewayV2::Route', routes.length + 1);
  });

  it('runs every function on arm64 with the newest Node.js runtime, JSON logs and a bundled SDK', () => {
    const functions = Object.values(ourFunctions(api));
    for (const fn of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON' });
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        PAYBRIDGE_STAGE: 'cloud',
        TABLE_NAME: expect.anything(),
      });
    }
  });

  it('gives every function its own log group with retention, and has no other but the access log', () => {
    const groups = api.findResources('AWS::Logs::LogGroup') as Record<string, Resource>;
    const functions = Object.values(ourFunctions(api));
    const ofFunctions = functions.map(
      (fn) => (fn.Properties.LoggingConfig as { LogGroup?: { Ref: string } }).LogGroup?.Ref,
    );
    // One group per function: each names one, and no two share it.
    expect(ofFunctions.every((id) => id !== undefined && id in groups)).toBe(true);
    expect(new Set(ofFunctions).size).toBe(functions.length);
    for (const id of ofFunctions) {
      expect(groups[id as string]?.Properties.RetentionInDays, id).toBe(RetentionDays.ONE_MONTH);
    }
    // The only other group is the stage's access log, kept longer.
    const stage = Object.values(api.findResources('AWS::ApiGatewayV2::Stage') as Record<string, Resource>)[0];
    const access = (stage?.Properties.AccessLogSettings as { DestinationArn: { 'Fn::GetAtt': [string] } })
      .DestinationArn['Fn::GetAtt'][0];
    expect(Object.keys(groups).sort()).toEqual([...ofFunctions, access].sort());
    expect(groups[access]?.Properties.RetentionInDays).toBe(RetentionDays.THREE_MONTHS);
  });

  it('throttles the stage and writes access logs without bodies or headers', () => {
    api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
    const stage = Object.values(api.findResources('AWS::ApiGatewayV2::Stage') as Record<string, Resource>)[0];
    expect(JSON.stringify(stage)).not.toMatch(/requestBody|input\.body|\$context\.authorizer/);
  });

  /** The deployed function of a handler module, by its construct id (`GetHealthFunction…`). */
  const functionOf = (handler: string): [string, Resource] => {
    const found = Object.entries(ourFunctions(api)).filter(([id]) =>
      new RegExp(`^${constructId(handler)}Function[0-9A-F]{8}$`).test(id),
    );
    expect(found, handler).toHaveLength(1);
    return found[0] as [string, Resource];
  };

  it('feeds each worker from its own queue, with its batch size and partial batch failures', () => {
    const mappings = Object.values(
      api.findResources('AWS::Lambda::EventSourceMapping') as Record<string, Resource>,
    );
    expect(mappings).toHaveLength(workers.length);
    for (const worker of workers) {
      const [id] = functionOf(worker.handler);
      const mine = mappings.filter(
        (m) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: id }),
      );
      expect(mine, worker.handler).toHaveLength(1);
      expect(mine[0]?.Properties).toMatchObject({
        BatchSize: worker.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      // The queue by its export from the data stack (`…ProviderEventsQueue…`, `…DeliveriesQueue…`).
      const queue = worker.queue.charAt(0).toUpperCase() + worker.queue.slice(1);
      expect(JSON.stringify(mine[0]?.Properties.EventSourceArn)).toMatch(new RegExp(`GetAtt${queue}Queue`));
    }
  });

  it('gives each real worker its declared timeout, and its queue 6× that as visibility', () => {
    for (const worker of workers) {
      const [, fn] = functionOf(worker.handler);
      const timeout = fn.Properties.Timeout as number;
      expect(timeout, worker.handler).toBe(workerTimeouts[worker.queue]);
      expect(queues[worker.queue].visibilityTimeoutSeconds, worker.queue).toBeGreaterThanOrEqual(6 * timeout);
      data.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: `${queues[worker.queue].name}-test`,
        VisibilityTimeout: queues[worker.queue].visibilityTimeoutSeconds,
      });
    }
    // The worst cases the timeouts are sized for (lib/definitions.ts): 3 reconcile rounds × 3 tries × the
    // 6 s provider timeout for the verify worker; one 15 s endpoint attempt for the delivery worker.
    expect(functionOf('workers/verify-provider-events.ts')[1].Properties.Timeout).toBeGreaterThanOrEqual(
      3 * 3 * 6,
    );
    expect(functionOf('workers/deliver-webhooks.ts')[1].Properties.Timeout).toBeGreaterThan(15);
  });

  it('reserves concurrency for the provider-webhook ingest, so a flood on the API cannot starve it', () => {
    const functions = Object.entries(ourFunctions(api));
    const reserved = functions.filter(([, fn]) => fn.Properties.ReservedConcurrentExecutions !== undefined);
    expect(reserved.map(([id]) => id)).toEqual([expect.stringMatching(/^ReceiveProviderWebhook/)]);
    expect(reserved[0]?.[1].Properties.ReservedConcurrentExecutions).toBeGreaterThanOrEqual(10);
  });

  it('grants table access with enumerated actions only, never a wildcard action or Scan', () => {
    for (const statement of statementsOf(api)) {
      const actions = ([] as string[]).concat(statement.Action);
      for (const action of actions) {
        expect(action).not.toContain('*');
        expect(action).not.toBe('dynamodb:Scan');
      }
    }
  });

  it('gives the health function only DescribeTable and GetQueueAttributes (besides its logs and traces)', () => {
    const [, health] = functionOf('api/get-health.ts');
    const role = (health.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = Object.values(api.findResources('AWS::IAM::Policy') as Record<string, Resource>)
      .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
      .flatMap(
        (policy) =>
          (
            policy.Properties.PolicyDocument as {
              Statement: { Action: string | string[]; Resource: unknown }[];
            }
          ).Statement,
      );
    const actions = statements.flatMap((s) => ([] as string[]).concat(s.Action));
    expect([...new Set(actions)].sort()).toEqual([
      'dynamodb:DescribeTable',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:GetQueueAttributes',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    // Each queue's attributes, and nothing but the table for DescribeTable.
    const on = (action: string) =>
      statements
        .filter((s) => ([] as string[]).concat(s.Action).includes(action))
        .map((s) => JSON.stringify(s.Resource));
    expect(on('sqs:GetQueueAttributes').sort()).toEqual([
      expect.stringMatching(/GetAttDeliveriesQueue/),
      expect.stringMatching(/GetAttProviderEventsQueue/),
    ]);
    expect(on('dynamodb:DescribeTable')).toEqual([expect.stringMatching(/GetAttTable[0-9A-F]{8}Arn/)]);
    // The route declares exactly that.
    expect(routeFor('GET /health')).toMatchObject({
      table: 'describe',
      queues: { providerEvents: 'describe', deliveries: 'describe' },
    });
  });

  it('alarms on API 5xx and worker errors into the alarm topic', () => {
    api.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: '5xx' }) }),
        }),
      ]),
      AlarmActions: Match.anyValue(),
    });
    api.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      AlarmActions: Match.anyValue(),
    });
  });
});

describe('data stack', () => {
  it('has one table with pk/sk, the generic GSIs, TTL and point-in-time recovery', () => {
    data.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    data.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      // Exactly the definitions' indexes: gsi1 (lists by time) and gsi2, the sweeper's sparse index of due checks.
      GlobalSecondaryIndexes: table.globalIndexes.map((index) =>
        Match.objectLike({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: index.include
            ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.include] }
            : { ProjectionType: 'ALL' },
        }),
      ),
      Replicas: [
        Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ],
    });
  });

  it('wires each queue to its DLQ with the receive count from the definitions', () => {
    for (const def of Object.values(queues)) {
      data.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: `${def.name}-test`,
        VisibilityTimeout: def.visibilityTimeoutSeconds,
        RedrivePolicy: { maxReceiveCount: def.maxReceiveCount, deadLetterTargetArn: Match.anyValue() },
      });
    }
  });

  it('alarms on DLQ depth with a description of the business impact', () => {
    for (const def of Object.values(queues)) {
      data.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: def.dlqImpact,
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
        AlarmActions: Match.anyValue(),
      });
    }
  });

  it('retains the table in prod and allows deleting it elsewhere', () => {
    const prod = buildApp({ app: new App({ context: { stage: 'prod', 'aws:cdk:bundling-stacks': [] } }) });
    Template.fromStack(prod.data).hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })] }),
    });
    data.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
  });
});

describe('cdk-nag', () => {
  it('fails synthesis on an unacknowledged AwsSolutions finding (the check is live)', () => {
    const built = buildApp({ app: new App({ context: { stage: 'nag', 'aws:cdk:bundling-stacks': [] } }) });
    const extra = new Stack(built.app, 'Offender');
    new Bucket(extra, 'NoLoggingNoSsl');
    expect(() => built.app.synth()).toThrow(/AwsSolutions|[Vv]alidation/);
  });
});

describe('secrets reach only the functions that need them', () => {
  /** Every IAM statement of the API stack, by the function (construct) whose role it is on. */
  const grantsByFunction = (): Map<string, { Action: string | string[]; Resource: unknown }[]> => {
    const byFunction = new Map<string, { Action: string | string[]; Resource: unknown }[]>();
    const policies = api.findResources('AWS::IAM::Policy') as Record<string, Resource>;
    for (const policy of Object.values(policies)) {
      const roles = (policy.Properties.Roles as { Ref: string }[]).map((r) => r.Ref);
      const statements = (policy.Properties.PolicyDocument as { Statement: [] }).Statement;
      for (const role of roles) {
        const name = role.replace(/Role[0-9A-F]{8}$/, '');
        byFunction.set(name, [...(byFunction.get(name) ?? []), ...statements]);
      }
    }
    return byFunction;
  };
  const actionsOn = (statements: { Action: string | string[]; Resource: unknown }[], resource: RegExp) =>
    statements
      .filter((s) => resource.test(JSON.stringify(s.Resource)))
      .flatMap((s) => ([] as string[]).concat(s.Action));
  const pascal = (handler: string) =>
    functionName(handler)
      .split('-')
      .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
      .join('');

  it('lets only register, login and refresh read the private JWT signing set; the rest read the public set', () => {
    const grants = grantsByFunction();
    const signers = [...grants].filter(([, s]) => actionsOn(s, /JwtKeys/).length > 0).map(([name]) => name);
    expect(signers.sort()).toEqual(['Login', 'RefreshSession', 'Register']);
    for (const route of routes) {
      const statements = grants.get(pascal(route.handler)) ?? [];
      const verifies = route.credential !== 'none' && route.credential !== 'providerSignature';
      expect(actionsOn(statements, /JwtPublicKeys/).length > 0, route.handler).toBe(verifies);
      if (!['Login', 'RefreshSession', 'Register'].includes(pascal(route.handler))) {
        expect(actionsOn(statements, /JwtKeys/), route.handler).toEqual([]);
      }
    }
    // The environment tells each function which set it has.
    const functions = Object.entries(ourFunctions(api));
    for (const [id, fn] of functions) {
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      if ('JWT_KEYS_SECRET_ARN' in env) expect(id).toMatch(/^(Login|RefreshSession|Register)Function/);
    }
  });

  it('gives functions that only seal secrets GenerateDataKey and never Decrypt', () => {
    const grants = grantsByFunction();
    const kms = (name: string) => actionsOn(grants.get(name) ?? [], /SecretsKey/);
    for (const route of routes) {
      const actions = kms(pascal(route.handler));
      if (route.secrets === 'seal') {
        expect(actions, route.handler).toContain('kms:GenerateDataKey');
        expect(actions, route.handler).not.toContain('kms:Decrypt');
      } else if (route.secrets === 'open') {
        expect(actions, route.handler).toEqual(['kms:Decrypt']);
      } else {
        expect(actions, route.handler).toEqual([]);
      }
    }
    for (const name of ['ConfigureProvider', 'CreateWebhookEndpoint', 'RotateWebhookSecret']) {
      expect(kms(name)).toEqual(['kms:GenerateDataKey']);
    }
  });

  it('keeps the webhook-token keys (generated at creation) to configure-provider, which mints, and the ingest, which verifies', () => {
    const secrets = data.findResources('AWS::SecretsManager::Secret') as Record<string, Resource>;
    const tokenKeys = Object.entries(secrets).filter(([id]) => id.startsWith('WebhookTokenKeys'));
    expect(tokenKeys).toHaveLength(1);
    const generated = tokenKeys[0]?.[1].Properties.GenerateSecretString as Record<string, unknown>;
    expect(JSON.parse(String(generated.SecretStringTemplate))).toEqual({ current: '1' });
    expect(generated.GenerateStringKey).toBe('k1');
    expect(Number(generated.PasswordLength)).toBeGreaterThanOrEqual(32);

    const grants = grantsByFunction();
    const readers = [...grants]
      .filter(([, s]) => actionsOn(s, /WebhookTokenKeys/).length > 0)
      .map(([name]) => name);
    expect(readers.sort()).toEqual(['ConfigureProvider', 'ReceiveProviderWebhook']);
    expect(
      routes
        .filter((r) => r.webhookTokenKeys)
        .map((r) => pascal(r.handler))
        .sort(),
    ).toEqual(readers.sort());
    for (const name of readers) {
      expect(actionsOn(grants.get(name) ?? [], /WebhookTokenKeys/)).toContain(
        'secretsmanager:GetSecretValue',
      );
    }
    for (const [id, fn] of Object.entries(ourFunctions(api))) {
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const named = JSON.stringify(env.WEBHOOK_TOKEN_KEYS_SECRET_ARN ?? '');
      expect(/WebhookTokenKeys/.test(named), id).toBe(
        /^(ConfigureProvider|ReceiveProviderWebhook)Function/.test(id),
      );
      // In the cloud the key is never in the environment itself.
      if ('WEBHOOK_TOKEN_KEYS' in env) expect(env.WEBHOOK_TOKEN_KEYS, id).toBe('');
      // The extension that reads it runs where the secret is read.
      if (/WebhookTokenKeys/.test(named)) expect(Number(env.SECRETS_MANAGER_TTL), id).toBeLessThanOrEqual(60);
    }
  });

  it('keeps the extension’s secret cache short, so a rotation reaches warm functions', () => {
    const functions = Object.values(ourFunctions(api));
    const withJwt = functions.filter((fn) => {
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      return 'JWT_KEYS_SECRET_ARN' in env || 'JWT_PUBLIC_KEYS_SECRET_ARN' in env;
    });
    // Exactly the routes that read a JWT key set (routes.ts `jwt`).
    expect(withJwt).toHaveLength(routes.filter((r) => r.jwt !== undefined).length);
    for (const fn of withJwt) {
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Number(env.SECRETS_MANAGER_TTL)).toBeLessThanOrEqual(60);
    }
  });
});

describe("the operator's view", () => {
  /** The whole app as deployed (every route and worker), unbundled: the observability stack's template. */
  let full: ReturnType<typeof buildApp>;
  let observability: Template;
  beforeAll(() => {
    full = buildApp({ app: new App({ context: { stage: 'obs', 'aws:cdk:bundling-stacks': [] } }) });
    full.app.synth(); // cdk-nag on the nested stack too
    observability = Template.fromStack(full.api.observability);
  }, 300_000);

  it('traces every function actively (X-Ray), so ingest → verify → deliver can be followed', () => {
    for (const template of [api, Template.fromStack(full.api)]) {
      const functions = Object.values(ourFunctions(template));
      expect(functions).toHaveLength(handlers.size);
      for (const fn of functions) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
    // The only wildcard resource is X-Ray's, which has no resource-level permissions.
    const wildcard = statementsOf(api).filter((s) => JSON.stringify(s.Resource) === '"*"');
    for (const statement of wildcard) {
      expect(([] as string[]).concat(statement.Action).sort()).toEqual([
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
    }
  });

  it('keeps the API stack under CloudFormation’s 500 resources: the operator’s view is a nested stack', () => {
    const count = (t: Template) => Object.keys(t.toJSON().Resources as object).length;
    const parent = Template.fromStack(full.api);
    parent.resourceCountIs('AWS::CloudFormation::Stack', 1);
    expect(count(parent)).toBeLessThan(500);
    expect(count(observability)).toBeLessThan(100);
  });

  it('counts the business metrics with metric filters over the structured log lines', () => {
    const filters = Object.values(
      observability.findResources('AWS::Logs::MetricFilter') as Record<string, Resource>,
    );
    const byName = (name: string) =>
      filters.filter(
        (f) => (f.Properties.MetricTransformations as { MetricName: string }[])[0]?.MetricName === name,
      );
    const expected = {
      PaymentsCreated: ['$.message = "payment created"', '$.provider', '$.mode'],
      ProviderFailovers: ['$.message = "provider failover"'],
      PaymentTransitions: ['$.message = "payment transition"', '$.status'],
      PaymentSettlements: ['$.message = "payment transition"', '$.settledBy'],
      ProviderWebhooks: ['$.message = "provider event"', '$.outcome'],
      WebhooksRejected: ['$.message = "provider webhook signature rejected"', '$.reason'],
      Deliveries: ['$.eventId', '$.endpointId', '$.outcome'],
      DeliveryLatency: ['$.outcome = "delivered"', '$.deliveryLatencyMs'],
      RefundsCreated: ['$.message = "refund created"'],
      RefundTransitions: ['$.message = "refund transition"', '$.status'],
    };
    for (const [name, parts] of Object.entries(expected)) {
      const found = byName(name);
      expect(found.length, name).toBeGreaterThan(0);
      const patterns = found.map((f) => f.Properties.FilterPattern as string).join('\n');
      for (const part of parts) expect(patterns, name).toContain(part);
      for (const f of found) {
        const [t] = f.Properties.MetricTransformations as {
          MetricNamespace: string;
          Dimensions?: unknown[];
        }[];
        expect(t?.MetricNamespace).toBe('PayBridge');
        expect((t?.Dimensions ?? []).length).toBeLessThanOrEqual(3);
      }
    }
    // Each line's filter sits on the log group of every function that logs it (the settle path runs in three).
    expect(byName('PaymentTransitions')).toHaveLength(3);
    expect(filters).toHaveLength(logMetrics.reduce((n, m) => n + m.sources.length, 0));
    // A metric's value field is part of its pattern, as CloudWatch requires.
    observability.hasResourceProperties('AWS::Logs::MetricFilter', {
      MetricTransformations: [Match.objectLike({ MetricValue: '$.deliveryLatencyMs', Unit: 'Milliseconds' })],
    });
    expect(
      filterPatternOf(logMetrics.find((m) => m.metricName === 'DeliveryLatency') as never).jsonPatternString,
    ).toContain('$.deliveryLatencyMs');
  });

  it('has one dashboard with the business, API, function, queue and sweeper widgets', () => {
    observability.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const dashboard = Object.values(
      observability.findResources('AWS::CloudWatch::Dashboard') as Record<string, Resource>,
    )[0];
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const title of [
      'Payments created (by provider, mode)',
      'Payments by new status',
      'Settlement source (webhook, verify, reconciliation)',
      'Provider failovers',
      'Provider webhooks: received and outcome',
      'Provider webhooks rejected (by reason)',
      'Merchant webhook deliveries (by outcome)',
      'Merchant webhook delivery latency',
      'Refunds (created, and by new status)',
      'API requests, 4xx and 5xx',
      'API latency',
      'Money-path functions: errors',
      'Money-path functions: throttles',
      'Money-path functions: duration p99',
      'Queues: messages waiting',
      'Queues: age of oldest message',
      'Reconciliation sweeper: runs and errors',
    ]) {
      expect(body).toContain(title);
    }
    // Both queues and both DLQs, depth and age.
    for (const queue of [
      'paybridge-provider-events-obs',
      'paybridge-provider-events-dlq-obs',
      'paybridge-deliveries-obs',
      'paybridge-deliveries-dlq-obs',
    ]) {
      expect(body).toContain(queue); // no name is a part of another
    }
    expect(body).toContain('ApproximateAgeOfOldestMessage');
    expect(body).toContain('SweepErrors');
  });

  it('alarms on the API 5xx rate with metric math and a minimum-traffic guard, as its text says', () => {
    const parent = Template.fromStack(full.api);
    const alarms = Object.values(parent.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>);
    const api5xx = alarms.find((a) => /5xx/.test(a.Properties.AlarmDescription as string));
    expect(api5xx?.Properties.MetricName).toBeUndefined();
    const metrics = api5xx?.Properties.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string } };
    }[];
    const expression = metrics.find((m) => m.Expression)?.Expression ?? '';
    expect(expression).toMatch(/100 \* FILL\(errors, 0\) \/ requests/);
    expect(expression).toMatch(/requests, 0\) >= 50/);
    expect(
      metrics
        .map((m) => m.MetricStat?.Metric.MetricName)
        .filter(Boolean)
        .sort(),
    ).toEqual(['5xx', 'Count']);
    expect(api5xx?.Properties.Threshold).toBe(1);
    expect(api5xx?.Properties.AlarmDescription).toMatch(/1 % of API requests/);
  });

  it('alarms on errors and throttles of each money-path HTTP function', () => {
    const alarms = Object.values(
      observability.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>,
    );
    expect(alarms).toHaveLength(moneyPathRoutes.length);
    for (const alarm of alarms) {
      const metrics = alarm.Properties.Metrics as { MetricStat?: { Metric: { MetricName: string } } }[];
      expect(
        metrics
          .map((m) => m.MetricStat?.Metric.MetricName)
          .filter(Boolean)
          .sort(),
      ).toEqual(['Errors', 'Throttles']);
      expect(alarm.Properties.AlarmActions).toBeDefined();
    }
  });

  it('says in every alarm what it measures, the business impact and the first thing to check', () => {
    const alarms = [Template.fromStack(full.data), Template.fromStack(full.api), observability].flatMap((t) =>
      Object.values(t.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>),
    );
    expect(alarms.length).toBeGreaterThan(15);
    for (const alarm of alarms) {
      const text = JSON.stringify(alarm.Properties.AlarmDescription);
      expect(text).toMatch(/Impact: /);
      expect(text).toMatch(/First check: /);
    }
  });
});

describe('email through Amazon SES', () => {
  const withSender = () =>
    buildApp({
      app: new App({
        context: { stage: 'mail', 'aws:cdk:bundling-stacks': [], mailFrom: 'no-reply@paybridge.example' },
      }),
    });
  const sesFunctions = (template: Template) =>
    Object.entries(ourFunctions(template))
      .filter(
        ([, fn]) => 'MAIL_FROM' in ((fn.Properties.Environment as { Variables: object }).Variables ?? {}),
      )
      .map(([id]) => id.replace(/Function[0-9A-F]{8}$/, ''))
      .sort();

  it('lets only the routes that send mail send it, as the configured sender only', () => {
    const template = Template.fromStack(withSender().api);
    const mailRoutes = routes.filter((r) => r.mail).map((r) => constructId(r.handler));
    expect(mailRoutes.sort()).toEqual(['RequestPasswordReset', 'ResendVerification', 'Register'].sort());
    expect(sesFunctions(template)).toEqual([...mailRoutes].sort());
    const sesStatements = Object.values(
      template.findResources('AWS::IAM::Policy') as Record<string, Resource>,
    )
      .flatMap(
        (p) =>
          (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
            .Statement,
      )
      .filter((s) => ([] as string[]).concat(s.Action).some((a) => a.startsWith('ses:')));
    expect(sesStatements.length).toBe(mailRoutes.length);
    for (const statement of sesStatements) {
      expect(statement.Action).toBe('ses:SendEmail');
      expect(JSON.stringify(statement.Resource)).toMatch(/identity\/paybridge\.example/);
      expect(JSON.stringify(statement.Resource)).not.toMatch(/identity\/\*/);
    }
  });

  it('grants no SES permission and sets no sender when the deploy names none', () => {
    expect(sesFunctions(api)).toEqual([]);
    const actions = statementsOf(api).flatMap((s) => ([] as string[]).concat(s.Action));
    expect(actions.filter((a) => a.startsWith('ses:'))).toEqual([]);
  });
});
