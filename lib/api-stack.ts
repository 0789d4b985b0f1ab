import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  Alarm,
  ComparisonOperator,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { constructId, fallback, functionName, type Route, type ScheduledWorker, type Worker } from '#routes';
import type { DataResources } from './data-stack.ts';
import { workerTimeoutSeconds } from './definitions.ts';
import { DashboardSite } from './dashboard-site.ts';
import { Observability } from './observability.ts';
import { PayBridgeFunction } from './paybridge-function.ts';

export interface ApiStackProps extends StackProps {
  readonly stage: string;
  readonly version: string;
  readonly data: DataResources;
  readonly routes: readonly Route[];
  readonly workers: readonly Worker[];
  /** Functions on a timer (the reconciliation sweeper). */
  readonly scheduledWorkers?: readonly ScheduledWorker[];
  readonly retainLogs: boolean;
  /** Requests per second across the API, and the burst above it. */
  readonly throttle?: { rateLimit: number; burstLimit: number };
}

/**
 * The stateless half: one function per route-table row behind an HTTP API
 * (payload 2.0), a `$default` route answering 404/405 in our error shape, and
 * one function per queue worker fed by an SQS event source with partial batch
 * failures.
 */
export class ApiStack extends Stack {
  readonly api: HttpApi;
  readonly functions: Record<string, PayBridgeFunction> = {};
  readonly dashboard: DashboardSite;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const common = {
      data: props.data,
      stage: props.stage,
      version: props.version,
      retainLogs: props.retainLogs,
    };
    const make = (
      row: Pick<
        Route,
        | 'handler'
        | 'table'
        | 'queues'
        | 'secrets'
        | 'jwt'
        | 'webhookTokenKeys'
        | 'mail'
        | 'memoryMb'
        | 'timeoutSeconds'
        | 'assets'
        | 'openApiDocument'
        | 'reservedConcurrency'
      > &
        Partial<Pick<Route, 'credential' | 'rateLimit'>>,
    ) => {
      const name = functionName(row.handler);
      const existing = this.functions[name];
      if (existing) return existing;
      const fn = new PayBridgeFunction(this, constructId(row.handler), {
        ...common,
        handler: row.handler,
        table: row.table,
        queues: row.queues,
        secrets: row.secrets,
        jwt: row.jwt,
        webhookTokenKeys: row.webhookTokenKeys,
        mail: row.mail,
        memoryMb: row.memoryMb,
        timeoutSeconds: row.timeoutSeconds,
        reservedConcurrency: row.reservedConcurrency,
        assets: row.assets,
        openApiDocument: row.openApiDocument,
        credential: row.credential,
        rateLimit: row.rateLimit,
      });
      this.functions[name] = fn;
      return fn;
    };

    const notFound = make(fallback);
    this.api = new HttpApi(this, 'HttpApi', {
      apiName: `paybridge-${props.stage}`,
      description: 'PayBridge: one API for Paystack, Flutterwave, Stripe and Chapa',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('NotFound', notFound.fn),
    });

