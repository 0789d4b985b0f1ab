import * as z from 'zod/mini';
import { publicPaymentLink } from '#core/payment-links';
import { http } from '#platform/http';
import { callerOf, requireMerchant } from '#platform/identity';
import { requirePaymentLink } from '#platform/payment-links';
import { publicBaseUrl } from '#platform/request';
import { objectId } from '#platform/schemas';

export const paymentLinkId = z.strictObject({ id: objectId('plink', 'a payment link') });

/** GET /v1/payment-links/{id} */
export const handler = http({ params: paymentLinkId }, async ({ actor, params, event }) => ({
  body: publicPaymentLink(
    await requirePaymentLink(callerOf(requireMerchant(actor)), params.id),
    publicBaseUrl(event),
  ),
}));
