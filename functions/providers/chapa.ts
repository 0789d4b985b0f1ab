/**
 * Chapa adapter.
 *
 * Documentation:
 * - Accept payments (initialize): https://developer.chapa.co/docs/accept-payments/
 * - Verify payments: https://developer.chapa.co/integrations/verify-payments
 * - Webhooks: https://developer.chapa.co/integrations/webhooks
 * - Signature headers as Chapa's own tooling produces them:
 *   Chapa-Et/chapa-cli `chapa_cli/webhook.py`, `chapa_cli/webhook_verify.py`
 * - Refunds: https://developer.chapa.co/refund — `POST /v1/refund/{chapa reference}` (form-encoded
 *   `reason`, `amount` as a major-unit string, `reference` unique per business, `meta[…]`), answered
 *   "Refund Initiated" with `data.ref_id`; `GET /v1/refund/{ref_id}/verify` ("Refund verified
 *   successfully", `data.amount`, `data.currency`, `data.ref_id`, …).
 *
 * Amounts are major units as a decimal string ("107.50"); answers may carry a
 * string or a number, both parsed exactly.
 *
 * Currencies: ETB and USD.
 *
 * `callback_url` is not sent: Chapa calls it with an unsigned GET, which would
 * prove nothing; the signed webhook (configured in the dashboard) and the verify
 * API are what PayBridge trusts. `return_url` is where the customer goes back.
 */
import * as z from 'zod/mini';
import { createHmac } from 'node:crypto';
import { sameBytes } from '#core/credentials';
import { ProviderFailed, Unprocessable, ValidationFailed } from '#core/errors';
import { assertAmount, decimalToMinor, minorToDecimalString } from '#core/money';
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
  RefundReason,
  RefundResult,
  SignatureCheck,
  VerifyInput,
  VerifyResult,
} from '#core/provider-adapter';

/** Chapa's production API. */
export const chapaBaseUrl = 'https://api.chapa.co';

const currencies = ['ETB', 'USD'] as const;

const initializeAnswer = z.object({
  status: z.literal('success'),
  data: z.object({ checkout_url: z.string() }),
});

const verifyAnswer = z.object({
  status: z.literal('success'),
  data: z.object({
    status: z.string(),
    tx_ref: z.nullish(z.string()),
    amount: z.nullish(z.union([z.number(), z.string()])),
    currency: z.nullish(z.string()),
    /** Chapa's own reference: what its refund API takes in the path. */
    reference: z.nullish(z.string()),
    /** Chapa's fee, major units (samples show strings and numbers). */
    charge: z.nullish(z.union([z.number(), z.string()])),
  }),
});

function statusOf(word: string): ProviderStatus {
  switch (word.toLowerCase()) {
    case 'success':
    case 'successful':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'cancelled':
    case 'canceled':
      return 'cancelled';
    default:
      return 'pending';
  }
}

function toProviderAmount(amount: number, currency: string): string {
  assertProviderCurrency('chapa', currencies, currency);
  return minorToDecimalString(amount, currency);
}

function fromProviderAmount(amount: number | string, currency: string): number {
  assertProviderCurrency('chapa', currencies, currency);
  return decimalToMinor(amount, currency);
}

/** "Ada King Lovelace" → first "Ada", last "King Lovelace". */
function splitName(name: string | undefined): { first_name?: string; last_name?: string } {
  const parts = (name ?? '')
    .trim()
    .split(/\s+/)
    .filter((part) => part !== '');
  const [first, ...rest] = parts;
  if (first === undefined) return {};
  return rest.length === 0 ? { first_name: first } : { first_name: first, last_name: rest.join(' ') };
}

async function initialize(ctx: ProviderContext, input: InitializeInput): Promise<InitializeResult> {
  assertProviderCurrency('chapa', currencies, input.currency);
  assertAmount(input.amount, input.currency);
  const amount = toProviderAmount(input.amount, input.currency);
  const { body } = await callProvider(ctx, {
    provider: 'chapa',
    method: 'POST',
    path: '/v1/transaction/initialize',
    json: {
      amount,
      currency: input.currency,
      email: input.customer.email,
      ...splitName(input.customer.name),
      // Chapa refuses any phone not written 09xxxxxxxx / 07xxxxxxxx; it is optional, so omit others.
      ...(input.customer.phone !== undefined && /^0[79]\d{8}$/.test(input.customer.phone)
        ? { phone_number: input.customer.phone }
        : {}),
      tx_ref: input.reference,
      ...(input.redirectUrl === undefined ? {} : { return_url: input.redirectUrl }),
      meta: { ...input.metadata, paybridge_reference: input.reference },
    },
  });
  const answer = readAs('chapa', initializeAnswer, body);
  return { providerReference: input.reference, checkoutUrl: answer.data.checkout_url };
}

