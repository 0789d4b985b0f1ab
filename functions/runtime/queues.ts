import { GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { DeliveryMessage } from '#core/webhooks';
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

/** A provider webhook exactly as received: nothing parsed, nothing trusted. */
export interface ProviderEventMessage {
  provider: string;
  token: string;
  headers: Record<string, string>;
  /** The raw body, base64: the signature covers these bytes and no re-serialisation of them. */
  body: string;
  sourceIp: string;
  receivedAt: string;
  /** Whom the token named at ingest (our own lookup, not the provider's claim): spares the worker a read. */
  target?: { merchantId: string; mode: 'test' | 'live' } | undefined;
}

export async function sendProviderEvent(message: ProviderEventMessage): Promise<void> {
  await sqsClient().send(
    new SendMessageCommand({ QueueUrl: queueUrl('providerEvents'), MessageBody: JSON.stringify(message) }),
  );
}

/** SQS delays stop at 15 minutes; a longer wait is chained through `notBefore`. */
export const maxDelaySeconds = 900;

/** Enqueues deliveries, each delayed until its `notBefore` (up to 15 minutes at a time). */
export async function enqueueDeliveries(messages: DeliveryMessage[], now = Date.now()): Promise<void> {
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

/** One step of `POST /v1/webhook-endpoints/{id}/recover`, carried on the deliveries queue. */
export interface RecoverJob {
  kind: 'recover';
  merchantId: string;
  mode: 'test' | 'live';
  endpointId: string;
  /** ISO time: failed deliveries created since then are sent again. */
  since: string;
  /** Where the previous step's Query stopped (DynamoDB's LastEvaluatedKey). */
  cursor?: Record<string, unknown> | undefined;
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
