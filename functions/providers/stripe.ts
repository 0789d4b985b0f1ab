/**
 * Stripe adapter (Checkout Sessions).
 *
 * Documentation:
 * - Create a Checkout Session: https://docs.stripe.com/api/checkout/sessions/create
 * - Retrieve a Checkout Session: https://docs.stripe.com/api/checkout/sessions/retrieve
 * - Fulfilment and its events: https://docs.stripe.com/checkout/fulfillment
 * - Webhook signatures: https://docs.stripe.com/webhooks#verify-manually
 *   (reference implementation: stripe/stripe-node `src/Webhooks.ts`)
 * - Currencies, zero-decimal list: https://docs.stripe.com/currencies
 * - Idempotent requests: https://docs.stripe.com/api/idempotent_requests
 * - Refunds: https://docs.stripe.com/api/refunds (create, retrieve, list, the refund object and its
 *   statuses), https://docs.stripe.com/refunds (failed refunds, `requires_action`), event types
 *   https://docs.stripe.com/api/events/types (`refund.*`, `charge.refunded`, `charge.refund.updated`)
 *   and the changelog 2024-10-28.acacia ("refund webhook update").
 *
 * Amounts are integers in Stripe's minor unit, where Stripe's zero-decimal list
 * (JPY, UGX, RWF, XOF, XAF, …) is in whole units; currency codes go lower-case.
 * For every currency in our table Stripe's exponent equals ISO's, but the
 * conversion still goes through {@link stripeDecimals} so a future currency
 * where they differ is scaled, not mislabelled.
 *
 * Currencies: USD, EUR, GBP, JPY, ZAR, KES, NGN, ETB, EGP, TZS, UGX, RWF, XOF,
 * XAF are Stripe presentment currencies; acceptance also depends on the
 * account's country and the payment methods enabled. *Unconfirmed*: GHS is not
 * in Stripe's presentment list as we have it and is left out; UGX is also in
 * Stripe's "special cases" table, whose wording we could not read: we follow
 * the zero-decimal list and send whole shillings.
 */
import * as z from 'zod/mini';
import { createHmac } from 'node:crypto';
import { sameBytes } from '#core/credentials';
import { ProviderFailed, Unprocessable, ValidationFailed } from '#core/errors';
import { assertAmount, exponent, parseUnits, scaleUnits } from '#core/money';
import {
  assertProviderCurrency,
  callProvider,
  headerValue,
  isRecord,
  parseWebhookJson,
  providerMessage,
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
  RefundResult,
  SignatureCheck,
  VerifyInput,
  VerifyResult,
} from '#core/provider-adapter';

/**
 * The Stripe API version this adapter was written and tested against, sent on every call so
 * answers never follow the merchant account's default version. To upgrade: read Stripe's
 * changelog between the two versions, adapt `sessionAnswer` and the webhook parsing, change
 * this constant and the sandbox's (local/sandboxes/stripe.ts), and run the Stripe tests.
 */
export const stripeApiVersion = '2024-06-20';

/** Stripe's production API. */
export const stripeBaseUrl = 'https://api.stripe.com';

const currencies = [
  'USD',
  'EUR',
  'GBP',
  'JPY',
  'ZAR',
  'KES',
  'NGN',
  'ETB',
  'EGP',
  'TZS',
  'UGX',
  'RWF',
  'XOF',
  'XAF',
] as const;

/** Stripe's zero-decimal currencies (docs.stripe.com/currencies#zero-decimal). */
const zeroDecimal: ReadonlySet<string> = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'JPY',
  'KMF',
  'KRW',
  'MGA',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);

/** Stripe's own exponent for a currency: 0 on its zero-decimal list, otherwise 2. */
export function stripeDecimals(currency: string): number {
  return zeroDecimal.has(currency) ? 0 : 2;
}

/** Stripe's signature tolerance, as in stripe-node: older (or further ahead) is refused. */
export const signatureToleranceSeconds = 300;

function toProviderAmount(amount: number, currency: string): number {
  assertProviderCurrency('stripe', currencies, currency);
  return scaleUnits(amount, exponent(currency), stripeDecimals(currency));
}

