import * as z from 'zod/mini';
import { NotFound } from '#core/errors';
import { publicPayment } from '#core/payments';
import { http } from '#platform/http';
import { requireMerchant } from '#platform/identity';
import { paymentsStore } from '#store/payments';

export const paymentParams = z.strictObject({ id: z.string().check(z.regex(/^pay_[0-9A-Z]{26}$/)) });

/** GET /v1/payments/{id} — in the caller's merchant and mode only. */
export const handler = http({ params: paymentParams }, async ({ actor, params }) => {
  const caller = requireMerchant(actor);
  const payment = await paymentsStore.getPayment(caller.merchantId, caller.mode, params.id);
  if (!payment) throw new NotFound('resource_missing', 'No such payment.', 'id');
  return { body: publicPayment(payment) };
});
