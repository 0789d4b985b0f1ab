/**
 * Flutterwave (v3) adapter.
 *
 * Documentation:
 * - Standard checkout (`POST /v3/payments`): https://developer.flutterwave.com/docs/collecting-payments/standard
 * - Verify by reference: https://developer.flutterwave.com/reference/verify-transaction-with-tx_ref
 * - Webhooks: https://developer.flutterwave.com/docs/webhooks
 * - Currencies: https://developer.flutterwave.com/docs/collecting-payments/supported-currencies
 * - Signature form (base64 HMAC-SHA256 of the raw body, keyed by the secret hash):
 *   toneflix/flutterwave-4-nodejs-sdk `src/utilities/WebhookValidator.ts`
 *
 * Amounts are major units with decimals allowed (NGN 107.5); sent as a JSON
 * number only when that number reads back to the exact same minor units.
 *
 * Currencies: NGN, GHS, KES, ZAR, UGX, RWF, XOF, XAF, TZS, USD, EUR, GBP are
 * in Flutterwave's collection list; which of them an account may charge in
 * depends on its country and approvals. *Unconfirmed*: ETB and EGP (listed on
 * some pages, not others) are left out until an account proves them.
 */
import * as z from 'zod/mini';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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
  ProviderStatus,
  SignatureCheck,
  VerifyInput,
  VerifyResult,
} from './types.ts';

/** Flutterwave's production API. */
export const flutterwaveBaseUrl = 'https://api.flutterwave.com';

const currencies = [
  'NGN',
  'GHS',
  'KES',
  'ZAR',
  'UGX',
  'RWF',
  'XOF',
  'XAF',
  'TZS',
  'USD',
  'EUR',
  'GBP',
] as const;

const initializeAnswer = z.object({
  status: z.literal('success'),
  data: z.object({ link: z.string() }),
});

const transaction = z.object({
  id: z.optional(z.union([z.number(), z.string()])),
  tx_ref: z.string(),
  status: z.string(),
  amount: z.nullish(z.union([z.number(), z.string()])),
  currency: z.nullish(z.string()),
});

const verifyAnswer = z.object({ status: z.literal('success'), data: transaction });

function statusOf(word: string): ProviderStatus {
  switch (word.toLowerCase()) {
    case 'successful':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'pending';
  }
}

function toProviderAmount(amount: number, currency: string): number {
  assertProviderCurrency('flutterwave', currencies, currency);
  const decimal = minorToDecimalString(amount, currency);
  const wire = Number(decimal);
  // A JS number keeps ~15 significant digits; refuse an amount it cannot carry exactly.
  if (decimalToMinor(wire, currency) !== amount) {
    throw new ValidationFailed(
      'amount_too_large',
      `Amount ${decimal} ${currency} is too large for Flutterwave.`,
      'amount',
    );
  }
  return wire;
}

function fromProviderAmount(amount: number | string, currency: string): number {
  assertProviderCurrency('flutterwave', currencies, currency);
  return decimalToMinor(amount, currency);
}

async function initialize(ctx: ProviderContext, input: InitializeInput): Promise<InitializeResult> {
  assertProviderCurrency('flutterwave', currencies, input.currency);
  assertAmount(input.amount, input.currency);
  const amount = toProviderAmount(input.amount, input.currency);
  if (input.redirectUrl === undefined) {
    throw new Unprocessable(
      'redirect_url_required',
      'Flutterwave needs a redirect URL for its checkout.',
      'redirectUrl',
    );
  }
  const { body } = await callProvider(ctx, {
    provider: 'flutterwave',
    method: 'POST',
    path: '/v3/payments',
    json: {
      tx_ref: input.reference,
      amount,
      currency: input.currency,
      redirect_url: input.redirectUrl,
      customer: {
        email: input.customer.email,
        ...(input.customer.name === undefined ? {} : { name: input.customer.name }),
        ...(input.customer.phone === undefined ? {} : { phonenumber: input.customer.phone }),
      },
      ...(input.description === undefined ? {} : { customizations: { description: input.description } }),
      meta: { ...input.metadata, paybridge_reference: input.reference },
      // Minutes the checkout stays payable, at most 1440 (Flutterwave Standard); our own expiry still governs.
      ...(input.expiresAt === undefined
        ? {}
        : {
            session_duration: Math.min(
              1440,
              Math.max(1, Math.ceil((input.expiresAt.getTime() - Date.now()) / 60_000)),
            ),
          }),
    },
  });
  const answer = readAs('flutterwave', initializeAnswer, body);
  return { providerReference: input.reference, checkoutUrl: answer.data.link };
}

/**
 * Flutterwave creates its transaction only when the customer attempts to pay,
 * so "No transaction was found" is the normal answer before that, and it comes
 * either as HTTP 200 with `status: "error"` or as a 4xx. Both mean pending: our
 * payment expiry, not Flutterwave, closes an unpaid checkout.
 */
function isNotFound(body: unknown): boolean {
  if (!isRecord(body) || body.status !== 'error') return false;
  return /no transaction/i.test(providerMessage(body) ?? '');
}