function fromProviderAmount(amount: number | string, currency: string): number {
  assertProviderCurrency('stripe', currencies, currency);
  return scaleUnits(parseUnits(amount, 0), stripeDecimals(currency), exponent(currency));
}

const sessionAnswer = z.object({
  id: z.string(),
  url: z.nullish(z.string()),
  status: z.nullish(z.string()),
  payment_status: z.nullish(z.string()),
  amount_total: z.nullish(z.number()),
  currency: z.nullish(z.string()),
  client_reference_id: z.nullish(z.string()),
  // A string id, or the PaymentIntent object when verify expands it.
  payment_intent: z.nullish(z.union([z.string(), z.object({ id: z.string(), status: z.string() })])),
});

async function initialize(ctx: ProviderContext, input: InitializeInput): Promise<InitializeResult> {
  assertProviderCurrency('stripe', currencies, input.currency);
  assertAmount(input.amount, input.currency);
  const unitAmount = toProviderAmount(input.amount, input.currency);
  if (input.redirectUrl === undefined) {
    throw new Unprocessable(
      'redirect_url_required',
      'Stripe Checkout needs a redirect (success) URL.',
      'redirectUrl',
    );
  }
  const form = new URLSearchParams();
  form.set('mode', 'payment');
  form.set('line_items[0][price_data][currency]', input.currency.toLowerCase());
  form.set('line_items[0][price_data][unit_amount]', String(unitAmount));
  form.set('line_items[0][price_data][product_data][name]', input.description ?? 'Payment');
  form.set('line_items[0][quantity]', '1');
  form.set('client_reference_id', input.reference);
  form.set('customer_email', input.customer.email);
  form.set('success_url', input.redirectUrl);
  form.set('cancel_url', input.redirectUrl);
  for (const [key, value] of Object.entries(input.metadata ?? {})) form.set(`metadata[${key}]`, value);
  form.set('metadata[paybridge_reference]', input.reference);
  // Also on the PaymentIntent, so a charge seen in the dashboard leads back to us.
  form.set('payment_intent_data[metadata][paybridge_reference]', input.reference);
  if (input.expiresAt) form.set('expires_at', String(stripeExpiresAt(input.expiresAt, new Date())));

  const { body } = await callProvider(ctx, {
    provider: 'stripe',
    method: 'POST',
    path: '/v1/checkout/sessions',
    form,
    // Our reference is unique per attempt: if this POST is ever repeated (by a
    // retried queue message), Stripe answers with the same session.
    headers: { 'idempotency-key': `paybridge-${input.reference}`, 'stripe-version': stripeApiVersion },
  });
  const session = readAs('stripe', sessionAnswer, body);
  if (!session.url) {
    throw new ProviderFailed(
      'provider_bad_response',
      'Stripe created a Checkout Session without a URL.',
      false,
    );
  }
  return { providerReference: session.id, checkoutUrl: session.url };
}

/**
 * Stripe takes `expires_at` from 30 minutes to 24 hours after creation
 * (https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-expires_at).
 * A shorter lifetime of ours (the local stack allows seconds) is clamped up;
 * our sweeper then ends the session with the expire API when ours runs out.
 */
export function stripeExpiresAt(expiresAt: Date, now: Date): number {
  const created = Math.floor(now.getTime() / 1000);
  const wanted = Math.floor(expiresAt.getTime() / 1000);
  // A minute of margin each side: Stripe measures from its own clock.
  return Math.min(Math.max(wanted, created + 31 * 60), created + 24 * 3600 - 60);
}

/** `POST /v1/checkout/sessions/{id}/expire`: an open session can no longer be paid. */
async function expire(ctx: ProviderContext, input: { providerReference: string }): Promise<void> {
  await callProvider(ctx, {
    provider: 'stripe',
    method: 'POST',
    path: `/v1/checkout/sessions/${encodeURIComponent(input.providerReference)}/expire`,
    form: new URLSearchParams(),
    headers: { 'stripe-version': stripeApiVersion },
  });
}

/**
 * A session is `open` until paid or expired. `complete` with `unpaid` is an
 * asynchronous method still settling, unless its PaymentIntent has fallen back
 * to `requires_payment_method` or `canceled`, which is Stripe's way of saying
 * the async payment failed (the session itself stays `complete`).
 */
