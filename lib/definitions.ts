/**
 * The table and queue definitions, as plain data. The CDK stack (lib/data-stack.ts)
 * and the local stack (local/resources.ts) both build from these, so the cloud and
 * the laptop cannot drift apart.
 */

export const table = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  /**
   * Generic secondary indexes: each item decides what it puts into them (store/keys.ts).
   * `include` limits what an index copies (keys plus these attributes; all when absent):
   * gsi2 is the sweeper's sparse index of due checks, which needs only who owns the
   * payment, so each index write is a few hundred bytes (one write unit), not the payment.
   */
  globalIndexes: [
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', include: ['merchantId', 'mode', 'id'] },
  ] as readonly { indexName: string; partitionKey: string; sortKey: string; include?: readonly string[] }[],
} as const;

export type QueueKey = 'providerEvents' | 'deliveries';

export interface QueueDefinition {
  /** Name stem; the cloud adds the stack's prefix, the local stack uses it as is. */
  readonly name: string;
  /** Seconds a received message stays invisible. Must exceed the consumer's timeout. */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before SQS moves a message to the dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
  readonly dlqRetentionDays: number;
  /** What a message stuck in this DLQ means for the business (used in alarm text). */
  readonly dlqImpact: string;
}

/**
 * Each queue consumer's Lambda timeout, from its worst case:
 * - providerEvents: up to 3 reconcile rounds (app/inbound.ts) × 3 tries of a provider GET
 *   (providers/http.ts) × the 6 s provider timeout = 54 s, plus ≤ 2 × 2 s backoff per round and
 *   the table writes: 90 s. Records of a batch run concurrently, so the batch takes no longer.
 * - deliveries: one merchant endpoint attempt (15 s, WEBHOOK_TIMEOUT_MS) plus the writes: 30 s.
 */
export const workerTimeouts: Record<QueueKey, number> = { providerEvents: 90, deliveries: 30 };

/**
 * AWS's guidance for a queue feeding a Lambda: a visibility timeout of at least six
 * times the function's timeout, so a batch still being retried by the poller is not
 * handed out twice. A record the worker reports as not decidable yet comes back after it.
 */
const visibilityFor = (queue: QueueKey): number => 6 * workerTimeouts[queue];

export const queues: Record<QueueKey, QueueDefinition> = {
  providerEvents: {
    name: 'paybridge-provider-events',
    visibilityTimeoutSeconds: visibilityFor('providerEvents'),
    maxReceiveCount: 5,
    retentionDays: 4,
    dlqRetentionDays: 14,
    dlqImpact:
      'Impact: provider webhooks could not be verified or reconciled after 5 attempts, so payments may stay pending (the reconciliation sweeper will still settle them by asking the provider) and merchants are notified late. First check: the verify worker\'s log group for "queue message failed" lines; fix the cause, then redrive the DLQ to the provider-events queue (Console: SQS → Start DLQ redrive).',
  },
  deliveries: {
    name: 'paybridge-deliveries',
    visibilityTimeoutSeconds: visibilityFor('deliveries'),
    maxReceiveCount: 5,
    retentionDays: 4,
    dlqRetentionDays: 14,
    dlqImpact:
      'Impact: merchant webhook deliveries crashed the deliver worker 5 times (an endpoint\'s own failures are retried on the schedule and never reach this queue), so merchants are missing events. First check: the deliver worker\'s log group for "queue message failed" lines; fix the cause, then redrive the DLQ or resend with POST /v1/events/{id}/resend.',
  },
};

export const dlqName = (def: QueueDefinition): string => `${def.name}-dlq`;

/** Lambda timeout for a queue's consumer (a sixth of the queue's visibility timeout). */
export const workerTimeoutSeconds = (queue: QueueKey): number => workerTimeouts[queue];
