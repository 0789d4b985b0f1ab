import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type * as z from 'zod/mini';
import { logger } from '#runtime/logger';

/** What a queue worker's function knows about the record besides its message. */
export interface QueueRecord {
  /** SQS's id of the message: in every log line about it. */
  readonly messageId: string;
  /** How many times SQS has handed this message out (1 on the first try). */
  readonly receiveCount: number;
}

/**
 * Thrown by a worker's function when a message cannot be decided yet: SQS
 * redelivers that record after its visibility timeout (and the DLQ takes it
 * after the queue's maxReceiveCount). Logged at INFO: it is expected, not a fault.
 */
export class RetryLater extends Error {
  override readonly name = 'RetryLater';
}

export type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** The queue's name from the record's source ARN (`arn:aws:sqs:region:account:name`). */
const queueOf = (r: SQSRecord): string => r.eventSourceARN?.split(':').pop() ?? 'unknown';

/**
 * The one SQS handler wrapper, the queue counterpart of `http()` (edge/http.ts):
 * each record's body is JSON-parsed and checked against the queue's one message
 * schema (runtime/queues.ts), and the function gets the typed message. A record
 * that is not a message of this queue can only come from a bug: it is logged once
 * (the schema's complaint by path, never the body) and dropped, since retrying it
 * into the DLQ would change nothing. A function that throws fails only its own
 * record (Powertools batch partial failures), logged once: SQS redelivers it.
 * The Lambda request id is on every line (Powertools logger context).
 */
export function queueWorker<S extends z.ZodMiniType>(
  schema: S,
  fn: (message: z.infer<S>, record: QueueRecord) => Promise<void>,
): QueueHandler {
  const processor = new BatchProcessor(EventType.SQS);
  async function record(r: SQSRecord): Promise<void> {
    const queue = queueOf(r);
    let body: unknown;
    try {
      body = JSON.parse(r.body);
    } catch {
      logger.error('unreadable queue message', { queue, messageId: r.messageId, problem: 'not JSON' });
      return;
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      logger.error('unreadable queue message', {
        queue,
        messageId: r.messageId,
        problem: parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.code}`).join('; '),
      });
      return;
    }
    const receiveCount = Number(r.attributes?.ApproximateReceiveCount ?? '1') || 1;
    try {
      await fn(parsed.data, { messageId: r.messageId, receiveCount });
    } catch (error) {
      if (error instanceof RetryLater) {
        logger.info('queue message retried later', {
          queue,
          messageId: r.messageId,
          receiveCount,
          reason: error.message,
        });
      } else {
        logger.error('queue message failed', {
          queue,
          messageId: r.messageId,
          receiveCount,
          error: error as Error,
        });
      }
      throw error;
    }
  }
  return middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, record, processor, { context }),
  ).use(injectLambdaContext(logger, { resetKeys: true }));
}
