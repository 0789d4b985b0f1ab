import { Duration, NestedStack, type NestedStackProps } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
  Unit,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, type JsonPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { constructId, functionName } from '#routes';
import { dlqName, type QueueKey, queues } from './definitions.ts';
import type { PayBridgeFunction } from './paybridge-function.ts';

/** Where the business metrics live: the metric filters below and the EMF counts (functions/app/silence.ts). */
export const metricNamespace = 'PayBridge';

/**
 * A business metric read from a structured log line by a CloudWatch metric filter: no code at run
 * time, no extra request, no bundle bytes. The line is the one logged where the fact is decided.
 */
export interface LogMetric {
  readonly metricName: string;
  /** The line's `message` (any of these); absent: the line is told by its fields alone. */
  readonly messages?: readonly string[];
  /** String fields the line must carry with exactly this value. */
  readonly where?: Readonly<Record<string, string>>;
  /** Fields the line must carry (with any value). */
  readonly fields?: readonly string[];
  /** CloudWatch dimension → the log field it takes its value from (at most three). */
  readonly dimensions: Readonly<Record<string, string>>;
  /** A numeric field whose value is the datapoint (default: 1 per line). */
  readonly value?: string;
  readonly unit?: 'Count' | 'Milliseconds';
  /** Handlers (functions/…) that log the line: one metric filter on each one's log group. */
  readonly sources: readonly string[];
}

const createsPayments = ['api/create-payment.ts', 'api/pay-submit.ts'];
/** Every caller of the one settle path (core/payments.ts settlePayment → core/webhook-transitions.ts). */
const settlesPayments = [
  'workers/verify-provider-events.ts',
  'api/verify-payment.ts',
  'workers/reconcile-payments.ts',
];
/** Every caller of the refund transition (app/refunds.ts `transition`). */
const movesRefunds = ['api/create-refund.ts', ...settlesPayments];
const verifyWorker = 'workers/verify-provider-events.ts';
const deliverWorker = 'workers/deliver-webhooks.ts';

/** The log lines (functions/…) the business metrics are read from; test/integration/metrics-logs.test.ts checks each is logged. */
export const logMetrics: readonly LogMetric[] = [
  {
    // core/payments.ts createPayment, after the one transaction.
    metricName: 'PaymentsCreated',
    messages: ['payment created'],
    dimensions: { Provider: 'provider', Mode: 'mode' },
    sources: createsPayments,
  },
  {
    // core/payments.ts createPayment: a provider failed retryably and routing moved to the next.
    metricName: 'ProviderFailovers',
    messages: ['provider failover'],
    dimensions: { Provider: 'provider', Mode: 'mode' },
    sources: createsPayments,
  },
  {
    // core/webhook-transitions.ts: every recorded status move (succeeded, failed, expired, requires_review…).
    metricName: 'PaymentTransitions',
    messages: ['payment transition'],
    dimensions: { Status: 'status', Provider: 'provider', Mode: 'mode' },
    sources: settlesPayments,
  },
  {
    // The same line, by who learnt of it first: webhook, verify or reconciliation.
    metricName: 'PaymentSettlements',
    messages: ['payment transition'],
    dimensions: { SettledBy: 'settledBy', Status: 'status', Provider: 'provider' },
    sources: settlesPayments,
  },
  {
    // workers/verify-provider-events.ts: what became of each provider webhook (applied, duplicate, ignored, rejected, retry).
    metricName: 'ProviderWebhooks',
    messages: ['provider event'],
    dimensions: { Outcome: 'outcome', Provider: 'provider' },
    sources: [verifyWorker],
  },
  {
    // app/inbound.ts: a signature refused, by the adapter's reason (bad signature, stale timestamp…).
    metricName: 'WebhooksRejected',
    messages: ['provider webhook signature rejected'],
    dimensions: { Provider: 'provider', Reason: 'reason' },
    sources: [verifyWorker],
  },
  {
    // app/inbound.ts: the other rejections, whose reason is the line itself.
    metricName: 'WebhooksRejected',
    messages: [
      'provider webhook for an unknown token',
      'provider webhook for a removed configuration',
      'signed provider webhook we cannot read',
    ],
    dimensions: { Provider: 'provider', Reason: 'message' },
    sources: [verifyWorker],
  },
  {
    // workers/deliver-webhooks.ts: one line per delivery message with its outcome
    // (delivered, retrying, failed, disabled, deferred, skipped); told by its fields, whatever its text.
    metricName: 'Deliveries',
    fields: ['eventId', 'endpointId'],
    dimensions: { Outcome: 'outcome' },
    sources: [deliverWorker],
  },
  {
    // The same worker: from the event's creation to the merchant's 2xx, retries included.
    metricName: 'DeliveryLatency',
    where: { outcome: 'delivered' },
    fields: ['eventId', 'endpointId'],
    dimensions: {},
    value: 'deliveryLatencyMs',
    unit: 'Milliseconds',
    sources: [deliverWorker],
  },
  {
    // app/refunds.ts `reserve`: the refund and its hold are recorded.
    metricName: 'RefundsCreated',
    messages: ['refund created'],
    dimensions: { Provider: 'provider', Mode: 'mode' },
    sources: ['api/create-refund.ts'],
  },
  {
    // app/refunds.ts `transition`: succeeded, failed, requires_action…
    metricName: 'RefundTransitions',
    messages: ['refund transition'],
    dimensions: { Status: 'status', Provider: 'provider', Mode: 'mode' },
    sources: movesRefunds,
  },
];

