import { randomBytes } from 'node:crypto';
import type { Mode } from './actor.ts';
import { ValidationFailed } from './errors.ts';
import { inFieldOrder } from './field-order.ts';
import { assertAmount, assertWithinMaximum, exponent, formatUnits, isCurrency, parseUnits } from './money.ts';
import { type CreatePaymentInput, preferenceFor, type RoutableProvider } from './payments.ts';
import type { ProviderName } from './provider-adapter.ts';
import { providerRules } from './providers.ts';

/**
 * Payment links: a merchant's hosted payment page, reachable at an unguessable
 * `/pay/{slug}`, where the customer picks how to pay among the merchant's
 * providers that take the link's currency. The rules here are pure; the store
 * (store/payment-links.ts) keeps the link and its counter, the pages
 * (edge/payment-link-pages.ts) render them, and a submission becomes a
 * payment through the very `createPayment` of `POST /v1/payments`.
 */

export interface CustomerAmount {
  /** Minor units, inclusive. */
  min: number;
  max: number;
}

export interface PaymentLink {
  id: string;
  merchantId: string;
  mode: Mode;
  /** The random token of the public URL (`/pay/{slug}`): not the id, which is time-ordered. */
  slug: string;
  title: string;
  description: string | null;
  /** A fixed amount in minor units, or null when the customer chooses within `allowCustomerAmount`. */
  amount: number | null;
  allowCustomerAmount: CustomerAmount | null;
  currency: string;
  /** The providers offered (a subset of those enabled for the currency); null = every enabled one. */
  providers: ProviderName[] | null;
  expiresAt: string | null;
  /** Payments the link may start; null = no limit. Enforced by a conditional counter (`paymentsCount`). */
  maxPayments: number | null;
  /** Payments started through the link (form submissions that reached a provider's checkout). */
  paymentsCount: number;
  /** Where the customer goes after paying (shown on the done page). */
  redirectUrl: string | null;
  metadata: Record<string, string>;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface CreatePaymentLinkInput {
  amount?: number | undefined;
  allowCustomerAmount?: CustomerAmount | undefined;
  currency: string;
  title: string;
  description?: string | undefined;
  providers?: ProviderName[] | undefined;
  expiresAt?: string | undefined;
  maxPayments?: number | undefined;
  redirectUrl?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

export interface UpdatePaymentLinkInput {
  active?: boolean | undefined;
  title?: string | undefined;
  description?: string | undefined;
}

/** An unguessable slug: 128 random bits, base64url (22 characters). */
export function newSlug(): string {
  return randomBytes(16).toString('base64url');
}

/** The shape of a slug we issue: anything else is a 404 before any lookup. */
export const slugPattern = /^[A-Za-z0-9_-]{22}$/;

/**
 * Checks a new link's money and lifetime (the request schema has checked the
 * shapes): exactly one of a fixed `amount` or `allowCustomerAmount`, amounts in
 * the currency's minor unit and within the account's maximum, a future expiry.
 */
export function validateNewLink(
  input: CreatePaymentLinkInput,
  now: Date,
  limits: Readonly<Partial<Record<string, number>>> = {},
): void {
  const { currency } = input;
  if (!isCurrency(currency)) {
    throw new ValidationFailed(
      'invalid_field',
      `\`currency\` ${currency} is not a supported ISO 4217 code.`,
      'currency',
    );
  }
  if ((input.amount === undefined) === (input.allowCustomerAmount === undefined)) {
    throw new ValidationFailed(
      'invalid_field',
      'Give either `amount` (a fixed price) or `allowCustomerAmount` ({min, max}: the customer chooses), not both and not neither.',
      'amount',
    );
  }
  if (input.amount !== undefined) {
    assertAmount(input.amount, currency);
    assertWithinMaximum(input.amount, currency, limits);
  }
  if (input.allowCustomerAmount) {
    const { min, max } = input.allowCustomerAmount;
    assertAmount(min, currency);
    assertAmount(max, currency);
    if (min > max) {
      throw new ValidationFailed(
        'invalid_field',
        '`allowCustomerAmount.min` must not be above `allowCustomerAmount.max`.',
        'allowCustomerAmount',
      );
    }
    assertWithinMaximum(max, currency, limits);
  }
  if (input.expiresAt !== undefined && Date.parse(input.expiresAt) <= now.getTime()) {
    throw new ValidationFailed('invalid_field', '`expiresAt` must be in the future.', 'expiresAt');
  }
}

/** A new link from a validated request. */
export function newPaymentLink(
  id: string,
  slug: string,
  merchantId: string,
  mode: Mode,
  input: CreatePaymentLinkInput,
  now: Date,
): PaymentLink {
  const at = now.toISOString();
  return {
    id,
    merchantId,
    mode,
    slug,
    title: input.title,
    description: input.description ?? null,
    amount: input.amount ?? null,
    allowCustomerAmount: input.allowCustomerAmount ?? null,
    currency: input.currency,
    providers: input.providers ? [...new Set(input.providers)] : null,
    expiresAt: input.expiresAt === undefined ? null : new Date(input.expiresAt).toISOString(),
    maxPayments: input.maxPayments ?? null,
    paymentsCount: 0,
    redirectUrl: input.redirectUrl ?? null,
    metadata: input.metadata ?? {},
    active: true,
    createdAt: at,
    updatedAt: at,
  };
}

/** The link's answer fields, in the order of its answer schema (edge/responses.ts), `id` first. */
export const paymentLinkFieldOrder = [
  'id',
  'mode',
  'url',
  'qrCodeUrl',
  'active',
  'title',
  'description',
  'amount',
  'allowCustomerAmount',
  'currency',
  'providers',
  'expiresAt',
  'maxPayments',
  'paymentsCount',
  'redirectUrl',
  'metadata',
  'createdAt',
  'updatedAt',
] as const;

/** The public URLs of a link, from the API's public base URL. */
export function linkUrls(baseUrl: string, slug: string): { url: string; qrCodeUrl: string } {
  const url = `${baseUrl.replace(/\/+$/, '')}/pay/${slug}`;
  return { url, qrCodeUrl: `${url}/qr.svg` };
}

/** What the API answers about a link: everything but the internal keys, with its public URLs. */
export function publicPaymentLink(link: PaymentLink, baseUrl: string) {
  const { merchantId: _m, slug, ...rest } = link;
  return inFieldOrder({ ...rest, ...linkUrls(baseUrl, slug) }, paymentLinkFieldOrder);
}

export type Availability = 'available' | 'inactive' | 'expired' | 'exhausted';

/** Whether the page may take a payment now; the counter's conditional write has the last word on `exhausted`. */
export function availability(
  link: Pick<PaymentLink, 'active' | 'expiresAt' | 'maxPayments' | 'paymentsCount'>,
  now: Date,
): Availability {
  if (!link.active) return 'inactive';
  if (link.expiresAt !== null && Date.parse(link.expiresAt) <= now.getTime()) return 'expired';
  if (link.maxPayments !== null && link.paymentsCount >= link.maxPayments) return 'exhausted';
  return 'available';
}

/** How each provider is offered to a customer: what the button says, and the provider's name. */
export const providerLabels: Readonly<Record<ProviderName, { label: string; name: string }>> = {
  stripe: { label: 'Pay with card', name: providerRules.stripe.label },
  paystack: { label: 'Pay with Paystack', name: providerRules.paystack.label },
  flutterwave: { label: 'Mobile money', name: providerRules.flutterwave.label },
  chapa: { label: 'telebirr / CBE Birr', name: providerRules.chapa.label },
};

/**
 * The providers the page offers, in the routing preference for the currency:
 * those the merchant has enabled in the link's mode that take the currency,
 * narrowed to the link's `providers` when it names some.
 */
export function providerChoices(
  link: Pick<PaymentLink, 'currency' | 'providers'>,
  enabled: readonly RoutableProvider[],
): ProviderName[] {
  const order = preferenceFor(link.currency);
  return enabled
    .filter((p) => p.currencies.includes(link.currency))
    .map((p) => p.provider)
    .filter((p) => link.providers === null || link.providers.includes(p))
    .sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/**
 * An amount for display: `₦10,750.50`, `USD 19.99` where no symbol is narrower,
 * exact (the minor units go through their decimal string, never a float).
 */
export function formatAmount(amount: number, currency: string): string {
  const digits = exponent(currency);
  const decimal = formatUnits(amount, digits);
  const format = new Intl.NumberFormat('en', {
    style: 'currency',
    currency,
    currencyDisplay: 'narrowSymbol',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return format.format(decimal as unknown as number);
}

/** `allowCustomerAmount` bounds in major units for the amount field (`min`/`max`/`step` attributes). */
export function amountFieldBounds(
  bounds: CustomerAmount,
  currency: string,
): { min: string; max: string; step: string } {
  const digits = exponent(currency);
  return {
    min: formatUnits(bounds.min, digits),
    max: formatUnits(bounds.max, digits),
    step: digits === 0 ? '1' : `0.${'1'.padStart(digits, '0')}`,
  };
}

export type AmountChoice =
  | { ok: true; amount: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'out_of_bounds'; message: string };

/**
 * The amount a submission pays: the link's fixed amount, or the customer's
 * (`"1500"`, `"1,500.50"`, in major units) when it is within the link's bounds.
 */
export function chooseAmount(
  link: Pick<PaymentLink, 'amount' | 'allowCustomerAmount' | 'currency'>,
  entered: string | undefined,
): AmountChoice {
  if (link.amount !== null) return { ok: true, amount: link.amount };
  const bounds = link.allowCustomerAmount as CustomerAmount;
  const range = `from ${formatAmount(bounds.min, link.currency)} to ${formatAmount(bounds.max, link.currency)}`;
  const text = (entered ?? '').trim().replace(/,/g, '');
  if (text === '') return { ok: false, reason: 'missing', message: `Enter an amount ${range}.` };
  let amount: number;
  try {
    amount = parseUnits(text, exponent(link.currency));
  } catch {
    return {
      ok: false,
      reason: 'malformed',
      message: `“${(entered ?? '').slice(0, 40)}” is not an amount. Enter a number ${range}.`,
    };
  }
  if (amount < bounds.min || amount > bounds.max) {
    return { ok: false, reason: 'out_of_bounds', message: `The amount must be ${range}.` };
  }
  return { ok: true, amount };
}

/** The form's one-time token: 128 random bits, base64url. It becomes the payment's Idempotency-Key. */
export function newFormToken(): string {
  return randomBytes(16).toString('base64url');
}

export const formTokenPattern = /^[A-Za-z0-9_-]{22}$/;

/** The Idempotency-Key of a form submission: per link and token, so a double tap makes one payment. */
export const submissionKey = (linkId: string, token: string): string => `${linkId}:${token}`;

/**
 * What a submission asks `createPayment` for: the same input as `POST /v1/payments`,
 * for the provider the customer picked, carrying the link's id; the provider returns
 * the customer to `doneUrl`.
 */
export function paymentInputFor(
  link: Pick<PaymentLink, 'id' | 'currency' | 'title' | 'metadata'>,
  submission: { amount: number; email: string; provider: ProviderName; doneUrl: string },
): CreatePaymentInput {
  return {
    amount: submission.amount,
    currency: link.currency,
    provider: submission.provider,
    customer: { email: submission.email },
    description: link.title,
    redirectUrl: submission.doneUrl,
    metadata: link.metadata,
    paymentLinkId: link.id,
  };
}
