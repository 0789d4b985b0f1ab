import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { startQueueWorker } from '#local/queue-workers';

const sqs = new SQSClient({});
afterAll(() => sqs.destroy());

/** A fresh queue with a 1 s visibility timeout and a DLQ after 2 receives. */
async function queueWithDlq(): Promise<{ url: string; dlqUrl: string }> {
  const name = `test-${randomUUID().slice(0, 8)}`;
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const arn = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: '1',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn.Attributes?.QueueArn, maxReceiveCount: 2 }),
      },
    }),
  );
  return { url: main.QueueUrl as string, dlqUrl: dlq.QueueUrl as string };
}

async function send(url: string, bodies: string[]): Promise<void> {
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: bodies.map((b, i) => ({ Id: String(i), MessageBody: b })),
    }),
  );
}

async function drain(url: string): Promise<string[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return (out.Messages ?? []).map((m) => m.Body ?? '');
}

const until = async (check: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('local queue worker', () => {
  it('hands real SQSEvent batches to the handler and retries only the records it reports as failed, then DLQs them', async () => {
    const { url, dlqUrl } = await queueWithDlq();
    const seen: string[] = [];
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      for (const r of event.Records) {
        expect(r.eventSource).toBe('aws:sqs');
        expect(r.eventSourceARN).toMatch(/^arn:aws:sqs:/);
        expect(Number(r.attributes.ApproximateReceiveCount)).toBeGreaterThanOrEqual(1);
        seen.push(r.body);
      }
      return {
        batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({
          itemIdentifier: r.messageId,
        })),
      };
    };
    const worker = startQueueWorker({
      sqs,
      queueUrl: url,
      handler,
      batchSize: 10,
      waitSeconds: 1,
      context: () => ({}) as Context,
    });
    try {
      await send(url, ['a', 'bad', 'c']);
      // 'bad' is received twice (maxReceiveCount 2), then redriven to the DLQ.
      await until(() => seen.filter((b) => b === 'bad').length === 2);
      await new Promise((r) => setTimeout(r, 2500));
    } finally {
      await worker.stop();
    }
    expect(seen.filter((b) => b === 'a')).toHaveLength(1);
    expect(seen.filter((b) => b === 'c')).toHaveLength(1);
    expect(seen.filter((b) => b === 'bad')).toHaveLength(2);
    expect(await drain(url)).toEqual([]);
    expect(await drain(dlqUrl)).toEqual(['bad']);
  });

  it('retries the whole batch when the handler throws', async () => {
    const { url } = await queueWithDlq();
    let calls = 0;
    const received: string[][] = [];
    const worker = startQueueWorker({
      sqs,
      queueUrl: url,
      batchSize: 10,
      waitSeconds: 1,
      context: () => ({}) as Context,
      handler: async (event) => {
        calls++;
        received.push(event.Records.map((r) => r.body).sort());
        if (calls === 1) throw new Error('crash mid-batch');
        return { batchItemFailures: [] };
      },
    });
    try {
      await send(url, ['x', 'y']);
      await until(() => received.flat().length >= 4);
    } finally {
      await worker.stop();
    }
    expect(received.flat().sort()).toEqual(['x', 'x', 'y', 'y']);
    expect(await drain(url)).toEqual([]);
  });

  it('retries the whole batch when a reported failure names no record of the batch', async () => {
    const { url } = await queueWithDlq();
    const received: string[] = [];
    const worker = startQueueWorker({
      sqs,
      queueUrl: url,
      batchSize: 10,
      waitSeconds: 1,
      context: () => ({}) as Context,
      handler: async (event) => {
        received.push(...event.Records.map((r) => r.body));
        return received.length === 1
          ? { batchItemFailures: [{ itemIdentifier: 'not-a-message-id' }] }
          : {
              batchItemFailures: [],
            };
      },
    });
    try {
      await send(url, ['only']);
      await until(() => received.length >= 2);
    } finally {
      await worker.stop();
    }
    expect(received).toEqual(['only', 'only']);
  });
});
