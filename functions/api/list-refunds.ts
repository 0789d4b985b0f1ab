import * as z from 'zod/mini';
import { publicRefund, refundStatuses } from '#core/refunds';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { limit, objectId, pageParams, createdRange } from '#edge/schemas';
import { refundReads as refunds } from '#app/refund-reads';

const query = z.strictObject({
  limit,
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  status: z.optional(z.enum(refundStatuses)),
  payment: z.optional(objectId('pay', 'a payment')),
  createdFrom: z.optional(z.string().check(z.iso.datetime())),
  createdTo: z.optional(z.string().check(z.iso.datetime())),
});

/** GET /v1/refunds — newest first, in the caller's merchant and mode. */
export const handler = http({ query }, async ({ actor, query }) => {
  const caller = requireMerchant(actor);
  const { limit, cursor } = pageParams(query);
  const { createdFrom, createdTo } = createdRange(query);
  const page = await refunds.list(
    caller.merchantId,
    caller.mode,
    { status: query.status, paymentId: query.payment, createdFrom, createdTo },
    limit,
    cursor,
  );
  return { body: { ...page, data: page.data.map(publicRefund) } };
});