function sessionStatus(
  status: string | null | undefined,
  paymentStatus: string | null | undefined,
  intentStatus: string | undefined,
): ProviderStatus {
  if (paymentStatus === 'paid' || paymentStatus === 'no_payment_required') return 'succeeded';
  if (status === 'expired') return 'expired';
  if (status === 'complete' && (intentStatus === 'requires_payment_method' || intentStatus === 'canceled')) {
    return 'failed';
  }
  return 'pending';
}

async function verify(ctx: ProviderContext, input: VerifyInput): Promise<VerifyResult> {
  const { body } = await callProvider(ctx, {
    provider: 'stripe',
    method: 'GET',
    path: `/v1/checkout/sessions/${encodeURIComponent(input.providerReference)}`,
    query: { 'expand[]': 'payment_intent' },
    headers: { 'stripe-version': stripeApiVersion },
  });
  const session = readAs('stripe', sessionAnswer, body);
  // The echo is required: an answer that omits it proves nothing about which payment it describes.
  if (session.client_reference_id !== input.reference) {
    throw new ProviderFailed(
      'provider_bad_response',
      'Stripe returned a session without our reference, or for another one.',
      false,
    );
  }
  const intent = session.payment_intent;
  const intentStatus = typeof intent === 'object' && intent !== null ? intent.status : undefined;
  const intentId = typeof intent === 'string' ? intent : intent?.id;
  const currency = session.currency ? session.currency.toUpperCase() : undefined;
  let amount: number | undefined;
  if (
    typeof session.amount_total === 'number' &&
    currency &&
    (currencies as readonly string[]).includes(currency)
  ) {
    try {
      amount = fromProviderAmount(session.amount_total, currency);
    } catch (error) {
      if (!(error instanceof ValidationFailed)) throw error;
      throw new ProviderFailed(
        'provider_bad_response',
        `Stripe reported an inexact amount: ${error.message}`,
        false,
      );
    }
  }
  const status = sessionStatus(session.status, session.payment_status, intentStatus);
  // The refund API takes the PaymentIntent (`pi_…`); a session names one only once the customer
  // has submitted, and it is the charge to refund only once paid. No `fee`: Stripe reports fees
  // on the charge's balance transaction, not on the Checkout Session this call reads.
  const chargeId = status === 'succeeded' && intentId ? intentId : undefined;
  return {
    status,
    amount,
    currency,
    providerStatus: `${session.status ?? 'unknown'}/${session.payment_status ?? 'unknown'}`,
    ...(chargeId === undefined ? {} : { chargeId }),
  };
}

const refundAnswer = z.object({
  id: z.string().check(z.minLength(1)),
  amount: z.nullish(z.number()),
  currency: z.nullish(z.string()),
  status: z.nullish(z.string()),
  failure_reason: z.nullish(z.string()),
  payment_intent: z.nullish(z.string()),
  metadata: z.nullish(z.record(z.string(), z.string())),
  next_action: z.nullish(
    z.object({
      type: z.nullish(z.string()),
      display_details: z.nullish(
        z.object({
          email_sent: z.nullish(z.object({ email_sent_to: z.nullish(z.string()) })),
          expires_at: z.nullish(z.number()),
        }),
      ),
    }),
  ),
});

type StripeRefund = z.infer<typeof refundAnswer>;

const refundList = z.object({
  data: z.array(refundAnswer),
  has_more: z.optional(z.boolean()),
});

/** Stripe's `failure_reason` words (docs.stripe.com/api/refunds/object), said for people. */
const failureReasons: Readonly<Record<string, string>> = {
  lost_or_stolen_card: 'the card was reported lost or stolen',
  expired_or_canceled_card: 'the card has expired or was cancelled',
  charge_for_pending_refund_disputed: 'the customer disputed the charge while the refund was pending',
  insufficient_funds: 'the Stripe balance could not cover the refund',
  declined: 'the card issuer declined the refund',
  merchant_request: 'the refund was cancelled at the merchant’s request',
  unknown: 'Stripe gave no reason',
};

/**
 * Stripe's refund statuses: `pending`, `requires_action`, `succeeded`, `failed`, `canceled`.
 * `canceled` (only a `requires_action` refund can be cancelled) ends it without money moving: failed
 * for us. Any word Stripe adds later reads as pending, so the refund keeps being looked up.
 */
