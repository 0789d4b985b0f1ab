import * as z from 'zod/mini';
import { publicPaymentLink } from '#core/payment-links';
import { http } from '#edge/http';
import { callerOf, requireMerchant } from '#app/identity';
import { paymentLinkReads as paymentLinks } from '#app/payment-link-reads';
import { publicBaseUrl } from '#edge/request';
import { objectId } from '#edge/schemas';

export const paymentLinkId = z.strictObject({ id: objectId('plink', 'a payment link') });

/** GET /v1/payment-links/{id} */
export const handler = http({ params: paymentLinkId }, async ({ actor, params, event }) => ({
  body: publicPaymentLink(
    await paymentLinks.require(callerOf(requireMerchant(actor)), params.id),
    publicBaseUrl(event),
  ),
}));
