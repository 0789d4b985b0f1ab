import * as z from 'zod/mini';
import { publicRefund } from '#core/refunds';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { objectId } from '#edge/schemas';
import { refundReads as refunds } from '#app/refund-reads';

export const refundParams = z.strictObject({ id: objectId('re', 'a refund') });

/** GET /v1/refunds/{id} — in the caller's merchant and mode only. */
export const handler = http({ params: refundParams }, async ({ actor, params }) => {
  const caller = requireMerchant(actor);
  return { body: publicRefund(await refunds.require(caller, params.id)) };
});
