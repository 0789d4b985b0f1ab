import { publicPayment, verifyPayment } from '#core/payments';
import { http } from '#platform/http';
import { callerOf, requireMerchant } from '#platform/identity';
import { payments } from '#platform/payments';
import { paymentParams } from './get-payment.ts';

/** POST /v1/payments/{id}/verify — asks the provider and moves the payment forward if it has. */
export const handler = http({ params: paymentParams }, async ({ actor, params }) => ({
  body: publicPayment(await verifyPayment(payments, callerOf(requireMerchant(actor)), params.id)),
}));
