import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { paymentActivityOf } from '#app/payment-activity';
import { paymentParams } from './get-payment.ts';

/**
 * GET /v1/payments/{id}/activity — the payment's provider webhooks received (with their
 * signature result) and verify calls, oldest first, in the caller's merchant and mode only.
 */
export const handler = http({ params: paymentParams }, async ({ actor, params }) => {
  const caller = requireMerchant(actor);
  const activity = await paymentActivityOf(caller.merchantId, caller.mode, params.id);
  return { body: { data: activity.data, hasMore: activity.hasMore, nextCursor: null } };
});
