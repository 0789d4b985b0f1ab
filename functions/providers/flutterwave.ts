/**
 * Flutterwave (v3) adapter.
 *
 * Documentation:
 * - Standard checkout (`POST /v3/payments`): https://developer.flutterwave.com/docs/collecting-payments/standard
 * - Verify by reference: https://developer.flutterwave.com/reference/verify-transaction-with-tx_ref
 * - Webhooks: https://developer.flutterwave.com/docs/webhooks
 * - Currencies: https://developer.flutterwave.com/docs/collecting-payments/supported-currencies
 * - Refunds (`POST /v3/transactions/{id}/refund`, `GET /v3/refunds/{id}`, `GET /v3/refunds`):
 *   https://developer.flutterwave.com/docs/payment-operations/refunds,
 *   https://developer.flutterwave.com/reference/transaction-refund; the official Node SDK
 *   (Flutterwave/Node-v3 `services/transactions/rave.refund.ts`) requires `id` and `amount`.
 * - Timeouts (a ~28 s gateway timeout answers 503 and does not mean the call failed):
 *   https://developer.flutterwave.com/docs/handling-error-timeouts
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
import { createHash, createHmac } from 'node:crypto';
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
  RefundResult,
  RefundTarget,
  SignatureCheck,
  VerifyInput,
  VerifyResult,
} from '#core/provider-adapter';

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
  app_fee: z.nullish(z.union([z.number(), z.string()])),
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
  const status = statusOf(data.status);
  const fee = feeOf(data.app_fee, currency);
  return {
    status,
    amount: reportedAmount('flutterwave', data.amount, currency, currencies, fromProviderAmount),
    currency,
    providerStatus: data.status,
    // The refund path takes Flutterwave's numeric transaction id, not our tx_ref.
    ...(status === 'succeeded' && data.id !== undefined ? { chargeId: String(data.id) } : {}),
    ...(fee === undefined ? {} : { fee }),
  };
}

/**
 * `app_fee` in minor units, or undefined when absent or not exact in the currency's unit
 * (Flutterwave's fee sometimes carries more decimals than the currency has): a fee we cannot
 * read exactly is left unreported rather than failing the verification of a paid charge.
 */
function feeOf(appFee: number | string | null | undefined, currency: string | undefined): number | undefined {
  if (appFee === null || appFee === undefined || currency === undefined) return undefined;
  if (!(currencies as readonly string[]).includes(currency)) return undefined;
  try {
    return fromProviderAmount(appFee, currency);
  } catch {
    return undefined;
  }
}

/**
 * The refund object, as the create answer, `GET /v3/refunds/{id}` and `GET /v3/refunds` carry
 * it: `{id, account_id, tx_id, flw_ref, wallet_id, amount_refunded, status, destination, meta,
 * created_at}` in the documented create sample. *Unconfirmed*: whether the refund object echoes
 * the `comments` we sent (we read `comments` or `comment` when present).
 */
const refundObject = z.object({
  id: z.union([z.number(), z.string()]),
  tx_id: z.nullish(z.union([z.number(), z.string()])),
  amount_refunded: z.nullish(z.union([z.number(), z.string()])),
  status: z.string(),
  comments: z.nullish(z.string()),
  comment: z.nullish(z.string()),
});

type RefundObject = z.infer<typeof refundObject>;

const refundAnswer = z.object({ status: z.literal('success'), data: refundObject });

const refundListAnswer = z.object({
  status: z.literal('success'),
  meta: z.nullish(
    z.object({
      page_info: z.nullish(
        z.object({
          current_page: z.nullish(z.number()),
          total_pages: z.nullish(z.number()),
        }),
      ),
    }),
  ),
  data: z.array(refundObject),
});

/**
 * v3 documents one refund status word, `completed`: accepted and taken from the merchant's
 * balance (the customer sees it 3–15 working days later). Anything else is pending and is
 * synced again. *Unconfirmed*: `failed` is not documented for v3 (v4 has `refund.failed`);
 * it is read as failed because no other reading of that word is plausible.
 */