async function verify(ctx: ProviderContext, input: VerifyInput): Promise<VerifyResult> {
  const { body } = await callProvider(ctx, {
    provider: 'chapa',
    method: 'GET',
    path: `/v1/transaction/verify/${encodeURIComponent(input.reference)}`,
  });
  const { data } = readAs('chapa', verifyAnswer, body);
  // The echo is required: an answer that omits it proves nothing about which payment it describes.
  if (data.tx_ref !== input.reference) {
    throw new ProviderFailed(
      'provider_bad_response',
      'Chapa verified another tx_ref, or did not say which.',
      false,
    );
  }
  const currency = data.currency ? data.currency.toUpperCase() : undefined;
  let amount: number | undefined;
  if (
    data.amount !== null &&
    data.amount !== undefined &&
    currency &&
    (currencies as readonly string[]).includes(currency)
  ) {
    try {
      amount = fromProviderAmount(data.amount, currency);
    } catch (error) {
      if (!(error instanceof ValidationFailed)) throw error;
      throw new ProviderFailed(
        'provider_bad_response',
        `Chapa reported an inexact amount: ${error.message}`,
        false,
      );
    }
  }
  const status = statusOf(data.status);
  const paid = status === 'succeeded';
  const chargeId = paid && data.reference ? data.reference : undefined;
  const fee = paid ? feeOf(data.charge, currency) : undefined;
  return {
    status,
    amount,
    currency,
    providerStatus: data.status,
    ...(chargeId === undefined ? {} : { chargeId }),
    ...(fee === undefined ? {} : { fee }),
  };
}

/**
 * Chapa's `charge` in minor units. The fee is information, not money we settle on: a value
 * that is not exact in the currency's unit is left out rather than failing the verify.
 */
