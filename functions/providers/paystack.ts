/**
 * Paystack adapter.
 *
 * Documentation:
 * - Initialize: https://paystack.com/docs/api/transaction/#initialize
 * - Verify: https://paystack.com/docs/api/transaction/#verify
 * - Webhooks and their signature: https://paystack.com/docs/payments/webhooks/
 * - Supported currencies: https://paystack.com/docs/api/#supported-currency
 * - Event payloads: PaystackOSS/doc-code-snippets `dist/doc/payments/webhooks/events.js`
 * - Refunds: https://paystack.com/docs/api/refund/ (create `POST /refund`, fetch `GET /refund/{id}`,
 *   list `GET /refund`), https://paystack.com/docs/payments/refunds/; answer and event samples in
 *   PaystackOSS/doc-code-snippets `dist/doc/payments/refunds/events.js` and
 *   `dist/api/refunds/retry/response.json`.
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
import { createHmac } from 'node:crypto';
import { sameBytes } from '#core/credentials';
import { ProviderFailed, ValidationFailed } from '#core/errors';
import { idPattern } from '#core/ids';
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
  ProviderRefundStatus,
  ProviderStatus,
  RefundInput,
  RefundLookup,
  RefundReason,
  RefundResult,
  RefundTarget,
  SignatureCheck,
  VerifyInput,
  VerifyResult,
} from '#core/provider-adapter';

/** Paystack's production API. */
export const paystackBaseUrl = 'https://api.paystack.co';

/**
 * Paystack references allow only letters, digits, `-`, `.` and `=`
 * (https://paystack.com/docs/api/transaction/#initialize), so our `ref_…` ids
 * travel as `ref-…` and are mapped back when Paystack echoes them.
 */
/** Our `ref_…` as Paystack carries it. */
const ourReference = idPattern('ref', '-');

export const toPaystackReference = (reference: string): string => reference.replace(/_/g, '-');
export const fromPaystackReference = (reference: string): string =>
  ourReference.test(reference) ? `ref_${reference.slice(4)}` : reference;

const currencies = ['NGN', 'GHS', 'ZAR', 'KES', 'USD', 'XOF', 'EGP', 'RWF'] as const;

const supports = (currency: string): boolean => (currencies as readonly string[]).includes(currency);

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
    fees: z.nullish(z.union([z.number(), z.string()])),
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
  // Paid (or paid and since refunded in full, which Paystack reports as `reversed`).
  const charged = data.status === 'success' || data.status === 'reversed';
  const fee = charged ? feeOf(data.fees, currency) : undefined;
  return {
    status: statusOf(data.status),
    amount: reportedAmount('paystack', data.amount, currency, currencies, fromProviderAmount),
    currency,
    providerStatus: data.status,
    // Paystack sends no webhook for a decline: the sweeper finds it, and this says why.
    ...(statusOf(data.status) === 'failed' && data.gateway_response
      ? { failureReason: data.gateway_response }
      : {}),
    // `POST /refund` takes the transaction reference (or the numeric id): we keep the reference
    // Paystack echoes (the `ref-…` wire form), which is also what its refund events carry.
    ...(charged ? { chargeId: data.reference } : {}),
    ...(fee === undefined ? {} : { fee }),
  };
}

/**
 * Paystack's `fees` (subunits) in minor units. A fee that is not a whole number of minor units
 * (an XOF fee in hundredths of a franc, say) is left out rather than rounded: the fee is
 * information, and a verify must not fail over it.
 */
