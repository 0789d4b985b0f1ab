import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface QueueWorkerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly handler: SqsHandler;
  readonly context: () => Context;
  readonly batchSize: number;
  /** Long-poll seconds per receive (1–20). */
  readonly waitSeconds?: number;
  readonly onError?: (error: unknown) => void;
}

export interface QueueWorker {
  stop(): Promise<void>;
}

/**
 * Feeds a queue to an SQS handler the way Lambda's event source mapping does:
 * long-polls, invokes with a real `SQSEvent` batch, deletes what succeeded, and
 * leaves what failed to come back after its visibility timeout (and reach the
 * DLQ after maxReceiveCount). With `batchItemFailures` only the named records
 * are retried; a thrown error, or a failure naming an unknown record, retries
 * the whole batch, as Lambda does.
 */
export function startQueueWorker(options: QueueWorkerOptions): QueueWorker {
  const abort = new AbortController();
  let queueArn = '';
  const loop = (async () => {
    const attrs = await options.sqs
      .send(new GetQueueAttributesCommand({ QueueUrl: options.queueUrl, AttributeNames: ['QueueArn'] }), {
        abortSignal: abort.signal,
      })
      .catch(() => undefined);
    queueArn = attrs?.Attributes?.QueueArn ?? '';
    while (!abort.signal.aborted) {
      try {
        await pollOnce(options, queueArn, abort.signal);
      } catch (error) {
        if (abort.signal.aborted) break;
        options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  })();
  return {
    stop: async () => {
      abort.abort();
      await loop;
    },
  };
}

/** One receive → invoke → delete round; exported for tests that step a queue by hand. */
export async function pollOnce(
  options: QueueWorkerOptions,
  queueArn: string,
  signal?: AbortSignal,
): Promise<number> {
  const received = await options.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: options.queueUrl,
      MaxNumberOfMessages: Math.min(10, options.batchSize),
      WaitTimeSeconds: options.waitSeconds ?? 20,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
    signal ? { abortSignal: signal } : {},
  );
  const messages = received.Messages ?? [];
  if (messages.length === 0) return 0;
  const event: SQSEvent = { Records: messages.map((m) => toRecord(m, queueArn)) };
  let failed: Set<string>;
  try {
    const result = await options.handler(event, options.context());
    const ids = new Set(messages.map((m) => m.MessageId));
    const named = (result?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
    failed = named.every((id) => ids.has(id)) ? new Set(named) : new Set(ids as Set<string>);
  } catch (error) {
    options.onError?.(error);
    return messages.length;
  }
  const done = messages.filter((m) => !failed.has(m.MessageId as string));
  if (done.length > 0) {
    await options.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
      }),
    );
  }
  return messages.length;
}

function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined
        ? {}
        : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: message.MessageId as string,
    receiptHandle: message.ReceiptHandle as string,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}
