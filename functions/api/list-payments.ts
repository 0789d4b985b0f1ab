import * as z from 'zod/mini';
import { ValidationFailed } from '#core/errors';
import { paymentStatuses, publicPayment } from '#core/payments';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { paymentReads as payments } from '#app/payment-reads';
import { currency, email, limit, objectId, pageParams, providerName, reference } from '#edge/schemas';

const query = z.strictObject({
  limit,
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  status: z.optional(z.enum(paymentStatuses)),
  provider: z.optional(providerName),
  currency: z.optional(currency),
  email: z.optional(email),
  reference: z.optional(reference),
  paymentLink: z.optional(objectId('plink', 'a payment link')),
  createdFrom: z.optional(z.string().check(z.iso.datetime())),
  createdTo: z.optional(z.string().check(z.iso.datetime())),
});

/** GET /v1/payments — newest first, in the caller's merchant and mode. */
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
  const page = await payments.list(
    caller.merchantId,
    caller.mode,
    {
      status: query.status,
      provider: query.provider,
      currency: query.currency,
      email: query.email,
      reference: query.reference,
      paymentLink: query.paymentLink,
      createdFrom: from,
      createdTo: to,
    },
    limit,
    cursor,
  );
  return { body: { ...page, data: page.data.map(publicPayment) } };
});