function refundStatus(status: string | null | undefined): ProviderRefundStatus {
  switch (status ?? '') {
    case 'succeeded':
      return 'succeeded';
    case 'failed':
    case 'canceled':
      return 'failed';
    case 'requires_action':
      return 'requires_action';
    default:
      return 'pending';
  }
}

function refundResult(refund: StripeRefund): RefundResult {
  const status = refundStatus(refund.status);
  const currency = refund.currency ? refund.currency.toUpperCase() : undefined;
  const amount = reportedAmount('stripe', refund.amount, currency, currencies, fromProviderAmount);
  const result: RefundResult = {
    status,
    providerRefundId: refund.id,
    amount,
    providerStatus: refund.status ?? 'unknown',
  };
  if (refund.status === 'failed') {
    const word = refund.failure_reason ?? 'unknown';
    return {
      ...result,
      failureReason: `Stripe failed the refund: ${failureReasons[word] ?? word} (${word}).`,
    };
  }
  if (refund.status === 'canceled') {
    return { ...result, failureReason: 'The refund was cancelled at Stripe before any money moved.' };
  }
  if (status === 'requires_action') return { ...result, nextAction: nextActionText(refund) };
  return result;
}

/**
 * `requires_action` arises for payment methods whose refunds need the customer's bank details
 * (e.g. customer cash balance, OXXO): Stripe emails the customer and waits; an unanswered one
 * can be ended with `POST /v1/refunds/{id}/cancel`.
 */
function nextActionText(refund: StripeRefund): string {
  const details = refund.next_action?.display_details;
  const to = details?.email_sent?.email_sent_to;
  const until =
    typeof details?.expires_at === 'number' ? new Date(details.expires_at * 1000).toISOString() : undefined;
  return [
    'Stripe needs the customer to give their refund details',
    to ? ` (instructions were emailed to ${to})` : '',
    until ? `, by ${until}` : '',
    '; until then the refund waits, and it can be cancelled at Stripe.',
  ].join('');
}

/**
 * `POST /v1/refunds` with `payment_intent=<pi_…>` and always the amount in Stripe's units. Our
 * refund id is the `Idempotency-Key` (a lost answer followed by a retry gets the same refund back
 * for 24 h) and is kept in `metadata[paybridge_refund_id]`, so a lookup can find the refund after
 * the key has expired and a refund webhook names our refund.
 */
async function refund(ctx: ProviderContext, input: RefundInput): Promise<RefundResult> {
  assertProviderCurrency('stripe', currencies, input.currency);
  assertAmount(input.amount, input.currency);
  const paymentIntent = input.payment.chargeId;
  if (!paymentIntent) {
    throw new Unprocessable(
      'charge_id_missing',
      'Stripe refunds a PaymentIntent (pi_…), and this payment has none recorded: verify the payment first.',
      'chargeId',
    );
  }
  const form = new URLSearchParams();
  form.set('payment_intent', paymentIntent);
  form.set('amount', String(toProviderAmount(input.amount, input.currency)));
  if (input.reason !== undefined && input.reason !== 'other') form.set('reason', input.reason);
  form.set('metadata[paybridge_refund_id]', input.refundId);
  // Our payment reference too, so refund.* webhooks name the payment in our terms.
  form.set('metadata[paybridge_reference]', input.payment.reference);
  const { status, body } = await callProvider(
    ctx,
    {
      provider: 'stripe',
      method: 'POST',
      path: '/v1/refunds',
      form,
      headers: { 'idempotency-key': input.refundId, 'stripe-version': stripeApiVersion },
    },
    // 409 is Stripe saying another request with this key is still running: the outcome is unknown.
    { accept: (code) => code === 409 },
  );
  if (status === 409) {
    throw new ProviderFailed(
      'provider_conflict',
      `Stripe is still processing an earlier request for this refund (HTTP 409): ${providerMessage(body) ?? 'no error message'}`,
      true,
    );
  }
  return refundResult(readAs('stripe', refundAnswer, body));
}

const maxListPages = 10;

