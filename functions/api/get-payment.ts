import * as z from 'zod/mini';
import { publicPayment } from '#core/payments';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { objectId } from '#edge/schemas';
import { paymentReads as payments } from '#app/payment-reads';

export const paymentParams = z.strictObject({ id: objectId('pay', 'a payment') });

/** GET /v1/payments/{id} — in the caller's merchant and mode only. */
export const handler = http({ params: paymentParams }, async ({ actor, params }) => {
  const caller = requireMerchant(actor);
  return { body: publicPayment(await payments.require(caller, params.id)) };
});