function refundStatusOf(word: string): ProviderRefundStatus {
  switch (word.toLowerCase()) {
    case 'completed':
      return 'succeeded';
    case 'failed':
      return 'failed';
    default:
      return 'pending';
  }
}

/** Flutterwave's numeric transaction id from verify (`VerifyResult.chargeId`); refuses without it. */
function chargeIdOf(payment: RefundTarget): string {
  const chargeId = payment.chargeId;
  if (chargeId === undefined || !/^\d{1,20}$/.test(chargeId)) {
    throw new ValidationFailed(
      'charge_id_required',
      'A Flutterwave refund needs the numeric transaction id from verify (data.id); this payment has none.',
      'chargeId',
    );
  }
  return chargeId;
}

function refundResult(data: RefundObject, currency: string): RefundResult {
  const status = refundStatusOf(data.status);
  return {
    status,
    providerRefundId: String(data.id),
    amount: reportedAmount('flutterwave', data.amount_refunded, currency, currencies, fromProviderAmount),
    providerStatus: data.status,
    ...(status === 'failed' ? { failureReason: `Flutterwave reports the refund ${data.status}.` } : {}),
  };
}

/** A 2xx with `status: "error"` is Flutterwave refusing: not retryable, in its own words. */
function refuseOnErrorBody(body: unknown, what: string): void {
  if (isRecord(body) && body.status === 'error') {
    const said = providerMessage(body) ?? 'no message';
    throw new ProviderFailed('provider_rejected', `Flutterwave refused the ${what}: ${said}`, false);
  }
}

/**
 * `POST /v3/transactions/{id}/refund` with `{amount (major units), comments: <our refund id>}`.
 * Flutterwave v3 has no idempotency key and no unique refund reference, so our id travels in
 * `comments` only: a repeated create makes a second refund. That is why the caller must look a
 * refund up (lookupRefund) before submitting it again after a lost answer. A 503 after ~28 s
 * is Flutterwave's gateway timeout and does not mean the refund failed: callProvider makes it
 * a retryable ProviderFailed (outcome unknown), and POSTs are never retried here.
 */
async function refund(ctx: ProviderContext, input: RefundInput): Promise<RefundResult> {
  assertProviderCurrency('flutterwave', currencies, input.currency);
  assertAmount(input.amount, input.currency);
  const chargeId = chargeIdOf(input.payment);
  const amount = toProviderAmount(input.amount, input.currency);
  const { body } = await callProvider(ctx, {
    provider: 'flutterwave',
    method: 'POST',
    path: `/v3/transactions/${encodeURIComponent(chargeId)}/refund`,
    json: { amount, comments: input.refundId },
  });
  refuseOnErrorBody(body, 'refund');
  const { data } = readAs('flutterwave', refundAnswer, body);
  if (data.tx_id !== null && data.tx_id !== undefined && String(data.tx_id) !== chargeId) {
    throw new ProviderFailed('provider_bad_response', 'Flutterwave refunded a different transaction.', false);
  }
  return refundResult(data, input.currency);
}

/** "Not found" for a refund id, as a 4xx or a 200 with `status: "error"` (wording unconfirmed). */
function isRefundNotFound(status: number, body: unknown): boolean {
  if (status === 404) return true;
  if (!isRecord(body) || body.status !== 'error') return false;
  return /not\s*found|no refund/i.test(providerMessage(body) ?? '');
}

/** How many pages of `GET /v3/refunds` (newest first) a search by our id reads before giving up. */
const maxRefundPages = 10;

/**
 * By Flutterwave's refund id: `GET /v3/refunds/{id}` (not under transactions). Without it (the
 * create's answer was lost), `GET /v3/refunds` page by page, newest first, for the refund on
 * this transaction (`tx_id`) whose `comments` is our refund id.
 *
 * *Unconfirmed*: which filters `GET /v3/refunds` takes (dates `from`/`to` and `page` are the
 * ones its sibling list endpoints take; we send `page` only, since we do not know when the
 * lost create ran), and whether list items echo `comments`. Where an item on this transaction
 * has no comments field at all, a refund of the same amount is taken as ours: reporting it
 * is safer than answering "absent", which would let the caller refund a second time.
 */