function feeOf(charge: number | string | null | undefined, currency: string | undefined): number | undefined {
  if (charge === null || charge === undefined || currency === undefined) return undefined;
  if (!(currencies as readonly string[]).includes(currency)) return undefined;
  try {
    return fromProviderAmount(charge, currency);
  } catch (error) {
    if (error instanceof ValidationFailed) return undefined;
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Refunds
// ---------------------------------------------------------------------------

/**
 * The refund's own id: the documentation names it `ref_id`; some answers have been seen
 * naming it `ref` or `id`, all accepted. The other fields of the create answer are not
 * documented (unconfirmed) and read only when present.
 */
const refundData = z.object({
  ref_id: z.nullish(z.union([z.string(), z.number()])),
  ref: z.nullish(z.union([z.string(), z.number()])),
  id: z.nullish(z.union([z.string(), z.number()])),
  status: z.nullish(z.string()),
  amount: z.nullish(z.union([z.number(), z.string()])),
  currency: z.nullish(z.string()),
  /** Our `reference` (the `re_…` id) echoed; unconfirmed. */
  reference: z.nullish(z.string()),
});

const refundAnswer = z.object({
  status: z.literal('success'),
  message: z.nullish(z.string()),
  data: refundData,
});

/**
 * Chapa's refund words: `initiated` until it is `refunded` (PROVIDERS.md). The failure word
 * is not documented (unconfirmed): `failed` and its likely synonyms read as failed. Chapa has
 * no "needs action" state. Anything else is pending, and is looked up again later.
 */
function refundStatusOf(word: string): ProviderRefundStatus {
  switch (word.toLowerCase()) {
    case 'refunded':
    case 'success':
    case 'successful':
    case 'completed':
      return 'succeeded';
    case 'failed':
    case 'rejected':
    case 'cancelled':
    case 'canceled':
      return 'failed';
    default:
      return 'pending';
  }
}

const reasonWords: Readonly<Record<RefundReason, string>> = {
  requested_by_customer: 'Requested by the customer',
  duplicate: 'Duplicate payment',
  fraudulent: 'Fraudulent payment',
  other: 'Refund',
};

function refundResult(
  data: z.infer<typeof refundData>,
  fallbackCurrency: string,
  fallbackStatus: string,
): RefundResult {
  const id = [data.ref_id, data.ref, data.id].find(
    (value) => value !== null && value !== undefined && String(value) !== '',
  );
  if (id === undefined || id === null) {
    throw new ProviderFailed('provider_bad_response', 'Chapa answered the refund without its ref_id.', false);
  }
  const currency = data.currency ? data.currency.toUpperCase() : fallbackCurrency;
  const amount = reportedAmount('chapa', data.amount, currency, currencies, fromProviderAmount);
  const providerStatus = data.status ?? fallbackStatus;
  return {
    status: refundStatusOf(providerStatus),
    providerRefundId: String(id),
    amount,
    providerStatus,
    ...(refundStatusOf(providerStatus) === 'failed'
      ? { failureReason: `Chapa reports the refund ${providerStatus}.` }
      : {}),
  };
}

/** The create call; idempotent on `reference` (our `re_…` id), which Chapa requires unique. */
async function submitRefund(
  ctx: ProviderContext,
  input: {
    readonly refundId: string;
    readonly payment: RefundInput['payment'];
    readonly amount: number;
    readonly currency: string;
    readonly reason?: RefundReason | undefined;
  },
): Promise<RefundResult> {
  assertProviderCurrency('chapa', currencies, input.currency);
  assertAmount(input.amount, input.currency);
  const chargeId = input.payment.chargeId;
  if (!chargeId) {
    // The path takes Chapa's own reference from verify, never our tx_ref.
    throw new Unprocessable(
      'refund_charge_unknown',
      `Chapa refunds need Chapa's own reference for payment ${input.payment.reference}, which was not recorded when it was paid.`,
    );
  }
  const form = new URLSearchParams();
  if (input.reason !== undefined) form.set('reason', reasonWords[input.reason]);
  // Always sent: Chapa refunds the whole transaction when the amount is left out.
  form.set('amount', toProviderAmount(input.amount, input.currency));
  form.set('reference', input.refundId);
  form.set('meta[paybridge_refund_id]', input.refundId);
  const { body } = await callProvider(ctx, {
    provider: 'chapa',
    method: 'POST',
    path: `/v1/refund/${encodeURIComponent(chargeId)}`,
    form,
  });
  const { data } = readAs('chapa', refundAnswer, body);
  if (echoesOtherRefund(data, input.refundId)) {
    throw new ProviderFailed('provider_bad_response', 'Chapa answered for another refund reference.', false);
  }
  // "Refund Initiated": pending until the refund verify reads `refunded`.
  return refundResult(data, input.currency, 'initiated');
}

async function refund(ctx: ProviderContext, input: RefundInput): Promise<RefundResult> {
  return submitRefund(ctx, input);
}

/** Chapa's answers for a ref_id it does not know: 404, or 400 saying so (unconfirmed wording). */
function refundNotFound(status: number, body: unknown): boolean {
  if (status === 404) return true;
  const said = providerMessage(body);
  return status === 400 && said !== undefined && /not\s*found|invalid refund/i.test(said);
}

async function lookupRefund(ctx: ProviderContext, input: RefundLookup): Promise<RefundResult | undefined> {
  assertProviderCurrency('chapa', currencies, input.currency);
  if (input.providerRefundId === undefined) {
    // Chapa documents no lookup by our reference. Its `reference` must be unique per business,
    // and re-submitting the create with the same reference answers the refund already made:
    // the sandbox does so, and Chapa is expected to (unconfirmed). When the first create never
    // arrived, this one makes the refund now, which is what the caller would do next anyway;
    // so undefined is never answered here.
    return submitRefund(ctx, input);
  }
  const { status, body } = await callProvider(
    ctx,
    {
      provider: 'chapa',
      method: 'GET',
      path: `/v1/refund/${encodeURIComponent(input.providerRefundId)}/verify`,
    },
    { accept: refundNotFound },
  );
  if (status < 200 || status >= 300) return undefined;
  const { data } = readAs('chapa', refundAnswer, body);
  const answeredId = [data.ref_id, data.ref, data.id].find((value) => value !== null && value !== undefined);
  if (
    echoesOtherRefund(data, input.refundId) ||
    (answeredId !== undefined && String(answeredId) !== input.providerRefundId)
  ) {
    throw new ProviderFailed(
      'provider_bad_response',
      `Chapa answered the verify of refund ${input.providerRefundId} with another refund.`,
      false,
    );
  }
  return refundResult({ ...data, ref_id: input.providerRefundId }, input.currency, 'initiated');
}

/**
 * True when the answer echoes a refund reference of ours (`re_…`) other than the one asked
 * about. Which `reference` Chapa echoes (ours, or its transaction's) is unconfirmed, so only a
 * value shaped like ours is compared.
 */
function echoesOtherRefund(data: z.infer<typeof refundData>, refundId: string): boolean {
  return (
    typeof data.reference === 'string' && data.reference.startsWith('re_') && data.reference !== refundId
  );
}

const hexSha256 = /^[0-9a-f]{64}$/i;

/**
 * `x-chapa-signature` is the hex HMAC-SHA256 of the raw body keyed by the
 * dashboard secret hash, and is the only header accepted. Chapa also sends
 * `chapa-signature`, which is HMAC(secret, secret): the same value on every
 * delivery, independent of the body, so anyone who saw one delivery could
 * attach it to any forged body. A request carrying only that header is treated
 * as unsigned.
 */
function verifyWebhookSignature(
  rawBody: Buffer,
  headers: Headers,
  credentials: ProviderCredentials,
  _now: Date,
): SignatureCheck {
  const secret = credentials.webhookSecret;
  if (!secret) return { ok: false, reason: 'no_secret' };
  const given = headerValue(headers, 'x-chapa-signature');
  if (given === undefined) return { ok: false, reason: 'missing_signature' };
  if (!hexSha256.test(given)) return { ok: false, reason: 'bad_signature' };
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const received = Buffer.from(given, 'hex');
  if (!sameBytes(received, expected)) return { ok: false, reason: 'bad_signature' };
  return { ok: true };
}

const chargeFields = z.object({
  tx_ref: z.string().check(z.minLength(1)),
  reference: z.string().check(z.minLength(1)),
  status: z.nullish(z.string()),
});

/** Chapa's payment events; the failure one really is spelled with a slash. */
const paymentEvents: Readonly<Record<string, ProviderStatus>> = {
  'charge.success': 'succeeded',
  'charge.failed/cancelled': 'failed',
};

/**
 * Chapa's transaction webhook is flat (`{"event", "tx_ref", "reference",
 * "status", …}`); older documentation nests the fields under `data`, which is
 * read too. Identity for de-duplication is Chapa's `reference` plus the event.
 */
function parseWebhook(rawBody: Buffer): ParsedWebhook {
  const body = parseWebhookJson('chapa', rawBody);
  const type = typeof body.event === 'string' ? body.event : 'unknown';
  if (type === refundEvent) return parseRefundEvent(isRecord(body.data) ? body.data : body, type);
  const fallback = paymentEvents[type];
  if (fallback === undefined) return { kind: 'ignored', type };
  const parsed = chargeFields.safeParse(isRecord(body.data) ? body.data : body);
  if (!parsed.success) {
    throw new ValidationFailed('invalid_webhook_body', `The Chapa ${type} event has no tx_ref or reference.`);
  }
  const { tx_ref, reference, status } = parsed.data;
  // On the failure event the status word tells a decline from a cancellation.
  const claimedStatus = type === 'charge.success' ? fallback : status ? failureOf(status) : fallback;
  return {
    kind: 'payment',
    eventId: `${reference}:${type}`,
    type,
    reference: tx_ref,
    providerReference: tx_ref,
    claimedStatus,
  };
}

/** Chapa's refund event: on the payment, in the flat transaction shape (PROVIDERS.md). */
const refundEvent = 'charge.refunded';

const refundFields = z.object({
  tx_ref: z.nullish(z.string()),
  reference: z.nullish(z.string()),
  /** Only where Chapa says which refund (unconfirmed: its samples do not). */
  ref_id: z.nullish(z.union([z.string(), z.number()])),
  updated_at: z.nullish(z.string()),
  meta: z.nullish(z.unknown()),
});

/**
 * `charge.refunded` names the payment (`tx_ref` ours, `reference` Chapa's) but not which of
 * its partial refunds changed: a hint to re-read the payment's open refunds. Where the body
 * carries a refund id (`ref_id`) or echoes the refund's meta (Chapa says refund `meta` is
 * "returned in the response and webhook"; unconfirmed), they are passed on too.
 *
 * Identity is Chapa's reference plus the event, as for payments, plus the refund id or else
 * `updated_at`: a second partial refund of the same payment is a new event, while a retry of
 * one delivery carries the same bytes and so the same id.
 */
function parseRefundEvent(fields: Record<string, unknown>, type: string): ParsedWebhook {
  const parsed = refundFields.safeParse(fields);
  const data = parsed.success ? parsed.data : undefined;
  const txRef = data?.tx_ref || undefined;
  const chapaReference = data?.reference || undefined;
  if (!data || (txRef === undefined && chapaReference === undefined)) {
    throw new ValidationFailed('invalid_webhook_body', `The Chapa ${type} event has no tx_ref or reference.`);
  }
  const refundIdField = data.ref_id ?? undefined;
  const providerRefundId =
    refundIdField === undefined || refundIdField === '' ? undefined : String(refundIdField);
  const meta = isRecord(data.meta) ? data.meta : {};
  const echoed = typeof meta.paybridge_refund_id === 'string' ? meta.paybridge_refund_id : undefined;
  const distinct = providerRefundId ?? echoed ?? data.updated_at ?? undefined;
  return {
    kind: 'refund',
    eventId: [chapaReference ?? txRef, type, ...(distinct === undefined ? [] : [distinct])].join(':'),
    type,
    reference: txRef,
    providerReference: chapaReference,
    providerRefundId,
    refundId: echoed,
  };
}

function failureOf(status: string): ProviderStatus {
  const mapped = statusOf(status);
  return mapped === 'cancelled' ? 'cancelled' : 'failed';
}

export const chapa: ProviderAdapter = {
  name: 'chapa',
  baseUrl: chapaBaseUrl,
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
