import * as z from 'zod/mini';
import { missing } from '#core/errors';
import { publicPaymentLink } from '#core/payment-links';
import { http } from '#edge/http';
import { callerOf, requireMerchant } from '#app/identity';
import { paymentLinks } from '#app/payment-links';
import { publicBaseUrl } from '#edge/request';
import { paymentLinkId } from './get-payment-link.ts';

export const updatePaymentLinkBody = z.strictObject({
  /** `false` turns the page off (it answers that the link is off); `true` turns it back on. */
  active: z.optional(z.boolean()),
  title: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(120))),
  description: z.optional(z.string().check(z.trim(), z.maxLength(500))),
});

/** PATCH /v1/payment-links/{id} — active, title, description. */
export const handler = http(
  { params: paymentLinkId, body: updatePaymentLinkBody },
  async ({ actor, params, body, event, meta }) => {
    const caller = callerOf(requireMerchant(actor));
    const link = await paymentLinks.update(caller.merchantId, caller.mode, params.id, body, new Date(), {
      actor: caller.actor,
      meta,
    });
    if (!link) throw missing('payment link', params.id, caller.mode);
    return { body: publicPaymentLink(link, publicBaseUrl(event)) };
  },
);
