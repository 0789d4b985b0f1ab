import * as z from 'zod/mini';
import { formTokenPattern, submissionKey } from '#core/payment-links';
import { idPattern } from '#core/ids';
import { http } from '#edge/http';
import { logger } from '#runtime/logger';
import { donePage, messagePage } from '#edge/payment-link-pages';
import { paymentLinks } from '#app/payment-links';
import { paymentReads as payments } from '#app/payment-reads';

/** Documented only (the handler reads the query itself: providers append their own parameters). */
const query = z.object({
  /** The payment (`pay_…`): its status is shown. */
  payment: z.optional(z.string()),
  /** The form submission's token, as the provider returns the customer: answered with a 303 to `?payment=`. */
  session: z.optional(z.string()),
});

/**
 * GET /pay/{slug}/done?payment=… — where the provider returns the customer: the
 * payment's status (a pending one refreshes itself until settled), then the
 * merchant's `redirectUrl`. `?session=<token>` (what the provider is given,
 * as the payment id is only known after the provider answered) finds the
 * payment by the submission's idempotency record and redirects to `?payment=`.
 */
export const handler = http({ query, ignoreInput: true }, async ({ event }) => {
  try {
    const found = await paymentLinks.publicLink(event.pathParameters?.slug);
    if (!found.found) return found.reply;
    const { link, merchantName } = found;
    const params = event.queryStringParameters ?? {};
    const notFound = messagePage(
      404,
      'Payment not found',
      'We could not find this payment. If you paid, the seller has your payment and will be told.',
      { merchant: merchantName, action: { href: `/pay/${link.slug}`, text: 'Back to the payment page' } },
    );
    const session = params.session;
    if (params.payment === undefined && session !== undefined) {
      if (!formTokenPattern.test(session)) return notFound;
      const paymentId = await paymentLinks.paymentOfSubmission(
        link.merchantId,
        link.mode,
        submissionKey(link.id, session),
      );
      if (!paymentId) return notFound;
      return {
        status: 303,
        text: '',
        headers: {
          location: `/pay/${link.slug}/done?payment=${paymentId}`,
          'content-type': 'text/plain; charset=utf-8',
        },
      };
    }
    const paymentId = params.payment ?? '';
    if (!idPattern('pay').test(paymentId)) return notFound;
    const payment = await payments.get(link.merchantId, link.mode, paymentId);
    if (payment?.paymentLinkId !== link.id) return notFound;
    return donePage(link, merchantName, payment);
  } catch (error) {
    logger.error('payment done page failed', { error: error as Error });
    return messagePage(500, 'Something went wrong', 'This page could not be shown. Please refresh it.');
  }
});
