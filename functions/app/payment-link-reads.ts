import type { Caller } from '#core/payments';
import { missing } from '#core/errors';
import type { PaymentLink } from '#core/payment-links';
import { getPaymentLink, listPaymentLinks } from '#store/payment-links';

/** The caller's link, or a 404 that says nothing about other merchants or modes. */
async function requirePaymentLink(
  caller: Pick<Caller, 'merchantId' | 'mode'>,
  linkId: string,
): Promise<PaymentLink> {
  const link = await getPaymentLink(caller.merchantId, caller.mode, linkId);
  if (!link) throw missing('payment link', linkId, caller.mode);
  return link;
}

/**
 * The payment-links area's reads, apart from its commands and the hosted page
 * (app/payment-links.ts): a handler that only reads links imports this module, so its
 * bundle carries the link store and not the provider adapters that check a new link's
 * currency. Always scoped by merchant and mode. `paymentLinks` carries the same reads.
 */
export const paymentLinkReads = {
  require: requirePaymentLink,
  /** A page of the merchant's links in the mode, newest first. */
  list: listPaymentLinks,
};