/** The JSON filter pattern of a log metric: its message, its conditions, and every field it reads. */
export function filterPatternOf(metric: LogMetric): JsonPattern {
  const parts: JsonPattern[] = [];
  const messages = (metric.messages ?? []).map((m) => FilterPattern.stringValue('$.message', '=', m));
  if (messages.length === 1) parts.push(...messages);
  if (messages.length > 1) parts.push(FilterPattern.any(...messages));
  for (const [field, value] of Object.entries(metric.where ?? {}))
    parts.push(FilterPattern.stringValue(`$.${field}`, '=', value));
  const read = [...(metric.fields ?? []), ...Object.values(metric.dimensions), metric.value].filter(
    (f): f is string => f !== undefined && f !== 'message',
  );
  for (const field of new Set(read)) parts.push(FilterPattern.exists(`$.${field}`));
  return FilterPattern.all(...parts);
}

/** The HTTP functions money moves through: each has its own errors-and-throttles alarm. */
export const moneyPathRoutes = [
  'api/create-payment.ts',
  'api/pay-submit.ts',
  'api/verify-payment.ts',
  'api/create-refund.ts',
  'hooks/receive-provider-webhook.ts',
] as const;

/** Money-path functions on the dashboard: the HTTP ones, the two queue workers and the sweeper. */
const moneyPathFunctions = [...moneyPathRoutes, verifyWorker, deliverWorker, 'workers/reconcile-payments.ts'];

export interface ObservabilityProps extends NestedStackProps {
  readonly stage: string;
  readonly api: HttpApi;
  /** The stack's functions by `functionName(handler)`. */
  readonly functions: Readonly<Record<string, PayBridgeFunction>>;
  readonly alarmAction: IAlarmAction;
}

const fiveMinutes = Duration.minutes(5);

/** A graph of every metric of a name with exactly these dimensions (a CloudWatch SEARCH expression). */
const search = (metricName: string, dimensions: readonly string[], stat = 'Sum', label = metricName) =>
  new MathExpression({
    expression: `SEARCH('{${[metricNamespace, ...dimensions].join(',')}} MetricName="${metricName}"', '${stat}', 300)`,
    usingMetrics: {},
    label,
    period: fiveMinutes,
  });

/**
 * The operator's view of PayBridge: business metrics from metric filters over the structured logs,
 * one CloudWatch dashboard, and an errors-and-throttles alarm per money-path HTTP function.
 *
 * A nested stack of the API stack: deployed with it, but its ~25 resources count against its own
 * 500-resource limit, not against the API stack's (one function per route already takes ~470).
 */
