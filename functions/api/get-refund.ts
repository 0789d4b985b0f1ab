import * as z from 'zod/mini';
import { missing } from '#core/errors';
import { publicRefund } from '#core/refunds';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { objectId } from '#edge/schemas';
import { refundsStore } from '#store/refunds';

export const refundParams = z.strictObject({ id: objectId('re', 'a refund') });

/** GET /v1/refunds/{id} — in the caller's merchant and mode only. */
export const handler = http({ params: refundParams }, async ({ actor, params }) => {
  const caller = requireMerchant(actor);
  const refund = await refundsStore.getRefund(caller.merchantId, caller.mode, params.id);
  if (!refund) throw missing('refund', params.id, caller.mode);
  return { body: publicRefund(refund) };
});