    for (const route of props.routes) {
      const fn = make(route);
      const httpRoute = new HttpRoute(this, `Route${constructId(route.handler)}${route.method}`, {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: new HttpLambdaIntegration(`${constructId(route.handler)}Integration`, fn.fn),
      });
      Validations.of(httpRoute).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG4',
        reason: inAppAuth(route),
      });
    }

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 100, burstLimit: 200 },
      // Request metadata only: never bodies or headers, which carry secrets and customer data.
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    const action = new SnsAction(props.data.alarmTopic);
    // A rate, not a count: 5xx over all requests in 5 minutes. Under 50 requests a percentage means
    // little (one error is 2 %), so there it takes 5 errors, as the old count alarm did.
    new Alarm(this, 'Api5xxAlarm', {
      alarmDescription:
        'More than 1 % of API requests answered 5xx over 5 minutes (at 50 requests or more; below that, 5 or more 5xx). Impact: merchants cannot create, verify or read payments, and provider webhooks may be refused. First check: the dashboard\'s "Money-path functions: errors" widget, then the failing function\'s "request failed" log lines.',
      metric: new MathExpression({
        expression:
          'IF(FILL(requests, 0) >= 50, 100 * FILL(errors, 0) / requests, IF(FILL(errors, 0) >= 5, 100, 0))',
        usingMetrics: {
          errors: this.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
          requests: this.api.metricCount({ period: Duration.minutes(5), statistic: 'Sum' }),
        },
        period: Duration.minutes(5),
        label: '5xx % of requests',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(action);

    for (const worker of props.workers) {
      const fn = make({ ...worker, timeoutSeconds: workerTimeoutSeconds(worker.queue) });
      fn.fn.addEventSource(
        new SqsEventSource(props.data.queues[worker.queue], {
          batchSize: worker.batchSize,
          reportBatchItemFailures: true,
        }),
      );
      new Alarm(this, `${constructId(worker.handler)}ErrorsAlarm`, {
        alarmDescription: `The ${worker.queue} worker is failing invocations (1 or more in 5 minutes). Impact: events are being retried and may reach the DLQ, so ${worker.queue === 'deliveries' ? 'merchants hear of payments late or not at all' : 'payments stay pending and merchants are not told'}. First check: the ${functionName(worker.handler)} log group for ERROR lines and "Task timed out".`,
        metric: fn.fn.metricErrors({ period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(action);
    }

    for (const scheduled of props.scheduledWorkers ?? []) {
      const name = constructId(scheduled.handler);
      const fn = make(scheduled);
      const sweeperLog = `the ${functionName(scheduled.handler)} log group`;
      // One invocation per period, no retries on top of the next run: a missed sweep is the next one.
      new Rule(this, `${name}Schedule`, {
        description: `Runs ${functionName(scheduled.handler)} every ${scheduled.everyMinutes} minute(s).`,
        schedule: Schedule.rate(Duration.minutes(scheduled.everyMinutes)),
        targets: [new LambdaFunction(fn.fn, { retryAttempts: 0 })],
      });
      new Alarm(this, `${name}ErrorsAlarm`, {
        alarmDescription: `Impact: ${scheduled.impact} (errors in 3 runs out of 5) First check: ${sweeperLog} for ERROR lines and "Task timed out".`,
        metric: fn.fn.metricErrors({ period: Duration.minutes(scheduled.everyMinutes) }),
        threshold: 1,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(action);
      new Alarm(this, `${name}DurationAlarm`, {
        alarmDescription: `Impact: ${scheduled.impact} (runs are close to their timeout: open payments outgrow one sweep) First check: the "due" count in ${sweeperLog}'s "reconciliation sweep" lines, and provider latency.`,
        metric: fn.fn.metricDuration({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: scheduled.timeoutSeconds * 1000 * 0.8,
        evaluationPeriods: 3,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(action);
      new Alarm(this, `${name}NeverInvokedAlarm`, {
        alarmDescription: `Impact: ${scheduled.impact} (it has not run for 15 minutes) First check: that the EventBridge rule ${name}Schedule is enabled and its target is the function.`,
        metric: fn.fn.metricInvocations({ period: Duration.minutes(15), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.BREACHING,
      }).addAlarmAction(action);
      // Failed checks do not fail the run (they are retried, backing off), so the errors alarm above
      // cannot see them: the worker counts them as an EMF metric. Failing in every quarter of an hour
      // is an outage or a broken configuration, not one flaky call.
      new Alarm(this, `${name}SweepErrorsAlarm`, {
        alarmDescription: `Impact: ${scheduled.impact} (the sweeper's provider checks keep failing: a provider is down, or a merchant's provider configuration was removed, disabled or its keys revoked) First check: the "reconciliation sweep: checks failed" WARN lines in ${sweeperLog}, which say which provider and why.`,
        metric: new Metric({
          namespace: 'PayBridge',
          metricName: 'SweepErrors',
          dimensionsMap: { Worker: functionName(scheduled.handler) },
          statistic: 'Sum',
          period: Duration.minutes(15),
        }),
        threshold: 1,
        evaluationPeriods: 4,
        datapointsToAlarm: 4,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(action);
    }

    // Provider silence: payments the sweeper had to settle while no webhook arrived for that provider and mode.
    for (const provider of ['paystack', 'flutterwave', 'stripe', 'chapa']) {
      for (const mode of ['live']) {
        const dims = { Provider: provider, Mode: mode };
        const swept = new Metric({
          namespace: 'PayBridge',
          metricName: 'SettledByReconciliation',
          dimensionsMap: dims,
          statistic: 'Sum',
          period: Duration.hours(1),
        });
        const received = new Metric({
          namespace: 'PayBridge',
          metricName: 'WebhooksReceived',
          dimensionsMap: dims,
          statistic: 'Sum',
          period: Duration.hours(1),
        });
        new Alarm(this, `${constructId(provider)}SilenceAlarm`, {
          alarmDescription: `${provider} (${mode}) payments are settling only through the reconciliation sweeper: its webhooks are not arriving (a wrong webhook URL or secret, or a provider outage). Impact: merchants learn of payments minutes late. First check: the webhook URL and secret in the ${provider} dashboard against GET /v1/providers, then the "Provider webhooks rejected" dashboard widget.`,
          metric: new MathExpression({
            expression: 'IF(swept >= 3 AND FILL(received, 0) == 0, 1, 0)',
            usingMetrics: { swept, received },
            period: Duration.hours(1),
          }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }).addAlarmAction(action);
      }
    }

    // Business metrics from the logs, the dashboard, and the money-path functions' alarms.
    this.observability = new Observability(this, 'Observability', {
      stage: props.stage,
      api: this.api,
      functions: this.functions,
      alarmAction: action,
    });

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG4',
      reason: 'The $default route only answers 404/405 in our error shape; it reads and writes nothing.',
    });

    new CfnOutput(this, 'ApiUrl', { value: stage.url });
    // The merchant dashboard: S3 + CloudFront, with this API under /v1/* on the same origin.
    this.dashboard = new DashboardSite(this, 'Dashboard', { api: this.api, retainLogs: props.retainLogs });
  }
}

/** Why a route has no API Gateway authorizer: the credential is checked in the function. */
function inAppAuth(route: Route): string {
  switch (route.credential) {
    case 'none':
      return `${route.method} ${route.path} is public by design (declared credential: none).`;
    case 'providerSignature':
      return `${route.method} ${route.path} is called by a payment provider; its HMAC signature is verified by the queue worker before anything is trusted.`;
    case 'admin':
    case 'apiKeyOrDashboard':
    case 'dashboard':
      return `${route.method} ${route.path} authenticates in the function (credential: ${route.credential}), as declared in functions/routes.ts; see README, Auth model, for why not an authorizer.`;
  }
}
