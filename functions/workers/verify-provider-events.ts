import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { processProviderEvent } from '#app/inbound';
import { logger } from '#runtime/logger';

const message = z.object({
  provider: z.string(),
  token: z.string(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
  sourceIp: z.string(),
  receivedAt: z.string(),
  target: z.optional(z.object({ merchantId: z.string(), mode: z.enum(['test', 'live']) })),
});

const processor = new BatchProcessor(EventType.SQS);

/** Raised to make SQS redeliver one record (partial batch failure). */
class RetryLater extends Error {}

async function record(r: SQSRecord): Promise<void> {
  let parsed: z.infer<typeof message>;
  try {
    parsed = message.parse(JSON.parse(r.body));
  } catch {
    // Not ours (a malformed message can only come from a bug): dropping it beats retrying it into the DLQ.
    logger.error('unreadable provider-events message', { messageId: r.messageId });
    return;
  }
  const outcome = await processProviderEvent(parsed, r.messageId);
  logger.info('provider event', { outcome, provider: parsed.provider, messageId: r.messageId });
  if (outcome === 'retry') throw new RetryLater(`provider event ${r.messageId} not decidable yet`);
}

/**
 * The provider-events worker: verifies, de-duplicates, reconciles and records
 * each webhook; failures are reported per record so SQS retries only those
 * (and moves them to the DLQ after maxReceiveCount).
 */
export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, record, processor, { context }),
).use(injectLambdaContext(logger, { resetKeys: true }));
