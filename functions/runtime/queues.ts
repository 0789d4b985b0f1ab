import { GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { providerNames } from '#core/provider-adapter';
import { sqsClient } from '#runtime/clients';
import { config } from '#runtime/config';

/** The two queues PayBridge owns (the route table grants access by these names). */
export type QueueName = 'providerEvents' | 'deliveries';

/** The URL of one of our queues, from configuration; only code that sends or reads a queue needs it. */
export function queueUrl(queue: QueueName): string {
  const c = config();
  const [name, url] =
    queue === 'providerEvents'
      ? ['PROVIDER_EVENTS_QUEUE_URL', c.PROVIDER_EVENTS_QUEUE_URL]
      : ['DELIVERIES_QUEUE_URL', c.DELIVERIES_QUEUE_URL];
  if (url === undefined) throw new Error(`PayBridge configuration is missing: ${name}`);
  return url;
}

/** True when the queue answers; used by the health check. */
export async function queueIsHealthy(queue: QueueName, timeoutMs = 2000): Promise<boolean> {
  try {
    await sqsClient().send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl(queue), AttributeNames: ['QueueArn'] }),
      { abortSignal: AbortSignal.timeout(timeoutMs) },
    );
    return true;
  } catch {
    return false;
  }
}

const mode = z.enum(['test', 'live']);

/**
 * The provider-events queue's one message: a provider webhook exactly as received, nothing
 * parsed, nothing trusted. The ingest route sends it, the verify worker reads it with this schema.
 */
export const providerEventMessage = z.object({
  provider: z.enum(providerNames),
  token: z.string(),
  headers: z.record(z.string(), z.string()),
  /** The raw body, base64: the signature covers these bytes and no re-serialisation of them. */
  body: z.string(),
  sourceIp: z.string(),
  receivedAt: z.string(),
  /** Whom the token named at ingest (our own lookup, not the provider's claim): spares the worker a read. */
  target: z.optional(z.object({ merchantId: z.string(), mode })),
});
export type ProviderEventMessage = z.infer<typeof providerEventMessage>;

export async function sendProviderEvent(message: ProviderEventMessage): Promise<void> {
  await sqsClient().send(
    new SendMessageCommand({ QueueUrl: queueUrl('providerEvents'), MessageBody: JSON.stringify(message) }),
  );
}

/** SQS delays stop at 15 minutes; a longer wait is chained through `notBefore`. */
export const maxDelaySeconds = 900;

/**
 * A delivery due at `notBefore` (epoch ms). The deliver worker claims it in the store from `attemptCount`
 * (a duplicate or outdated message claims nothing) and signs `body` as it is; a message without them
 * (queued before they existed, or an event too large to carry) makes the worker read the delivery and
 * the event instead. Only our own functions write this queue.
 */
const deliveryMessage = z.object({
  merchantId: z.string(),
  mode,
  eventId: z.string(),
  endpointId: z.string(),
  /** Epoch ms before which the delivery must not be attempted (SQS delays stop at 15 min: longer waits chain). */
  notBefore: z.number(),
  /** The delivery's attempt count when queued: the claim's condition. */
  attemptCount: z.optional(z.number().check(z.int(), z.nonnegative())),
  /** The event's exact body (`eventBody`), when it is small enough to carry. */
  body: z.optional(z.string()),
});

/** Bodies up to this size ride in the delivery message (ten of them fit one SQS batch of 256 KB). */
export const maxCarriedBodyBytes = 16 * 1024;
export type DeliveryMessage = z.infer<typeof deliveryMessage>;

/** One step of `POST /v1/webhook-endpoints/{id}/recover`, carried on the deliveries queue. */
const recoverJob = z.object({
  kind: z.literal('recover'),
  merchantId: z.string(),
  mode,
  endpointId: z.string(),
  /** ISO time: failed deliveries created since then are sent again. */
  since: z.string().check(z.iso.datetime()),
  /** Where the previous step's Query stopped (DynamoDB's LastEvaluatedKey). */
  cursor: z.optional(z.record(z.string(), z.unknown())),
});
export type RecoverJob = z.infer<typeof recoverJob>;

/** The deliveries queue's one message schema: a recover step (it has `kind`) or a delivery (it has none). */
export const deliveriesMessage = z.union([recoverJob, deliveryMessage]);
export type DeliveriesMessage = z.infer<typeof deliveriesMessage>;

/** Enqueues deliveries, each delayed until its `notBefore` (up to 15 minutes at a time). */
export async function enqueueDeliveries(
  messages: readonly DeliveryMessage[],
  now = Date.now(),
): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    const out = await sqsClient().send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl('deliveries'),
        Entries: batch.map((m, n) => ({
          Id: String(n),
          MessageBody: JSON.stringify(m),
          DelaySeconds: Math.min(maxDelaySeconds, Math.max(0, Math.ceil((m.notBefore - now) / 1000))),
        })),
      }),
    );
    if (out.Failed && out.Failed.length > 0) {
      throw new Error(
        `could not enqueue ${out.Failed.length} deliveries: ${out.Failed[0]?.Code ?? 'unknown'}`,
      );
    }
  }
}

export async function enqueueRecoverJob(job: RecoverJob): Promise<void> {
  await sqsClient().send(
    new SendMessageCommand({ QueueUrl: queueUrl('deliveries'), MessageBody: JSON.stringify(job) }),
  );
}

/** Parks a delivery whose schedule is spent in the deliveries DLQ (it stays resendable from the API). */
export async function sendDeliveryToDeadLetter(message: DeliveryMessage): Promise<void> {
  const url = config().DELIVERIES_DLQ_URL;
  if (!url) return;
  await sqsClient().send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(message) }));
}