async function verify(ctx: ProviderContext, input: VerifyInput): Promise<VerifyResult> {
  const { body } = await callProvider(
    ctx,
    {
      provider: 'flutterwave',
      method: 'GET',
      path: '/v3/transactions/verify_by_reference',
      query: { tx_ref: input.reference },
    },
    { accept: (status, answer) => status >= 400 && status < 500 && isNotFound(answer) },
  );
  if (isNotFound(body)) {
    return { status: 'pending', amount: undefined, currency: undefined, providerStatus: 'not_found' };
  }
  if (isRecord(body) && body.status === 'error') {
    const said = providerMessage(body) ?? 'no message';
    throw new ProviderFailed('provider_rejected', `Flutterwave refused the verification: ${said}`, false);
  }
  const { data } = readAs('flutterwave', verifyAnswer, body);
  if (data.tx_ref !== input.reference) {
    throw new ProviderFailed('provider_bad_response', 'Flutterwave verified a different tx_ref.', false);
  }
  const currency = data.currency ? data.currency.toUpperCase() : undefined;
  return {
    status: statusOf(data.status),
    amount: reportedAmount('Flutterwave', data.amount, currency, currencies, fromProviderAmount),
    currency,
    providerStatus: data.status,
  };
}

const base64Sha256 = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Two generations of Flutterwave signing, both keyed by the dashboard "secret
 * hash" (`credentials.webhookSecret`):
 *
 * - `flutterwave-signature`: base64 HMAC-SHA256 of the raw body. When present it
 *   decides alone: it binds the body, so a mismatch is a forgery or a bad key.
 * - `verif-hash` (legacy): the secret hash itself, the same on every delivery.
 *   It proves only that the sender knows the secret, binds nothing about the
 *   body, and anyone who once saw a delivery can replay it on any body. It is
 *   accepted (compared timing-safely) because older accounts send nothing else,
 *   and reported as `scheme: 'static'`: the verify worker refuses it from an
 *   endpoint once seen sending `flutterwave-signature`, and in every case settles
 *   only from the verify API, never from the body's claim.
 */
function verifyWebhookSignature(
  rawBody: Buffer,
  headers: Headers,
  credentials: ProviderCredentials,
  _now: Date,
): SignatureCheck {
  const secret = credentials.webhookSecret;
  if (!secret) return { ok: false, reason: 'no_secret' };
  const signature = headerValue(headers, 'flutterwave-signature');
  if (signature !== undefined) {
    if (!base64Sha256.test(signature)) return { ok: false, reason: 'bad_signature' };
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    const received = Buffer.from(signature, 'base64');
    if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
      return { ok: false, reason: 'bad_signature' };
    }
    return { ok: true, scheme: 'body' };
  }
  const legacy = headerValue(headers, 'verif-hash');
  if (legacy === undefined) return { ok: false, reason: 'missing_signature' };
  // Hash both sides so the comparison takes the same time whatever the lengths.
  const want = createHash('sha256').update(secret, 'utf8').digest();
  const got = createHash('sha256').update(legacy, 'utf8').digest();
  return timingSafeEqual(want, got) ? { ok: true, scheme: 'static' } : { ok: false, reason: 'bad_signature' };
}

const chargeCompleted = z.object({
  event: z.literal('charge.completed'),
  data: z.object({
    id: z.union([z.number(), z.string()]),
    tx_ref: z.string().check(z.minLength(1)),
    status: z.string(),
  }),
});

/** The flat legacy shape: `{"id", "txRef", "status", "event.type": "CARD_TRANSACTION", …}`. */
const legacyCharge = z.object({
  id: z.union([z.number(), z.string()]),
  txRef: z.string().check(z.minLength(1)),
  status: z.string(),
});

/**
 * `charge.completed` fires for successes and failures alike: the outcome is in
 * `data.status`. The legacy flat shape names its kind in `"event.type"`
 * (`CARD_TRANSACTION`, `BANK_TRANSFER_TRANSACTION`, `MPESA_TRANSACTION`, …).
 * Identity for de-duplication is the transaction id plus its status, so a
 * pending → successful pair are two events, a re-delivery is one.
 */
function parseWebhook(rawBody: Buffer): ParsedWebhook {
  const body = parseWebhookJson('flutterwave', rawBody);
  if (typeof body.event === 'string') {
    const type = body.event;
    if (type !== 'charge.completed') return { kind: 'ignored', type };
    const parsed = chargeCompleted.safeParse(body);
    if (!parsed.success) {
      throw new ValidationFailed(
        'invalid_webhook_body',
        'The Flutterwave charge.completed event has no data.id, data.tx_ref or data.status.',
      );
    }
    const { id, tx_ref, status } = parsed.data.data;
    return payment(type, String(id), tx_ref, status);
  }
  const legacyType = body['event.type'];
  if (typeof legacyType === 'string') {
    if (!legacyType.endsWith('_TRANSACTION')) return { kind: 'ignored', type: legacyType };
    const parsed = legacyCharge.safeParse(body);
    if (!parsed.success) {
      throw new ValidationFailed(
        'invalid_webhook_body',
        `The legacy Flutterwave ${legacyType} event has no id, txRef or status.`,
      );
    }
    return payment(legacyType, String(parsed.data.id), parsed.data.txRef, parsed.data.status);
  }
  return { kind: 'ignored', type: 'unknown' };
}

function payment(type: string, id: string, reference: string, status: string): ParsedWebhook {
  return {
    kind: 'payment',
    eventId: `${id}:${status.toLowerCase()}`,
    type,
    reference,
    providerReference: reference,
    claimedStatus: statusOf(status),
  };
}

export const flutterwave: ProviderAdapter = {
  name: 'flutterwave',
  currencies,
  toProviderAmount,
  fromProviderAmount,
  initialize,
  verify,
  verifyWebhookSignature,
  parseWebhook,
};