function feeOf(fees: number | string | null | undefined, currency: string | undefined): number | undefined {
  if (fees === null || fees === undefined || currency === undefined || !supports(currency)) return undefined;
  try {
    return fromProviderAmount(fees, currency);
  } catch (error) {
    if (error instanceof ValidationFailed) return undefined;
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Refunds
// ---------------------------------------------------------------------------

/**
 * A Paystack refund object, as `POST /refund` (with `transaction` expanded to an object),
 * `GET /refund/{id}` and `GET /refund` (with `transaction` the numeric id) carry it.
 * Only what we read is checked; Paystack sends much more.
 */
const refundObject = z.object({
  id: z.union([z.number(), z.string().check(z.minLength(1))]),
  status: z.string(),
  amount: z.nullish(z.union([z.number(), z.string()])),
  currency: z.nullish(z.string()),
  merchant_note: z.nullish(z.string()),
  reason: z.nullish(z.string()),
});

type PaystackRefund = z.infer<typeof refundObject>;

/** `status: true` only says the call worked; `data.status` is the refund's own state. */
const refundAnswer = z.object({ status: z.literal(true), data: refundObject });

const refundListAnswer = z.object({
  status: z.literal(true),
  data: z.array(refundObject),
  meta: z.optional(z.object({ pageCount: z.nullish(z.number()), page: z.nullish(z.number()) })),
});

/** What Paystack needs before a `needs-attention` refund can go on, in words. */
const needsAttention =
  "Paystack could not return the money to the customer's original payment method and needs the " +
  "customer's bank account details: retry it with POST /refund/retry_with_customer_details/{id} " +
  'or from the Paystack dashboard.';

/**
 * Paystack's refund status words: `pending` (queued), `processing` (with the processor),
 * `processed` (done), `failed` (the money went back to the merchant's balance), and
 * `needs-attention` (the customer's bank details are needed). Anything new stays pending and
 * keeps being looked up.
 */
function refundStatusOf(word: string): ProviderRefundStatus {
  switch (word) {
    case 'processed':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'needs-attention':
      return 'requires_action';
    default:
      // pending, processing, and anything new.
      return 'pending';
  }
}

function refundResultOf(refund: PaystackRefund, expectedCurrency: string): RefundResult {
  const status = refundStatusOf(refund.status);
  const currency = refund.currency ? refund.currency.toUpperCase() : expectedCurrency;
  return {
    status,
    providerRefundId: String(refund.id),
    amount: reportedAmount('paystack', refund.amount, currency, currencies, fromProviderAmount),
    providerStatus: refund.status,
    ...(status === 'failed' && refund.reason ? { failureReason: refund.reason } : {}),
    ...(status === 'requires_action' ? { nextAction: needsAttention } : {}),
  };
}

/** What `POST /refund` takes as `transaction`: the reference verify echoed, else ours on the wire. */
function transactionOf(payment: RefundTarget): string {
  return payment.chargeId ?? toPaystackReference(payment.reference);
}

/**
 * `customer_note` is shown to the customer, so only reasons worth telling them travel there;
 * `merchant_note` carries our refund id and nothing else, so that it can be matched exactly.
 */
const customerNotes: Readonly<Partial<Record<RefundReason, string>>> = {
  requested_by_customer: 'Refund requested by the customer',
  duplicate: 'Refund of a duplicate payment',
};

/**
 * `POST /refund` JSON `{transaction, amount, currency, merchant_note, customer_note?}`.
 *
 * Paystack has no idempotency key and no unique refund reference: our refund id travels as
 * `merchant_note`, and a create sent twice makes two refunds (within what is still refundable).
 * So this call is never retried here; after a lost answer the caller finds the refund with
 * {@link lookupRefund}, which matches `merchant_note`, before submitting it again.
 */
async function refund(ctx: ProviderContext, input: RefundInput): Promise<RefundResult> {
  assertProviderCurrency('paystack', currencies, input.currency);
  assertAmount(input.amount, input.currency);
  const customerNote = input.reason === undefined ? undefined : customerNotes[input.reason];
  const { body } = await callProvider(ctx, {
    provider: 'paystack',
    method: 'POST',
    path: '/refund',
    json: {
      transaction: transactionOf(input.payment),
      amount: toProviderAmount(input.amount, input.currency),
      currency: input.currency,
      merchant_note: input.refundId,
      ...(customerNote === undefined ? {} : { customer_note: customerNote }),
    },
  });
  let data: PaystackRefund;
  try {
    ({ data } = readAs('paystack', refundAnswer, body));
  } catch (error) {
    // A 2xx we cannot read may still have queued the refund: the outcome is unknown, so the
    // caller must look it up before anything else, as after a timeout.
    if (error instanceof ProviderFailed) throw new ProviderFailed(error.code, error.message, true);
    throw error;
  }
  return refundResultOf(data, input.currency);
}

/** Paystack answers an unknown refund id with 404 (or a 400 saying "not found"; *unconfirmed*). */
function isMissing(status: number, body: unknown): boolean {
  if (status === 404) return true;
  if (status !== 400 || typeof body !== 'object' || body === null) return false;
  const message = (body as { message?: unknown }).message;
  return typeof message === 'string' && /not found/i.test(message);
}

/** Pages of `GET /refund` read while looking for our refund id; 100 refunds a page. */
const maxListPages = 5;

/**
 * By Paystack's refund id: `GET /refund/{id}`. Without it (the create's answer was lost):
 * `GET /refund?transaction=…` and the one whose `merchant_note` is our refund id.
 * *Unconfirmed*: that the list's `transaction` filter takes the reference as well as the
 * numeric id; matching `merchant_note` is what decides, whatever the filter did.
 */
async function lookupRefund(ctx: ProviderContext, input: RefundLookup): Promise<RefundResult | undefined> {
  if (input.providerRefundId !== undefined) {
    const { status, body } = await callProvider(
      ctx,
      {
        provider: 'paystack',
        method: 'GET',
        path: `/refund/${encodeURIComponent(input.providerRefundId)}`,
      },
      { accept: isMissing },
    );
    if (isMissing(status, body)) return undefined;
    const { data } = readAs('paystack', refundAnswer, body);
    if (String(data.id) !== input.providerRefundId) {
      throw new ProviderFailed('provider_bad_response', 'Paystack answered with another refund.', false);
    }
    if (data.merchant_note && data.merchant_note !== input.refundId) {
      throw new ProviderFailed(
        'provider_bad_response',
        `Paystack refund ${input.providerRefundId} was not made for refund ${input.refundId}.`,
        false,
      );
    }
    return refundResultOf(data, input.currency);
  }

  const matches: PaystackRefund[] = [];
  for (let page = 1; page <= maxListPages; page += 1) {
    const { body } = await callProvider(ctx, {
      provider: 'paystack',
      method: 'GET',
      path: '/refund',
      query: { transaction: transactionOf(input.payment), perPage: '100', page: String(page) },
    });
    const answer = readAs('paystack', refundListAnswer, body);
    matches.push(...answer.data.filter((r) => r.merchant_note === input.refundId));
    const pageCount = answer.meta?.pageCount ?? 1;
    if (matches.length > 0 || answer.data.length === 0 || page >= pageCount) break;
  }
  // Two refunds with our id mean the create was sent twice; report the one still standing.
  const found = matches.find((r) => refundStatusOf(r.status) !== 'failed') ?? matches[0];
  return found === undefined ? undefined : refundResultOf(found, input.currency);
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
  if (!sameBytes(received, expected)) return { ok: false, reason: 'bad_signature' };
  return { ok: true };
}

const chargeEvent = z.object({
  event: z.literal('charge.success'),
  data: z.object({ reference: z.string().check(z.minLength(1)), status: z.string() }),
});

const refundEvents = new Set(['refund.pending', 'refund.processing', 'refund.processed', 'refund.failed']);

/**
 * Paystack's refund events (PaystackOSS/doc-code-snippets `dist/doc/payments/refunds/events.js`):
 * `data.transaction_reference` is the payment's reference, `data.refund_reference` stays null
 * until processed, `data.amount` is a string in most samples and a number in `refund.failed`,
 * and no sample carries the refund's id. Should one carry `id` or our `merchant_note`, we pass
 * them on; they are hints, and the worker re-reads the refunds from the API.
 */
const refundEvent = z.object({
  event: z.string(),
  data: z.object({
    transaction_reference: z.string().check(z.minLength(1)),
    status: z.string(),
    amount: z.nullish(z.union([z.number(), z.string()])),
    id: z.nullish(z.union([z.number(), z.string()])),
    merchant_note: z.nullish(z.string()),
  }),
});

const ourRefundId = idPattern('re');

/**
 * `charge.success` is the one payment event (Paystack has no failed-charge event for a
 * checkout: a failure is learnt from the verify API during reconciliation); the four
 * `refund.*` events are refund hints. Paystack events carry no id, so the identity is derived:
 * event + reference + status for a charge, and + amount for a refund (two partial refunds of
 * one payment differ at least in time, and usually in amount; the same delivery never does).
 */
function parseWebhook(rawBody: Buffer): ParsedWebhook {
  const body = parseWebhookJson('paystack', rawBody);
  const type = typeof body.event === 'string' ? body.event : 'unknown';
  if (refundEvents.has(type)) return parseRefundEvent(type, body);
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

function parseRefundEvent(type: string, body: Record<string, unknown>): ParsedWebhook {
  const parsed = refundEvent.safeParse(body);
  if (!parsed.success) {
    throw new ValidationFailed(
      'invalid_webhook_body',
      `The Paystack ${type} event has no data.transaction_reference or data.status.`,
    );
  }
  const { transaction_reference: reference, status, amount, id, merchant_note: note } = parsed.data.data;
  const amountPart = amount === null || amount === undefined ? '' : String(amount);
  return {
    kind: 'refund',
    eventId: `${type}:${reference}:${status}:${amountPart}`,
    type,
    reference: ourReference.test(reference) ? fromPaystackReference(reference) : undefined,
    providerReference: reference,
    providerRefundId: id === null || id === undefined ? undefined : String(id),
    refundId: note && ourRefundId.test(note) ? note : undefined,
  };
}

export const paystack: ProviderAdapter = {
  name: 'paystack',
  baseUrl: paystackBaseUrl,
  currencies,
  toProviderAmount,
  fromProviderAmount,
  initialize,
  verify,
  refund,
  lookupRefund,
  verifyWebhookSignature,
  parseWebhook,
};
