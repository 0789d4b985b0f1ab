/**
 * Paystack adapter.
 *
 * Documentation:
 * - Initialize: https://paystack.com/docs/api/transaction/#initialize
 * - Verify: https://paystack.com/docs/api/transaction/#verify
 * - Webhooks and their signature: https://paystack.com/docs/payments/webhooks/
 * - Supported currencies: https://paystack.com/docs/api/#supported-currency
 * - Event payloads: PaystackOSS/doc-code-snippets `dist/doc/payments/webhooks/events.js`
 *
 * Amounts: Paystack counts every currency in 1/100 of the major unit (kobo,
 * pesewas, cents) and takes an integer. That includes XOF and RWF, whose ISO
 * exponent is 0: Paystack's own WooCommerce plugin (PaystackOSS/woo-paystack,
 * `class-wc-gateway-paystack.php`) sends `order total * 100` for every currency
 * it lists, XOF and RWF included. So 500 XOF goes out as 50000, and an answer of
 * 50050 XOF-hundredths cannot be represented and is refused, never rounded.
 *
 * Currencies: NGN, GHS, ZAR, KES, USD and XOF are documented; EGP and RWF were
 * a private beta in 2024 (woo-paystack #106), which one account can use depends
 * on its country. *Unconfirmed on paystack.com itself* (not in our sources):
 * the exact XOF/RWF subunit rule above; re-check before taking live XOF/RWF.
 */
import * as z from 'zod/mini';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProviderFailed, ValidationFailed } from '#core/errors';
import { assertAmount, exponent, parseUnits, scaleUnits } from '#core/money';
import {
  assertProviderCurrency,
  callProvider,
  headerValue,
  parseWebhookJson,
  readAs,
  reportedAmount,
} from './http.ts';
import type {
  Headers,
  InitializeInput,
  InitializeResult,
  ParsedWebhook,
  ProviderAdapter,
  ProviderContext,
  ProviderCredentials,
  ProviderStatus,
  SignatureCheck,
  VerifyInput,
  VerifyResult,
} from './types.ts';

/** Paystack's production API. */
export const paystackBaseUrl = 'https://api.paystack.co';

/**
 * Paystack references allow only letters, digits, `-`, `.` and `=`
 * (https://paystack.com/docs/api/transaction/#initialize), so our `ref_…` ids
 * travel as `ref-…` and are mapped back when Paystack echoes them.
 */
export const toPaystackReference = (reference: string): string => reference.replace(/_/g, '-');
export const fromPaystackReference = (reference: string): string =>
  /^ref-[0-9A-HJKMNP-TV-Z]{26}$/.test(reference) ? `ref_${reference.slice(4)}` : reference;

const currencies = ['NGN', 'GHS', 'ZAR', 'KES', 'USD', 'XOF', 'EGP', 'RWF'] as const;

/** Paystack's wire unit is 10^-2 of the major unit for every currency it supports. */
const wireDecimals = 2;

const initializeAnswer = z.object({
  status: z.literal(true),
  data: z.object({ authorization_url: z.string(), reference: z.string() }),
});

const verifyAnswer = z.object({
  status: z.literal(true),
  data: z.object({
    status: z.string(),
    reference: z.string(),
    amount: z.nullish(z.union([z.number(), z.string()])),
    currency: z.nullish(z.string()),
    gateway_response: z.nullish(z.string()),
  }),
});

/**
 * Paystack's transaction status words. `abandoned` is what an initialized but
 * unpaid transaction reports, and it can still succeed while the checkout page
 * is open, so it stays pending: our own expiry closes the payment. `reversed`
 * is a payment returned to the customer.
 */
function statusOf(word: string): ProviderStatus {
  switch (word) {
    case 'success':
      return 'succeeded';
    case 'failed':
    case 'reversed':
      return 'failed';
    default:
      // abandoned, ongoing, pending, processing, queued, and anything new.
      return 'pending';
  }
}

function toProviderAmount(amount: number, currency: string): number {
  assertProviderCurrency('paystack', currencies, currency);
  return scaleUnits(amount, exponent(currency), wireDecimals);
}

function fromProviderAmount(amount: number | string, currency: string): number {
  assertProviderCurrency('paystack', currencies, currency);
  return scaleUnits(parseUnits(amount, 0), wireDecimals, exponent(currency));
}

