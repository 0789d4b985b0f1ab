import * as z from 'zod/mini';
import { eventTypes } from '#core/webhooks';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { limit, objectId, pageParams } from '#edge/schemas';
import { webhookEventReads as webhookEvents } from '#app/webhook-reads';

const query = z.strictObject({
  limit,
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  type: z.optional(z.enum(eventTypes)),
  paymentId: z.optional(objectId('pay', 'a payment')),
  createdFrom: z.optional(z.string().check(z.iso.datetime())),
  createdTo: z.optional(z.string().check(z.iso.datetime())),
});

/** GET /v1/events — newest first, in the caller's merchant and mode. */
export const handler = http({ query }, async ({ actor, query }) => {
  const caller = requireMerchant(actor);
  const { limit, cursor } = pageParams(query);
  const page = await webhookEvents.list(
    caller,
    {
      type: query.type,
      paymentId: query.paymentId,
      createdFrom: query.createdFrom ? new Date(query.createdFrom) : undefined,
      createdTo: query.createdTo ? new Date(query.createdTo) : undefined,
    },
    limit,
    cursor,
  );
  return { body: page };
});