/**
 * By Stripe's id when the create answered (`GET /v1/refunds/{id}`); otherwise among the
 * PaymentIntent's refunds (`GET /v1/refunds?payment_intent=…&limit=100`, newest first, paged) by
 * `metadata.paybridge_refund_id`. Undefined when Stripe has no such refund.
 */
async function lookupRefund(ctx: ProviderContext, input: RefundLookup): Promise<RefundResult | undefined> {
  if (input.providerRefundId !== undefined) {
    const { status, body } = await callProvider(
      ctx,
      {
        provider: 'stripe',
        method: 'GET',
        path: `/v1/refunds/${encodeURIComponent(input.providerRefundId)}`,
        headers: { 'stripe-version': stripeApiVersion },
      },
      { accept: (code, answer) => code === 404 && isResourceMissing(answer) },
    );
    if (status === 404) return undefined;
    const found = readAs('stripe', refundAnswer, body);
    const echoed = found.metadata?.paybridge_refund_id;
    if (echoed !== undefined && echoed !== input.refundId) {
      throw new ProviderFailed(
        'provider_bad_response',
        'Stripe returned a refund that belongs to another PayBridge refund.',
        false,
      );
    }
    return refundResult(found);
  }
  const paymentIntent = input.payment.chargeId;
  // Without a PaymentIntent no refund can have been created (refund() refuses first).
  if (!paymentIntent) return undefined;
  let startingAfter: string | undefined;
  for (let page = 0; page < maxListPages; page += 1) {
    const { body } = await callProvider(ctx, {
      provider: 'stripe',
      method: 'GET',
      path: '/v1/refunds',
      query: {
        payment_intent: paymentIntent,
        limit: '100',
        ...(startingAfter === undefined ? {} : { starting_after: startingAfter }),
      },
      headers: { 'stripe-version': stripeApiVersion },
    });
    const list = readAs('stripe', refundList, body);
    const match = list.data.find((r) => r.metadata?.paybridge_refund_id === input.refundId);
    if (match) return refundResult(match);
    const last = list.data.at(-1);
    if (!list.has_more || last === undefined) return undefined;
    startingAfter = last.id;
  }
  throw new ProviderFailed(
    'provider_bad_response',
    `Stripe lists more than ${maxListPages * 100} refunds for this PaymentIntent; ours was not among them.`,
    false,
  );
}

function isResourceMissing(body: unknown): boolean {
  return isRecord(body) && isRecord(body.error) && body.error.code === 'resource_missing';
}

const hexSha256 = /^[0-9a-f]{64}$/i;

/**
 * `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`: each v1 is the hex
 * HMAC-SHA256 of `${t}.${rawBody}` keyed by the whole `whsec_…` string as UTF-8
 * (it is not base64-decoded, unlike Standard Webhooks). Any matching v1 is
 * enough: Stripe sends several while a secret is being rolled. A correct
 * signature outside ±300 s of `now` is refused as stale, ahead or behind, which
 * bounds how long a captured delivery can be replayed.
 */
function verifyWebhookSignature(
  rawBody: Buffer,
  headers: Headers,
  credentials: ProviderCredentials,
  now: Date,
): SignatureCheck {
  const secret = credentials.webhookSecret;
  if (!secret) return { ok: false, reason: 'no_secret' };
  const header = headerValue(headers, 'stripe-signature');
  if (header === undefined) return { ok: false, reason: 'missing_signature' };

  let timestamp: string | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1' && hexSha256.test(value)) candidates.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || candidates.length === 0) {
    return { ok: false, reason: 'bad_signature' };
  }

  const expected = createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(rawBody).digest();
  // Compare against every candidate so the time taken does not say which matched.
  let matched = false;
  for (const candidate of candidates) {
    if (sameBytes(candidate, expected)) matched = true;
  }
  if (!matched) return { ok: false, reason: 'bad_signature' };

  const age = Math.floor(now.getTime() / 1000) - Number(timestamp);
  if (Math.abs(age) > signatureToleranceSeconds) return { ok: false, reason: 'stale_timestamp' };
  return { ok: true };
}

const sessionEvent = z.object({
  id: z.string().check(z.minLength(1)),
  type: z.string(),
  data: z.object({
    object: z.object({
      id: z.string(),
      client_reference_id: z.nullish(z.string()),
      payment_status: z.nullish(z.string()),
    }),
  }),
});

