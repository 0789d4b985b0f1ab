import { newFormToken, providerChoices } from '#core/payment-links';
import { http } from '#edge/http';
import { logger } from '#runtime/logger';
import { messagePage, paymentPage } from '#edge/payment-link-pages';
import { paymentLinks, unavailablePage } from '#app/payment-links';
import { payments } from '#app/payments';

/**
 * GET /pay/{slug} — the hosted payment page: the merchant's name, what is paid
 * for, the amount (or an amount field), an email field and one button per
 * provider. Public, HTML, no script; every refusal is a page that says why.
 * Query strings are ignored (links shared on social media collect tracking ones).
 */
export const handler = http({ ignoreInput: true }, async ({ event }) => {
  try {
    const found = await paymentLinks.publicLink(event.pathParameters?.slug);
    if (!found.found) return found.reply;
    const { link, merchantName } = found;
    const closed = unavailablePage(link, merchantName);
    if (closed) return closed;
    const providers = providerChoices(
      link,
      await payments.gateway.enabledProviders(link.merchantId, link.mode),
    );
    if (providers.length === 0) {
      return messagePage(
        503,
        'Payments are unavailable',
        `${merchantName} cannot take payments through this link right now. Try again later.`,
        { merchant: merchantName, headers: { 'retry-after': '300' } },
      );
    }
    return paymentPage(link, merchantName, providers, { token: newFormToken() });
  } catch (error) {
    logger.error('payment page failed', { error: error as Error });
    return messagePage(500, 'Something went wrong', 'This page could not be shown. Please try again.');
  }
});
