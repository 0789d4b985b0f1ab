import * as z from 'zod/mini';
import { ValidationFailed } from '#core/errors';
import { publicRefund, refundStatuses } from '#core/refunds';
import { http } from '#platform/http';
import { requireMerchant } from '#platform/identity';
import { limit, objectId, pageParams } from '#platform/schemas';
import { listRefunds } from '#store/refunds';

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
  const from = query.createdFrom ? new Date(query.createdFrom) : undefined;
  const to = query.createdTo ? new Date(query.createdTo) : undefined;
  if (from && to && from > to) {
    throw new ValidationFailed(
      'invalid_field',
      '`createdFrom` must not be after `createdTo`.',
      'createdFrom',
    );
  }
  const page = await listRefunds(
    caller.merchantId,
    caller.mode,
    { status: query.status, paymentId: query.payment, createdFrom: from, createdTo: to },
    limit,
    cursor,
  );
  return { body: { ...page, data: page.data.map(publicRefund) } };
});
