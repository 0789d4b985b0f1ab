import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { decodeTime } from 'ulid';
import * as z from 'zod/mini';
import { deliver } from '#app/delivery';
import { logger } from '#runtime/logger';
import { recoverStep } from '#app/webhook-endpoints';
import { getDelivery, listAttempts } from '#store/webhooks';

const message = z.object({
  merchantId: z.string(),
  mode: z.enum(['test', 'live']),
  eventId: z.string(),
  endpointId: z.string(),
  notBefore: z.number(),
});

/** A step of a recover (app/webhook-endpoints.ts `recoverStep`). */
const recoverJob = z.object({
  kind: z.literal('recover'),
  merchantId: z.string(),
  mode: z.enum(['test', 'live']),
  endpointId: z.string(),
  since: z.string().check(z.iso.datetime()),
  cursor: z.optional(z.record(z.string(), z.unknown())),
});

const processor = new BatchProcessor(EventType.SQS);

async function record(r: SQSRecord): Promise<void> {
  let parsed: z.infer<typeof message>;
  let body: unknown;
  try {
    body = JSON.parse(r.body);
    const job = recoverJob.safeParse(body);
    if (job.success) {
      const step = await recoverStep(job.data);
      logger.info('recover step', { ...step, endpointId: job.data.endpointId });
      return;
    }
    parsed = message.parse(body);
  } catch (error) {
    if (body !== undefined && recoverJob.safeParse(body).success) throw error; // our failure: retry the step
    logger.error('unreadable deliveries message', { messageId: r.messageId });
    return;
  }
  const outcome = await deliver(parsed);
  if (outcome === 'retrying') {
    logger.warn('delivery attempt failed, will retry', {
      outcome,
      eventId: parsed.eventId,
      endpointId: parsed.endpointId,
      ...(await failedAttempt(parsed)),
    });
    return;
  }
  logger.info('delivery', {
    outcome,
    eventId: parsed.eventId,
    endpointId: parsed.endpointId,
    // From the event's creation (its id is a ULID) to the merchant's 2xx, retries included: the
    // delivery-latency metric filter (lib/observability.ts) reads it, with no extra read.
    ...(outcome === 'delivered' ? { deliveryLatencyMs: sinceCreated(parsed.eventId) } : {}),
  });
}

/** Milliseconds since an `evt_…` id was minted; undefined for an id that is not ours. */
function sinceCreated(eventId: string): number | undefined {
  try {
    return Math.max(0, Date.now() - decodeTime(eventId.slice(eventId.indexOf('_') + 1)));
  } catch {
    return undefined;
  }
}

/**
 * Why the attempt just made failed and when the next one is due, from the attempt log:
 * the HTTP status, or the kind of error (timeout, connection, tls, dns…). Never the
 * answer's body, the error's text or the URL. A failed lookup only thins the log line.
 */
async function failedAttempt(m: z.infer<typeof message>): Promise<Record<string, unknown>> {
  try {
    const delivery = await getDelivery(m.merchantId, m.mode, m.eventId, m.endpointId);
    if (!delivery) return {};
    const attempt = (await listAttempts(m.merchantId, m.mode, m.eventId)).find(
      (a) => a.deliveryId === delivery.id && a.attempt === delivery.attemptCount,
    );
    return {
      attempt: delivery.attemptCount,
      ...(typeof attempt?.status === 'number' ? { status: attempt.status } : {}),
      ...(attempt?.error ? { errorKind: attempt.error.split(':', 1)[0] } : {}),
      nextAttemptAt: delivery.nextAttemptAt,
    };
  } catch {
    return {};
  }
}

/**
 * The deliveries worker. Retries are scheduled by the worker itself (a new,
 * delayed message per attempt), so a thrown error here means our own failure
 * (DynamoDB, SQS): SQS redelivers that record, and the DLQ takes it after 5.
 */
export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, record, processor, { context }),
).use(injectLambdaContext(logger, { resetKeys: true }));
