import { Conflict, ProviderFailed, RateLimited, Unprocessable, ValidationFailed } from '#core/errors';
import {
  chooseAmount,
  formTokenPattern,
  type PaymentLink,
  paymentInputFor,
  providerChoices,
  submissionKey,
} from '#core/payment-links';
import { createPayment, isOpen } from '#core/payments';
import type { ProviderName } from '#core/provider-adapter';
import { rateLimitKey } from '#edge/client-ip';
import { http, type HttpReply } from '#edge/http';
import { logger } from '#runtime/logger';
import { donePage, type FormState, messagePage, paymentPage } from '#edge/payment-link-pages';
import { paymentLinks, submitLimits, unavailablePage } from '#app/payment-links';
import { publicBaseUrl } from '#edge/request';
import { payments } from '#app/payments';
import { header, rawBody } from '#edge/request';
import { email as emailSchema } from '#edge/schemas';

const maxFormBytes = 8 * 1024;

async function within(kind: string, who: string, limit: number): Promise<void> {
  const result = await paymentLinks.rateLimit(kind, who, limit, 60);
  if (!result.allowed) {
    throw new RateLimited(
      'rate_limited',
      'Too many payment attempts. Wait a minute and try again.',
      result.retryAfter,
    );
  }
}

/**
 * POST /pay/{slug} — the page's form (`application/x-www-form-urlencoded`:
 * `token`, `email`, `provider`, `amount` when the customer chooses it). Creates
 * the payment through the same `createPayment` as `POST /v1/payments`, with the
 * form's one-time token as its Idempotency-Key (a double tap makes one payment),
 * after claiming one of the link's payments with a conditional write, then
 * answers 303 to the provider's checkout. Every refusal is a page.
 */
export const handler = http({ ignoreInput: true }, async ({ event, meta }) => {
  try {
    const slug = event.pathParameters?.slug;
    await within('paylink', `ip:${rateLimitKey(meta.ip)}`, submitLimits().perIp);
    const found = await paymentLinks.publicLink(slug);
    if (!found.found) return found.reply;
    const { link, merchantName } = found;
    await within('paylink', `link:${link.id}`, submitLimits().perLink);
    const closed = unavailablePage(link, merchantName);
    if (closed) return closed;

    const bytes = rawBody(event);
    if (bytes.length > maxFormBytes) {
      return messagePage(413, 'Form too large', 'The form sent was too large. Go back and try again.', {
        merchant: merchantName,
      });
    }
    const type = header(event, 'content-type') ?? '';
    if (bytes.length > 0 && !/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
      return messagePage(415, 'Unsupported form', 'Send the payment form from the payment page.', {
        merchant: merchantName,
        action: { href: `/pay/${link.slug}`, text: 'Open the payment page' },
      });
    }
    const form = new URLSearchParams(bytes.toString('utf8'));
    const token = form.get('token') ?? '';
    if (!formTokenPattern.test(token)) {
      return messagePage(
        400,
        'Please start again',
        'This form is missing its session. Reload the payment page and try again.',
        {
          merchant: merchantName,
          action: { href: `/pay/${link.slug}`, text: 'Reload the payment page' },
        },
      );
    }
    const state: FormState = {
      token,
      ...(form.get('email') ? { email: (form.get('email') as string).slice(0, 254) } : {}),
      ...(form.get('amount') ? { amount: (form.get('amount') as string).slice(0, 40) } : {}),
    };
    const offered = providerChoices(
      link,
      await payments.gateway.enabledProviders(link.merchantId, link.mode),
    );
    const again = (error: string, status = 422): HttpReply =>
      paymentPage(link, merchantName, offered, { ...state, error }, status);
    const amount = chooseAmount(link, form.get('amount') ?? undefined);
    if (!amount.ok) return again(amount.message);
    const email = emailSchema.safeParse(form.get('email') ?? '');
    if (!email.success) return again('Enter your email address, such as ada@example.com.');
    const provider = form.get('provider') as ProviderName | null;
    if (provider === null || !offered.includes(provider)) {
      return again('Choose one of the ways to pay below.');
    }

    const claim = await paymentLinks.claimSubmission(link, token, new Date());
    if (claim === 'unavailable') {
      // Turned off, or its last payment was just taken: the counter's condition said no.
      const latest = (await paymentLinks.findBySlug(link.slug)) ?? { ...link, active: false };
      return (
        unavailablePage(latest, merchantName) ??
        unavailablePage(
          { ...latest, paymentsCount: latest.maxPayments ?? 0, active: latest.active },
          merchantName,
        ) ??
        again('This link cannot take a payment right now. Try again.', 409)
      );
    }
    const base = publicBaseUrl(event);
    const input = paymentInputFor(link, {
      amount: amount.amount,
      email: email.data,
      provider,
      doneUrl: `${base}/pay/${link.slug}/done?session=${token}`,
    });
    try {
      const out = await createPayment(
        payments,
        { merchantId: link.merchantId, mode: link.mode, actor: { kind: 'anonymous' } },
        input,
        submissionKey(link.id, token),
        meta,
      );
      const created = out.body as { id: string; checkoutUrl: string };
      if (out.replayed) {
        // The same form again (a double tap, the back button): its payment, not a second one. Once that
        // payment is settled its checkout is pointless: the customer sees its status instead.
        const payment = await payments.get(link.merchantId, link.mode, created.id);
        if (payment && !isOpen(payment.status)) return donePage(link, merchantName, payment);
      }
      const checkoutUrl = created.checkoutUrl;
      return {
        status: 303,
        text: '',
        headers: { location: checkoutUrl, 'content-type': 'text/plain; charset=utf-8' },
      };
    } catch (error) {
      if (claim === 'claimed') await paymentLinks.releaseSubmission(link, token);
      return refusal(error, link, merchantName, again);
    }
  } catch (error) {
    if (error instanceof RateLimited) {
      return messagePage(429, 'Too many attempts', error.message, {
        headers: { 'retry-after': String(error.retryAfter) },
      });
    }
    logger.error('payment form failed', { error: error as Error });
    return messagePage(500, 'Something went wrong', 'Your payment could not be started. Please try again.');
  }
});

/** What the customer is told when the payment could not be started. */
function refusal(
  error: unknown,
  link: PaymentLink,
  merchantName: string,
  again: (message: string, status?: number) => HttpReply,
): HttpReply {
  if (error instanceof Conflict) {
    // The same form sent again with other choices, or still being processed.
    return messagePage(
      409,
      'This form was already sent',
      'Your first attempt is being processed or was made with other choices. Reload the payment page to start a new payment.',
      { merchant: merchantName, action: { href: `/pay/${link.slug}`, text: 'Reload the payment page' } },
    );
  }
  if (error instanceof ProviderFailed) {
    logger.warn('payment link: provider failed', { error: error });
    return again('This way to pay is not working right now. Try again, or choose another one.', 502);
  }
  if (error instanceof Unprocessable || error instanceof ValidationFailed) return again(error.message, 422);
  throw error;
}