const refundEvent = z.object({
  id: z.string().check(z.minLength(1)),
  type: z.string(),
  data: z.object({
    object: z.object({
      id: z.string(),
      payment_intent: z.nullish(z.string()),
      charge: z.nullish(z.string()),
      metadata: z.nullish(z.record(z.string(), z.string())),
    }),
  }),
});

/**
 * Refund events, hints only (the worker re-reads the refund through `lookupRefund`):
 * - `refund.created`, `refund.updated`, `refund.failed` and the older `charge.refund.updated`
 *   carry the refund object: its `re_…` id, `payment_intent`, and our metadata
 *   (`paybridge_refund_id`, `paybridge_reference`). Stripe sends `refund.*` for charge refunds
 *   only to endpoints on API version 2024-10-28.acacia or later; older endpoints get
 *   `charge.refund.updated` instead, so both are read.
 * - `charge.refunded` carries the charge: its `payment_intent` and the PaymentIntent metadata
 *   copied onto it (`paybridge_reference`; *unconfirmed* that Stripe copies it onto the charge: when
 *   absent, `providerReference` still names the PaymentIntent); it does not say which refund (the refunds list is not
 *   expanded since 2022-11-15) and `amount_refunded` is cumulative.
 */
const refundEventTypes: ReadonlySet<string> = new Set([
  'refund.created',
  'refund.updated',
  'refund.failed',
  'charge.refund.updated',
  'charge.refunded',
]);

function parseRefundEvent(body: Record<string, unknown>, type: string): ParsedWebhook {
  const parsed = refundEvent.safeParse(body);
  if (!parsed.success) {
    throw new ValidationFailed('invalid_webhook_body', `The Stripe ${type} event has no id or object.`);
  }
  const object = parsed.data.data.object;
  const isCharge = type === 'charge.refunded';
  return {
    kind: 'refund',
    eventId: parsed.data.id,
    type,
    reference: object.metadata?.paybridge_reference || undefined,
    providerReference: object.payment_intent ?? (isCharge ? object.id : (object.charge ?? undefined)),
    providerRefundId: isCharge ? undefined : object.id,
    refundId: isCharge ? undefined : object.metadata?.paybridge_refund_id || undefined,
  };
}

/**
 * The Checkout Session events PayBridge acts on, and the refund events above. A session without
 * a `client_reference_id` was not created by PayBridge (the same Stripe account may serve other
 * integrations) and is ignored. The event `id` (`evt_…`) is the de-duplication identity.
 */
function parseWebhook(rawBody: Buffer): ParsedWebhook {
  const body = parseWebhookJson('stripe', rawBody);
  const type = typeof body.type === 'string' ? body.type : 'unknown';
  if (refundEventTypes.has(type)) return parseRefundEvent(body, type);
  let claimed: (paymentStatus: string | null | undefined) => ProviderStatus;
  switch (type) {
    case 'checkout.session.completed':
      claimed = (paymentStatus) =>
        paymentStatus === 'paid' || paymentStatus === 'no_payment_required' ? 'succeeded' : 'pending';
      break;
    case 'checkout.session.async_payment_succeeded':
      claimed = () => 'succeeded';
      break;
    case 'checkout.session.async_payment_failed':
      claimed = () => 'failed';
      break;
    case 'checkout.session.expired':
      claimed = () => 'expired';
      break;
    default:
      return { kind: 'ignored', type };
  }
  const parsed = sessionEvent.safeParse(body);
  if (!parsed.success) {
    throw new ValidationFailed(
      'invalid_webhook_body',
      `The Stripe ${type} event has no id or session object.`,
    );
  }
  const session = parsed.data.data.object;
  if (!session.client_reference_id) return { kind: 'ignored', type };
  return {
    kind: 'payment',
    eventId: parsed.data.id,
    type,
    reference: session.client_reference_id,
    providerReference: session.id,
    claimedStatus: claimed(session.payment_status),
  };
}

export const stripe: ProviderAdapter = {
  name: 'stripe',
  baseUrl: stripeBaseUrl,
  currencies,
  toProviderAmount,
  fromProviderAmount,
  initialize,
  verify,
  expire,
  refund,
  lookupRefund,
  verifyWebhookSignature,
  parseWebhook,
};