export class Observability extends NestedStack {
  readonly dashboard: Dashboard;
  readonly metricFilters: MetricFilter[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id, { description: `PayBridge ${props.stage}: dashboard, business metrics and alarms` });
    const fnOf = (handler: string) => props.functions[functionName(handler)];

    const seen = new Map<string, number>();
    for (const metric of logMetrics) {
      const filterPattern = filterPatternOf(metric);
      // WebhooksRejected is read from two kinds of line: the second one's ids get a suffix.
      const nth = seen.get(metric.metricName) ?? 0;
      seen.set(metric.metricName, nth + 1);
      for (const handler of metric.sources) {
        const fn = fnOf(handler);
        if (!fn) continue; // a stack built from a reduced route table (tests)
        this.metricFilters.push(
          new MetricFilter(this, `${metric.metricName}${nth || ''}${constructId(handler)}`, {
            logGroup: fn.logGroup,
            metricNamespace,
            metricName: metric.metricName,
            filterPattern,
            metricValue: metric.value ? `$.${metric.value}` : '1',
            ...(Object.keys(metric.dimensions).length
              ? {
                  dimensions: Object.fromEntries(
                    Object.entries(metric.dimensions).map(([name, field]) => [name, `$.${field}`]),
                  ),
                }
              : {}),
            ...(metric.unit === 'Milliseconds' ? { unit: Unit.MILLISECONDS } : {}),
          }),
        );
      }
    }

