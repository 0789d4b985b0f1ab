import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { QueueName } from '../routes.ts';
import { sqsClient } from './clients.ts';
import { config } from './config.ts';

/** The URL of one of our queues, from configuration. */
export function queueUrl(queue: QueueName): string {
  const c = config();
  return queue === 'providerEvents' ? c.PROVIDER_EVENTS_QUEUE_URL : c.DELIVERIES_QUEUE_URL;
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
