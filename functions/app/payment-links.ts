import type { Caller } from '#core/payments';
import { Unprocessable } from '#core/errors';
import {
  availability,
  type CreatePaymentLinkInput,
  newPaymentLink,
  newSlug,
  type PaymentLink,
  slugPattern,
  validateNewLink,
} from '#core/payment-links';
import type { RequestMeta } from '#core/actor';
import { newId } from '#core/ids';
import { adapterFor } from '#providers/index';
import { identityStore } from '#store/identity';
import {
  claimSubmission,
  findPaymentLinkBySlug,
  insertPaymentLink,
  paymentOfSubmission,
  releaseSubmission,
  updatePaymentLink,
} from '#store/payment-links';
import { hit } from '#store/rate-limits';
import { paymentsStore } from '#store/payments';
import type { HttpReply } from '#edge/http';
import { messagePage } from '#edge/payment-link-pages';
import { paymentLinkReads } from '#app/payment-link-reads';

/** `POST /v1/payment-links`: validates the money, names only providers that can take the currency, stores. */
async function createPaymentLink(
  caller: Caller,
  input: CreatePaymentLinkInput,
  meta: RequestMeta,
  now = new Date(),
): Promise<PaymentLink> {
  validateNewLink(input, now, await paymentsStore.amountLimits(caller.merchantId, caller.mode));
  for (const provider of input.providers ?? []) {
    if (!adapterFor(provider).currencies.includes(input.currency)) {
      throw new Unprocessable(
        'currency_not_supported',
        `${provider} does not take ${input.currency}: leave it out of \`providers\`.`,
        'providers',
      );
    }
  }
  const link = newPaymentLink(newId('plink'), newSlug(), caller.merchantId, caller.mode, input, now);
  await insertPaymentLink(link, { actor: caller.actor, meta });
  return link;
}

const positive = (name: string, fallback: number): number => {
  // Operational knobs of the public page, read like the rest of the environment (tests lower or raise them).
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};

/**
 * Abuse controls of the hosted page's form, per minute, on top of the route's
 * `standard` per-IP limit: submissions from one address
 * (`PAYMENT_LINK_SUBMITS_PER_IP_PER_MINUTE`, default 60: mobile carriers put many customers behind one address) and to one link
 * (`PAYMENT_LINK_SUBMITS_PER_LINK_PER_MINUTE`, default 300, so one link shared
 * in a busy group chat keeps working while a script hammering it is stopped).
 */
export const submitLimits = () => ({
  perIp: positive('PAYMENT_LINK_SUBMITS_PER_IP_PER_MINUTE', 60),
  perLink: positive('PAYMENT_LINK_SUBMITS_PER_LINK_PER_MINUTE', 300),
});

export type PublicLink =
  { found: true; link: PaymentLink; merchantName: string } | { found: false; reply: HttpReply };

/** The link behind a public slug with its merchant's name, or the page that says there is none. */
async function publicLink(slug: string | undefined): Promise<PublicLink> {
  const link = slug !== undefined && slugPattern.test(slug) ? await findPaymentLinkBySlug(slug) : undefined;
  if (!link) {
    return {
      found: false,
      reply: messagePage(
        404,
        'Payment page not found',
        'This payment link does not exist. Check the link you were sent, or ask the seller for a new one.',
      ),
    };
  }
  const merchant = await identityStore.getMerchant(link.merchantId);
  return { found: true, link, merchantName: merchant?.businessName ?? 'PayBridge merchant' };
}

/** The page a link that cannot take payments answers with, or undefined when it can. */
export function unavailablePage(
  link: PaymentLink,
  merchantName: string,
  now = new Date(),
): HttpReply | undefined {
  const state = availability(link, now);
  if (state === 'available') return undefined;
  const text = {
    inactive: [
      'This payment link is turned off',
      `${merchantName} is not taking payments through this link at the moment. Ask them for another way to pay.`,
    ],
    expired: [
      'This payment link has expired',
      `This link stopped taking payments on ${new Date(link.expiresAt ?? now).toUTCString()}. Ask ${merchantName} for a new one.`,
    ],
    exhausted: [
      'This payment link is sold out',
      `This link has taken all the payments it was made for. Ask ${merchantName} for a new one.`,
    ],
  }[state];
  return messagePage(410, text[0] as string, text[1] as string, { merchant: merchantName });
}

/**
 * The payment-links area, wired to DynamoDB once per cold start: what the link
 * routes and the hosted page (`/pay/{slug}`) do with links, always scoped by
 * merchant and mode (the public page by the link's own).
 */
export const paymentLinks = {
  create: createPaymentLink,
  ...paymentLinkReads,
  /** Changes `active`, `title` or `description`, audited; undefined when there is no such link. */
  update: updatePaymentLink,
  publicLink,
  /** The link behind a slug, read consistently (the page's counter and `active` decide what is offered). */
  findBySlug: findPaymentLinkBySlug,
  /** Claims one of the link's payments for a form submission (a conditional write on its counter). */
  claimSubmission,
  /** Gives a claimed payment back when the payment could not be started. */
  releaseSubmission,
  /** The payment a form submission made (the done page's lookup), or undefined. */
  paymentOfSubmission,
  /** One hit on a fixed-window counter (`kind`, `who`): allowed or not, and the seconds left. */
  rateLimit: hit,
};