    for (const handler of moneyPathRoutes) {
      const fn = fnOf(handler);
      if (!fn) continue;
      const name = functionName(handler);
      new Alarm(this, `${constructId(handler)}FailingAlarm`, {
        alarmDescription: `${name}: 3 or more invocations crashed, timed out or were throttled in 5 minutes (the handler answers its own errors, so each one here is an unhandled failure). Impact: ${impactOf(handler)} First check: the function's log group for "request failed" and "Task timed out" lines; for throttles, its concurrency against the account's (and, for the webhook ingest, its reserved) limit.`,
        metric: new MathExpression({
          expression: 'FILL(errors, 0) + FILL(throttles, 0)',
          usingMetrics: {
            errors: fn.fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
            throttles: fn.fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
          },
          period: fiveMinutes,
          label: `${name} errors + throttles`,
        }),
        threshold: 3,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(props.alarmAction);
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `PayBridge-${props.stage}`,
      defaultInterval: Duration.hours(6),
    });
    const graph = (title: string, left: IMetric[], right: IMetric[] = [], width = 8) =>
      new GraphWidget({ title, left, right, width, height: 6, period: fiveMinutes });

    const api = props.api;
    const moneyFns = moneyPathFunctions
      .map((handler) => ({ name: functionName(handler), fn: fnOf(handler) }))
      .filter((f): f is { name: string; fn: PayBridgeFunction } => f.fn !== undefined);
    const queueMetric = (metricName: string, queueName: string, label: string) =>
      new Metric({
        namespace: 'AWS/SQS',
        metricName,
        dimensionsMap: { QueueName: queueName },
        statistic: 'Maximum',
        period: Duration.minutes(1),
        label,
      });
    // Queue names as the data stack sets them (no cross-stack reference needed for a graph).
    const allQueues = (Object.keys(queues) as QueueKey[]).flatMap((key) => [
      { label: key, name: `${queues[key].name}-${props.stage}` },
      { label: `${key} DLQ`, name: `${dlqName(queues[key])}-${props.stage}` },
    ]);
    const sweeper = fnOf('workers/reconcile-payments.ts');

    this.dashboard.addWidgets(
      graph('Payments created (by provider, mode)', [search('PaymentsCreated', ['Mode', 'Provider'])]),
      graph('Payments by new status (succeeded, failed, expired…)', [
        search('PaymentTransitions', ['Mode', 'Provider', 'Status']),
      ]),
      graph('Settlement source (webhook, verify, reconciliation)', [
        search('PaymentSettlements', ['Provider', 'SettledBy', 'Status']),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Provider failovers', [search('ProviderFailovers', ['Mode', 'Provider'])]),
      graph('Provider webhooks: received and outcome', [
        search('WebhooksReceived', ['Mode', 'Provider']),
        search('ProviderWebhooks', ['Outcome', 'Provider']),
      ]),
      graph('Provider webhooks rejected (by reason)', [search('WebhooksRejected', ['Provider', 'Reason'])]),
    );
    this.dashboard.addWidgets(
      graph('Merchant webhook deliveries (by outcome)', [search('Deliveries', ['Outcome'])]),
      graph(
        'Merchant webhook delivery latency',
        ['p50', 'p90', 'p99'].map(
          (statistic) =>
            new Metric({
              namespace: metricNamespace,
              metricName: 'DeliveryLatency',
              statistic,
              period: fiveMinutes,
              label: `${statistic} (ms)`,
            }),
        ),
      ),
      graph('Refunds (created, and by new status)', [
        search('RefundsCreated', ['Mode', 'Provider']),
        search('RefundTransitions', ['Mode', 'Provider', 'Status']),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'API requests, 4xx and 5xx',
        [api.metricCount({ period: fiveMinutes, label: 'requests' })],
        [
          api.metricClientError({ period: fiveMinutes, label: '4xx' }),
          api.metricServerError({ period: fiveMinutes, label: '5xx' }),
        ],
      ),
      graph(
        'API latency',
        ['p50', 'p99'].map((statistic) =>
          api.metricLatency({ period: fiveMinutes, statistic, label: statistic }),
        ),
      ),
      graph(
        'Reconciliation sweeper: runs and errors',
        sweeper
          ? [
              sweeper.fn.metricInvocations({ period: fiveMinutes, label: 'runs' }),
              sweeper.fn.metricErrors({ period: fiveMinutes, label: 'failed runs' }),
            ]
          : [],
        [
          new Metric({
            namespace: metricNamespace,
            metricName: 'SweepErrors',
            dimensionsMap: { Worker: 'reconcile-payments' },
            statistic: 'Sum',
            period: fiveMinutes,
            label: 'failed checks',
          }),
          search('SettledByReconciliation', ['Mode', 'Provider']),
        ],
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Money-path functions: errors',
        moneyFns.map(({ name, fn }) => fn.fn.metricErrors({ period: fiveMinutes, label: name })),
      ),
      graph(
        'Money-path functions: throttles',
        moneyFns.map(({ name, fn }) => fn.fn.metricThrottles({ period: fiveMinutes, label: name })),
      ),
      graph(
        'Money-path functions: duration p99',
        moneyFns.map(({ name, fn }) =>
          fn.fn.metricDuration({ period: fiveMinutes, statistic: 'p99', label: name }),
        ),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Queues: messages waiting',
        allQueues.map((q) => queueMetric('ApproximateNumberOfMessagesVisible', q.name, q.label)),
        [],
        12,
      ),
      graph(
        'Queues: age of oldest message (s)',
        allQueues.map((q) => queueMetric('ApproximateAgeOfOldestMessage', q.name, q.label)),
        [],
        12,
      ),
    );
  }
}

/** What a money-path HTTP function failing means for the business. */
function impactOf(handler: (typeof moneyPathRoutes)[number]): string {
  switch (handler) {
    case 'api/create-payment.ts':
      return 'merchants cannot start payments (POST /v1/payments answers 5xx).';
    case 'api/pay-submit.ts':
      return 'customers cannot pay through payment links.';
    case 'api/verify-payment.ts':
      return 'merchants cannot confirm a payment on demand; settlement still comes by webhook and sweeper.';
    case 'api/create-refund.ts':
      return 'merchants cannot refund.';
    case 'hooks/receive-provider-webhook.ts':
      return 'provider webhooks are refused, so payments settle only through the sweeper, minutes late (the providers retry for a while).';
  }
}
