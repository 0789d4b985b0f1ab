import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, inject } from 'vitest';
import { lambdaContext, loadHandler } from '#local/lambda';
import { type QueueWorker, type SqsHandler, startQueueWorker } from '#local/queue-workers';
import { createQueues, type QueueUrls } from '#local/resources';
import { localEnvFrom } from '#local/stack';
import { workers } from '#routes';

/**
 * Gives this test file queues of its own (so workers of other test files never
 * take its messages) and runs every queue worker of the route table on them,
 * as the local stack does. Call before any handler reads its configuration.
 */
export function usePipeline(): { queues: () => QueueUrls; sqs: () => SQSClient } {
  let queues: QueueUrls | undefined;
  let sqs: SQSClient | undefined;
  const running: QueueWorker[] = [];
  beforeAll(async () => {
    const endpoint = process.env.AWS_ENDPOINT_URL_SQS as string;
    // A short visibility timeout, so a failed record comes back within seconds.
    queues = await createQueues(endpoint, `-${randomUUID().slice(0, 8)}`, 2);
    // The function environment (lib/function-environment.ts, as the local stack builds it) for these queues.
    Object.assign(
      process.env,
      localEnvFrom({
        ...inject('localValues'),
        providerEventsQueueUrl: queues.providerEvents,
        deliveriesQueueUrl: queues.deliveries,
        deliveriesDlqUrl: queues.dlq.deliveries,
      }),
    );
    sqs = new SQSClient({});
    for (const worker of workers) {
      const handler = (await loadHandler(worker.handler)) as SqsHandler;
      running.push(
        startQueueWorker({
          sqs,
          queueUrl: queues[worker.queue],
          handler,
          batchSize: worker.batchSize,
          waitSeconds: 1,
          context: (): Context => lambdaContext(worker.handler),
        }),
      );
    }
  });
  afterAll(async () => {
    await Promise.all(running.map((w) => w.stop()));
    sqs?.destroy();
  });
  return {
    queues: () => {
      if (!queues) throw new Error('pipeline not started');
      return queues;
    },
    sqs: () => {
      if (!sqs) throw new Error('pipeline not started');
      return sqs;
    },
  };
}