async function lookupRefund(ctx: ProviderContext, input: RefundLookup): Promise<RefundResult | undefined> {
  assertProviderCurrency('flutterwave', currencies, input.currency);
  if (input.providerRefundId !== undefined) {
    const { status, body } = await callProvider(
      ctx,
      {
        provider: 'flutterwave',
        method: 'GET',
        path: `/v3/refunds/${encodeURIComponent(input.providerRefundId)}`,
      },
      { accept: (code, answer) => code >= 400 && code < 500 && isRefundNotFound(code, answer) },
    );
    if (isRefundNotFound(status, body)) return undefined;
    refuseOnErrorBody(body, 'refund lookup');
    const { data } = readAs('flutterwave', refundAnswer, body);
    const chargeId = input.payment.chargeId;
    if (
      chargeId !== undefined &&
      data.tx_id !== null &&
      data.tx_id !== undefined &&
      String(data.tx_id) !== chargeId
    ) {
      throw new ProviderFailed(
        'provider_bad_response',
        `Flutterwave refund ${input.providerRefundId} belongs to another transaction.`,
        false,
      );
    }
    return refundResult(data, input.currency);
  }

  // Without a transaction id no refund can have been created for this payment.
  const chargeId = input.payment.chargeId;
  if (chargeId === undefined) return undefined;
  let fallback: RefundObject | undefined;
  for (let page = 1; page <= maxRefundPages; page += 1) {
    const { body } = await callProvider(ctx, {
      provider: 'flutterwave',
      method: 'GET',
      path: '/v3/refunds',
      query: { page: String(page) },
    });
    refuseOnErrorBody(body, 'refund list');
    const answer = readAs('flutterwave', refundListAnswer, body);
    for (const item of answer.data) {
      if (item.tx_id === null || item.tx_id === undefined || String(item.tx_id) !== chargeId) continue;
      const note = item.comments ?? item.comment;
      if (note === input.refundId) return refundResult(item, input.currency);
      if ((note === null || note === undefined) && fallback === undefined && sameAmount(item, input)) {
        fallback = item;
      }
    }
    const info = answer.meta?.page_info;
    const lastPage = info?.total_pages ?? page;
    if (answer.data.length === 0 || page >= lastPage) {
      return fallback === undefined ? undefined : refundResult(fallback, input.currency);
    }
  }
  if (fallback !== undefined) return refundResult(fallback, input.currency);
  throw new ProviderFailed(
    'refund_lookup_inconclusive',
    `Flutterwave lists more than ${maxRefundPages} pages of refunds; refund ${input.refundId} was not among the newest.`,
    false,
  );
}

function sameAmount(item: RefundObject, input: RefundLookup): boolean {
  if (item.amount_refunded === null || item.amount_refunded === undefined) return false;
  try {
    return fromProviderAmount(item.amount_refunded, input.currency) === input.amount;
  } catch {
    return false;
  }
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
    if (!sameBytes(received, expected)) return { ok: false, reason: 'bad_signature' };
    return { ok: true, scheme: 'body' };
  }
  const legacy = headerValue(headers, 'verif-hash');
  if (legacy === undefined) return { ok: false, reason: 'missing_signature' };
  // Hash both sides so the comparison takes the same time whatever the lengths.
  const want = createHash('sha256').update(secret, 'utf8').digest();
  const got = createHash('sha256').update(legacy, 'utf8').digest();
  return sameBytes(want, got) ? { ok: true, scheme: 'static' } : { ok: false, reason: 'bad_signature' };
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
/*
 * Refunds: Flutterwave v3 documents no refund webhook (v4 has `refund.completed` /
 * `refund.failed`), so refund-looking bodies fall through to `ignored` and the sweeper polls
 * open refunds through lookupRefund.
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
  baseUrl: flutterwaveBaseUrl,
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
