import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { queueWorker, RetryLater } from '#edge/queue-worker';
import { deliveriesMessage, providerEventMessage } from '#runtime/queues';

const context = {
  functionName: 'test',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const record = (messageId: string, body: string): SQSRecord =>
  ({
    messageId,
    body,
    receiptHandle: messageId,
    attributes: { ApproximateReceiveCount: '2' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:paybridge-deliveries',
    awsRegion: 'eu-west-1',
  }) as unknown as SQSRecord;

const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

const delivery = { merchantId: 'mer_A', mode: 'test', eventId: 'evt_1', endpointId: 'we_1', notBefore: 0 };

describe('queueWorker: the SQS counterpart of http()', () => {
  it('hands the function each record as its typed message, with the message id and receive count', async () => {
    const seen: unknown[] = [];
    const handler = queueWorker(deliveriesMessage, async (message, meta) => {
      seen.push([message, meta]);
    });
    const out = await handler(
      batch(
        record('m1', JSON.stringify(delivery)),
        record(
          'm2',
          JSON.stringify({
            kind: 'recover',
            merchantId: 'mer_A',
            mode: 'live',
            endpointId: 'we_1',
            since: '2026-12-01T00:00:00.000Z',
          }),
        ),
      ),
      context,
    );
    expect(out.batchItemFailures).toEqual([]);
    expect(seen).toEqual([
      [delivery, { messageId: 'm1', receiveCount: 2 }],
      [
        {
          kind: 'recover',
          merchantId: 'mer_A',
          mode: 'live',
          endpointId: 'we_1',
          since: '2026-12-01T00:00:00.000Z',
        },
        { messageId: 'm2', receiveCount: 2 },
      ],
    ]);
  });

  it('drops a record that is not this queue’s message (not JSON, wrong shape) instead of retrying it', async () => {
    let calls = 0;
    const handler = queueWorker(providerEventMessage, async () => {
      calls++;
    });
    const out = await handler(
      batch(record('bad1', 'not json'), record('bad2', JSON.stringify({ provider: 'paypal', token: 't' }))),
      context,
    );
    expect(out.batchItemFailures).toEqual([]);
    expect(calls).toBe(0);
  });

  it('fails only the records whose function threw, so SQS redelivers just those', async () => {
    const handler = queueWorker(deliveriesMessage, async (message) => {
      if ('eventId' in message && message.eventId === 'evt_later') throw new RetryLater('not yet');
      if ('eventId' in message && message.eventId === 'evt_broken') throw new Error('DynamoDB unavailable');
    });
    const out = await handler(
      batch(
        record('ok', JSON.stringify(delivery)),
        record('later', JSON.stringify({ ...delivery, eventId: 'evt_later' })),
        record('broken', JSON.stringify({ ...delivery, eventId: 'evt_broken' })),
      ),
      context,
    );
    expect(out.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['broken', 'later']);
  });
});