async function initialize(ctx: ProviderContext, input: InitializeInput): Promise<InitializeResult> {
  assertProviderCurrency('paystack', currencies, input.currency);
  assertAmount(input.amount, input.currency);
  const amount = toProviderAmount(input.amount, input.currency);
  const { body } = await callProvider(ctx, {
    provider: 'paystack',
    method: 'POST',
    path: '/transaction/initialize',
    json: {
      email: input.customer.email,
      amount,
      currency: input.currency,
      reference: toPaystackReference(input.reference),
      ...(input.redirectUrl === undefined ? {} : { callback_url: input.redirectUrl }),
      metadata: { ...input.metadata, paybridge_reference: input.reference },
    },
  });
  const answer = readAs('paystack', initializeAnswer, body);
  if (answer.data.reference !== toPaystackReference(input.reference)) {
    throw new ProviderFailed(
      'provider_bad_response',
      'Paystack answered with a reference other than the one we sent.',
      false,
    );
  }
  return { providerReference: answer.data.reference, checkoutUrl: answer.data.authorization_url };
}

async function verify(ctx: ProviderContext, input: VerifyInput): Promise<VerifyResult> {
  const { body } = await callProvider(ctx, {
    provider: 'paystack',
    method: 'GET',
    path: `/transaction/verify/${encodeURIComponent(toPaystackReference(input.reference))}`,
  });
  const { data } = readAs('paystack', verifyAnswer, body);
  if (data.reference !== toPaystackReference(input.reference)) {
    throw new ProviderFailed('provider_bad_response', 'Paystack verified a different reference.', false);
  }
  const currency = data.currency ? data.currency.toUpperCase() : undefined;
  return {
    status: statusOf(data.status),
    amount: reportedAmount('Paystack', data.amount, currency, currencies, fromProviderAmount),
    currency,
    providerStatus: data.status,
    // Paystack sends no webhook for a decline: the sweeper finds it, and this says why.
    ...(statusOf(data.status) === 'failed' && data.gateway_response
      ? { failureReason: data.gateway_response }
      : {}),
  };
}

const hexSha512 = /^[0-9a-f]{128}$/i;

/**
 * `x-paystack-signature` is the hex HMAC-SHA512 of the raw body keyed by the
 * API secret key of the mode the event belongs to. Paystack sends no timestamp,
 * so there is no replay window to check: de-duplication and reconciliation with
 * the verify API carry that weight.
 */
function verifyWebhookSignature(
  rawBody: Buffer,
  headers: Headers,
  credentials: ProviderCredentials,
  _now: Date,
): SignatureCheck {
  if (!credentials.secretKey) return { ok: false, reason: 'no_secret' };
  const given = headerValue(headers, 'x-paystack-signature');
  if (given === undefined) return { ok: false, reason: 'missing_signature' };
  if (!hexSha512.test(given)) return { ok: false, reason: 'bad_signature' };
  const expected = createHmac('sha512', credentials.secretKey).update(rawBody).digest();
  const received = Buffer.from(given, 'hex');
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
    return { ok: false, reason: 'bad_signature' };
  }
  return { ok: true };
}

const chargeEvent = z.object({
  event: z.literal('charge.success'),
  data: z.object({ reference: z.string().check(z.minLength(1)), status: z.string() }),
});

/**
 * Only `charge.success` concerns a checkout: Paystack has no failed-charge
 * event for it (a failure is learnt from the verify API during reconciliation).
 * Paystack events carry no id, so the identity is event + reference + status.
 */
function parseWebhook(rawBody: Buffer): ParsedWebhook {
  const body = parseWebhookJson('paystack', rawBody);
  const type = typeof body.event === 'string' ? body.event : 'unknown';
  if (type !== 'charge.success') return { kind: 'ignored', type };
  const parsed = chargeEvent.safeParse(body);
  if (!parsed.success) {
    throw new ValidationFailed(
      'invalid_webhook_body',
      'The Paystack charge.success event has no data.reference or data.status.',
    );
  }
  const { reference, status } = parsed.data.data;
  return {
    kind: 'payment',
    eventId: `${type}:${reference}:${status}`,
    type,
    reference: fromPaystackReference(reference),
    providerReference: reference,
    claimedStatus: statusOf(status),
  };
}

export const paystack: ProviderAdapter = {
  name: 'paystack',
  currencies,
  toProviderAmount,
  fromProviderAmount,
  initialize,
  verify,
  verifyWebhookSignature,
  parseWebhook,
};
