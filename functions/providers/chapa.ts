/**
 * Chapa adapter.
 *
 * Documentation:
 * - Accept payments (initialize): https://developer.chapa.co/docs/accept-payments/
 * - Verify payments: https://developer.chapa.co/integrations/verify-payments
 * - Webhooks: https://developer.chapa.co/integrations/webhooks
 * - Signature headers as Chapa's own tooling produces them:
 *   Chapa-Et/chapa-cli `chapa_cli/webhook.py`, `chapa_cli/webhook_verify.py`
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
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProviderFailed, ValidationFailed } from '#core/errors';
import { assertAmount, decimalToMinor, minorToDecimalString } from '#core/money';
import {
  assertProviderCurrency,
  callProvider,
  headerValue,
  isRecord,
  parseWebhookJson,
  readAs,
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
  return { status: statusOf(data.status), amount, currency, providerStatus: data.status };
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
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
    return { ok: false, reason: 'bad_signature' };
  }
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

function failureOf(status: string): ProviderStatus {
  const mapped = statusOf(status);
  return mapped === 'cancelled' ? 'cancelled' : 'failed';
}

export const chapa: ProviderAdapter = {
  name: 'chapa',
  currencies,
  toProviderAmount,
  fromProviderAmount,
  initialize,
  verify,
  verifyWebhookSignature,
  parseWebhook,
};
