import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { deliver } from '#platform/delivery';
import { logger } from '#platform/logger';

const message = z.object({
  merchantId: z.string(),
  mode: z.enum(['test', 'live']),
  eventId: z.string(),
  endpointId: z.string(),
  notBefore: z.number(),
});

const processor = new BatchProcessor(EventType.SQS);

async function record(r: SQSRecord): Promise<void> {
  let parsed: z.infer<typeof message>;
  try {
    parsed = message.parse(JSON.parse(r.body));
  } catch {
    logger.error('unreadable deliveries message', { messageId: r.messageId });
    return;
  }
  const outcome = await deliver(parsed);
  logger.info('delivery', { outcome, eventId: parsed.eventId, endpointId: parsed.endpointId });
}

/**
 * The deliveries worker. Retries are scheduled by the worker itself (a new,
 * delayed message per attempt), so a thrown error here means our own failure
 * (DynamoDB, SQS): SQS redelivers that record, and the DLQ takes it after 5.
 */
export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, record, processor, { context }),
).use(injectLambdaContext(logger, { resetKeys: true }));
