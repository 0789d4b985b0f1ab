import * as z from 'zod/mini';
import { missing } from '#core/errors';
import { publicPayment } from '#core/payments';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { objectId } from '#edge/schemas';
import { paymentsStore } from '#store/payments';

export const paymentParams = z.strictObject({ id: objectId('pay', 'a payment') });

/** GET /v1/payments/{id} — in the caller's merchant and mode only. */
export const handler = http({ params: paymentParams }, async ({ actor, params }) => {
  const caller = requireMerchant(actor);
  const payment = await paymentsStore.getPayment(caller.merchantId, caller.mode, params.id);
  if (!payment) throw missing('payment', params.id, caller.mode);
  return { body: publicPayment(payment) };
});
