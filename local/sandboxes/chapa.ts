/**
 * Chapa face: `POST /v1/transaction/initialize`, `GET /v1/transaction/verify/:tx_ref`, the hosted
 * checkout, the flat `charge.success` / `charge.failed/cancelled` webhook and the callback_url GET.
 *
 * Sources (checked when this was written):
 * - Initialize fields (amount as a major-unit string, currency, email, first_name, last_name, tx_ref,
 *   callback_url, return_url, customization) and answers: https://developer.chapa.co/integrations/accept-payments
 *   and the response table at https://developer.chapa.co/integrations/responses — `Hosted Link` with
 *   `data.checkout_url`; `401 "Authorization required"` / `"Invalid API Key or User doesn't exist"`;
 *   `400 "Transaction reference has been used before"`, `"Invalid currency, currency is not supported"`,
 *   `"Incorrect header settings Please check if content-type is present and set to application/json"`,
 *   `Required Attribute: ["validation.required"]` (amount, currency, tx_ref); every error has
 *   `status:"failed"` and `data:null`.
 * - Verify: https://developer.chapa.co/integrations/verify-payments; response fields (first_name,
 *   last_name, email, currency, amount, charge, mode, method, type, status, reference, tx_ref,
 *   customization, meta, created_at, updated_at) as typed by fireayehu/chapa-nodejs
 *   `src/interfaces/verify.interface.ts`.
 * - Webhooks: https://developer.chapa.co/integrations/webhooks; flat transaction payload and event names
 *   `charge.success` / `charge.failed/cancelled` (literal slash) as typed by Chapa SDKs;
 *   `x-chapa-signature` = hex HMAC-SHA256 of the raw body and `Chapa-Signature` = hex HMAC-SHA256 of the
 *   secret itself, both keyed by the dashboard secret hash (Chapa-Et/chapa-cli `chapa_cli/webhook.py`).
 *
 * - Refunds: https://developer.chapa.co/refund — `POST /v1/refund/{chapa reference}` (the path takes
 *   Chapa's own `reference`, not the merchant's tx_ref) with form or JSON `reason?`, `amount?` (major-unit
 *   string; the whole transaction when absent), `reference?` (unique within the business), `meta?`,
 *   answered "Refund Initiated" with `data.ref_id`; `GET /v1/refund/{ref_id}/verify` answers "Refund
 *   verified successfully" with `data.amount` (a number in the sample), `data.currency`, `data.ref_id`.
 *   Refunds go `initiated` → `refunded`; Chapa sends `charge.refunded` on the payment (PROVIDERS.md).
 *
 * Not confirmed, chosen here: verify of an unknown tx_ref answers 404 "Invalid transaction or
 * Transaction not found"; verify's `amount` is a decimal string like the webhook's (samples show
 * both strings and numbers); the failed webhook's `status` is `failed/cancelled` as the SDK types say;
 * Chapa documents no retry schedule, so the sandbox's default schedule applies; callback_url receives
 * a GET with `trx_ref`, `ref_id` and `status` after a successful payment (as widely reported).
 * Refunds: a repeated `reference` answers the refund already made (Chapa may refuse it instead);
 * the refusal texts for an unpaid transaction, an amount over what is left, a reference used on
 * another transaction and an unknown ref_id; the failure word `failed` (no webhook is sent for
 * it); the create and verify answers' fields beyond `ref_id`, `amount` and `currency`; the
 * `charge.refunded` body, taken to be the flat transaction payload with `status: "refunded"`
 * and `updated_at` the refund's time, naming no refund. Chapa has no "needs action" state: the
 * `action` knob holds a refund like `hold`.
 */
import {
  type ApiRequest,
  type ApiResponse,
  type CheckoutView,
  type Completion,
  dispatch,
  type Face,
  type FaceContext,
  feeOf,
  formatMajor,
  hmacHex,
  isEmail,
  isHttpUrl,
  isRecord,
  Ledger,
  type LedgerEntry,
  majorNumber,
  mediaType,
  type Outcome,
  type Paid,
  type Params,
  parseJsonObject,
  parseJsonOrForm,
  parseMajor,
  randomId,
  reply,
  route,
  text,
  withQuery,
} from './common.ts';

interface ChapaTransaction extends LedgerEntry {
  /** Chapa's own reference (`reference`); the merchant's `tx_ref` is the ledger reference. */
  readonly chapaReference: string;
  /** Minor units; the API speaks major-unit decimal strings. What was paid, once paid. */
  amount: number;
  currency: string;
  readonly email: string | null;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly phone: string | null;
  readonly callbackUrl: string | undefined;
  readonly returnUrl: string | undefined;
  readonly customization: {
    readonly title: string | null;
    readonly description: string | null;
    readonly logo: string | null;
  };
  readonly meta: unknown;
  readonly createdAt: Date;
  updatedAt: Date;
  status: 'pending' | 'success' | 'failed';
}

interface ChapaRefund {
  /** Chapa's id for the refund (`ref_id`). */
  readonly refId: string;
  readonly secretKey: string;
  readonly transaction: ChapaTransaction;
  /** The merchant's unique `reference`, when it gave one. */
  readonly reference: string | null;
  /** Minor units of the transaction's currency. */
  readonly amount: number;
  readonly reason: string | null;
  readonly meta: unknown;
  readonly createdAt: Date;
  updatedAt: Date;
  status: 'initiated' | 'refunded' | 'failed';
}

const currencies = new Set(['ETB', 'USD']);

const failure = (status: number, message: unknown): ApiResponse =>
  reply(status, { message, status: 'failed', data: null });
const required = (field: string): ApiResponse => failure(400, { [field]: ['validation.required'] });

export function createChapaFace(context: FaceContext): Face {
  const ledger = new Ledger<ChapaTransaction>();

  function initialize(request: ApiRequest): ApiResponse {
    if (mediaType(request.headers) !== 'application/json') {
      return failure(
        400,
        'Incorrect header settings Please check if content-type is present and set to application/json',
      );
    }
    const body = parseJsonObject(request.body);
    if (!body) return failure(400, 'Invalid JSON body');
    if (body.amount === undefined || body.amount === '') return required('amount');
    const currency = text(body.currency)?.toUpperCase();
    if (!currency) return required('currency');
    const txRef = text(body.tx_ref);
    if (!txRef) return required('tx_ref');
    if (!currencies.has(currency)) return failure(400, 'Invalid currency, currency is not supported');
    const amount = parseMajor(body.amount, currency);
    if (amount === undefined) return failure(400, { amount: ['validation.numeric'] });
    const email = text(body.email) ?? null;
    if (email !== null && !isEmail(email)) return failure(400, { email: ['validation.email'] });
    for (const field of ['callback_url', 'return_url'] as const) {
      const url = text(body[field]);
      if (url !== undefined && !isHttpUrl(url)) return failure(400, { [field]: ['validation.url'] });
    }
    if (ledger.get(request.secretKey, txRef))
      return failure(400, 'Transaction reference has been used before');
    const customization = isRecord(body.customization) ? body.customization : {};
    const now = new Date();
    const transaction: ChapaTransaction = {
      secretKey: request.secretKey,
      reference: txRef,
      checkoutId: randomId(24),
      chapaReference: randomId(12),
      amount,
      currency,
      email,
      firstName: text(body.first_name) ?? null,
      lastName: text(body.last_name) ?? null,
      phone: text(body.phone_number) ?? null,
      callbackUrl: text(body.callback_url),
      returnUrl: text(body.return_url),
      customization: {
        title: text(customization.title) ?? null,
        description: text(customization.description) ?? null,
        logo: text(customization.logo) ?? null,
      },
      meta: isRecord(body.meta) ? body.meta : null,
      createdAt: now,
      updatedAt: now,
      status: 'pending',
    };
    ledger.add(transaction);
    return reply(200, {
      message: 'Hosted Link',
      status: 'success',
      data: { checkout_url: `${context.baseUrl()}/checkout/${transaction.checkoutId}` },
    });
  }

  function verify(request: ApiRequest, params: Params): ApiResponse {
    const transaction = ledger.get(request.secretKey, params.txRef ?? '');
    if (!transaction) return failure(404, 'Invalid transaction or Transaction not found');
    return reply(200, {
      message: 'Payment details',
      status: 'success',
      data: {
        first_name: transaction.firstName,
        last_name: transaction.lastName,
        email: transaction.email,
        currency: transaction.currency,
        amount: formatMajor(transaction.amount, transaction.currency),
        charge: formatMajor(fee(transaction), transaction.currency),
        mode: 'test',
        method: transaction.status === 'pending' ? null : 'test',
        type: 'API',
        status: transaction.status,
        reference: transaction.chapaReference,
        tx_ref: transaction.reference,
        customization: transaction.customization,
        meta: transaction.meta,
        created_at: transaction.createdAt.toISOString(),
        updated_at: transaction.updatedAt.toISOString(),
      },
    });
  }

  /** Every refund by `ref_id`; the control API settles by it. */
  const refunds = new Map<string, ChapaRefund>();
  /** Timers finishing queued refunds (`refundDelayMs`), cleared on reset. */
  const refundTimers = new Map<string, NodeJS.Timeout>();

  const refundsOf = (transaction: ChapaTransaction): ChapaRefund[] =>
    [...refunds.values()].filter((r) => r.transaction === transaction);

  function refundFields(refund: ChapaRefund) {
    return {
      ref_id: refund.refId,
      reference: refund.reference,
      tx_ref: refund.transaction.reference,
      currency: refund.transaction.currency,
      status: refund.status,
      reason: refund.reason,
      meta: refund.meta,
      created_at: refund.createdAt.toISOString(),
      updated_at: refund.updatedAt.toISOString(),
    };
  }

  const refundInitiated = (refund: ChapaRefund): ApiResponse =>
    reply(200, {
      message: 'Refund Initiated',
      status: 'success',
      data: {
        ...refundFields(refund),
        amount: formatMajor(refund.amount, refund.transaction.currency),
      },
    });

  function createRefund(request: ApiRequest, params: Params): ApiResponse {
    const body = parseJsonOrForm(request.headers, request.body);
    if (!body) return failure(400, 'Invalid request body');
    // The path takes Chapa's own reference; the merchant's tx_ref is not found here.
    const [transaction] = ledger.filter(
      (t) => t.secretKey === request.secretKey && t.chapaReference === params.chapaReference,
    );
    if (!transaction) return failure(404, 'Invalid transaction or Transaction not found');
    const reference = text(body.reference) ?? null;
    if (reference !== null) {
      const earlier = [...refunds.values()].find(
        (r) => r.secretKey === request.secretKey && r.reference === reference,
      );
      if (earlier && earlier.transaction !== transaction) {
        return failure(400, 'Refund reference has been used before');
      }
      // The same unique reference again: the refund already made, not a second one.
      if (earlier) return refundInitiated(earlier);
    }
    if (transaction.status !== 'success') return failure(400, 'Transaction is not eligible for refund');
    let amount = transaction.amount;
    if (body.amount !== undefined && body.amount !== '') {
      const asked = parseMajor(body.amount, transaction.currency);
      if (asked === undefined) return failure(400, { amount: ['validation.numeric'] });
      amount = asked;
    }
    const refunded = refundsOf(transaction)
      .filter((r) => r.status !== 'failed')
      .reduce((sum, r) => sum + r.amount, 0);
    if (amount > transaction.amount - refunded) {
      return failure(
        400,
        `The refund amount exceeds the refundable amount of ${formatMajor(transaction.amount - refunded, transaction.currency)} ${transaction.currency}`,
      );
    }
    const now = new Date();
    const refund: ChapaRefund = {
      refId: randomId(12),
      secretKey: request.secretKey,
      transaction,
      reference,
      amount,
      reason: text(body.reason) ?? null,
      meta: isRecord(body.meta) ? body.meta : null,
      createdAt: now,
      updatedAt: now,
      status: 'initiated',
    };
    refunds.set(refund.refId, refund);
    const knobs = context.knobs();
    // `hold` stays initiated until the control API settles it; Chapa has no needs-action state,
    // so `action` holds too.
    if (knobs.refundOutcome === 'succeed' || knobs.refundOutcome === 'fail') {
      const outcome = knobs.refundOutcome === 'succeed' ? 'refunded' : 'failed';
      const timer = setTimeout(() => {
        refundTimers.delete(refund.refId);
        finishRefund(refund, outcome);
      }, knobs.refundDelayMs);
      refundTimers.set(refund.refId, timer);
    }
    return refundInitiated(refund);
  }

  function verifyRefund(request: ApiRequest, params: Params): ApiResponse {
    const refund = refunds.get(params.refId ?? '');
    if (!refund || refund.secretKey !== request.secretKey) return failure(404, 'Refund not found');
    return reply(200, {
      message: 'Refund verified successfully',
      status: 'success',
      data: {
        ...refundFields(refund),
        amount: majorNumber(refund.amount, refund.transaction.currency),
      },
    });
  }

  /** The refund ends; a refunded one sends `charge.refunded` on its payment. */
  function finishRefund(refund: ChapaRefund, status: 'refunded' | 'failed'): void {
    const timer = refundTimers.get(refund.refId);
    if (timer) clearTimeout(timer);
    refundTimers.delete(refund.refId);
    refund.status = status;
    refund.updatedAt = new Date();
    if (status === 'refunded') {
      sendWebhook(refund.transaction, {
        event: 'charge.refunded',
        status: 'refunded',
        failureReason: null,
        updatedAt: refund.updatedAt,
      });
    }
  }

  function settleRefund(refId: string, outcome: 'succeeded' | 'failed'): Completion | undefined {
    const refund = refunds.get(refId);
    if (!refund) return undefined;
    if (refund.status !== 'initiated') {
      return { ok: false, status: refund.status, message: 'This refund has already been completed.' };
    }
    finishRefund(refund, outcome === 'succeeded' ? 'refunded' : 'failed');
    return { ok: true, status: refund.status, redirectUrl: undefined };
  }

  const routes = [
    route('POST', '/v1/transaction/initialize', initialize),
    route('GET', '/v1/transaction/verify/:txRef', verify),
    route('POST', '/v1/refund/:chapaReference', createRefund),
    route('GET', '/v1/refund/:refId/verify', verifyRefund),
  ];

  function complete(checkoutId: string, outcome: Outcome, paid?: Paid): Completion | undefined {
    const transaction = ledger.checkout(checkoutId);
    if (!transaction) return undefined;
    if (transaction.status !== 'pending') {
      return {
        ok: false,
        status: transaction.status,
        message: 'This transaction has already been completed.',
      };
    }
    transaction.status = outcome === 'success' ? 'success' : 'failed';
    if (paid?.amount !== undefined) transaction.amount = paid.amount;
    if (paid?.currency !== undefined) transaction.currency = paid.currency;
    transaction.updatedAt = new Date();
    sendWebhook(transaction);
    if (transaction.status === 'success') callBack(transaction);
    return { ok: true, status: transaction.status, redirectUrl: transaction.returnUrl };
  }

  /** The flat transaction payload: a payment's outcome, or `charge.refunded` on it. */
  function sendWebhook(
    transaction: ChapaTransaction,
    refund?: {
      readonly event: string;
      readonly status: string;
      readonly failureReason: null;
      readonly updatedAt: Date;
    },
  ): void {
    const account = context.account(transaction.secretKey);
    if (!account?.webhookUrl) return;
    const paid = transaction.status === 'success';
    const event = refund?.event ?? (paid ? 'charge.success' : 'charge.failed/cancelled');
    const body = JSON.stringify({
      event,
      first_name: transaction.firstName,
      last_name: transaction.lastName,
      email: transaction.email,
      mobile: transaction.phone,
      currency: transaction.currency,
      amount: formatMajor(transaction.amount, transaction.currency),
      charge: formatMajor(fee(transaction), transaction.currency),
      status: refund?.status ?? (paid ? 'success' : 'failed/cancelled'),
      failure_reason: refund ? refund.failureReason : paid ? null : 'Declined',
      mode: 'test',
      reference: transaction.chapaReference,
      created_at: transaction.createdAt.toISOString(),
      updated_at: (refund?.updatedAt ?? transaction.updatedAt).toISOString(),
      type: 'API',
      tx_ref: transaction.reference,
      payment_method: 'test',
      customization: transaction.customization,
      meta: transaction.meta,
    });
    const secretHash = account.webhookSecret ?? '';
    context.webhooks.send({
      event,
      url: account.webhookUrl,
      body,
      headers: () => ({
        'content-type': 'application/json',
        'chapa-signature': hmacHex('sha256', secretHash, secretHash),
        'x-chapa-signature': hmacHex('sha256', secretHash, body),
      }),
      delivered: (status) => status >= 200 && status < 300,
    });
  }

  /** Chapa calls the merchant's callback_url once, without retries, after a successful payment. */
  function callBack(transaction: ChapaTransaction): void {
    if (!transaction.callbackUrl) return;
    context.webhooks.send({
      event: 'callback',
      method: 'GET',
      url: withQuery(transaction.callbackUrl, {
        trx_ref: transaction.reference,
        ref_id: transaction.chapaReference,
        status: 'success',
      }),
      headers: () => ({}),
      delivered: (status) => status >= 200 && status < 300,
      retry: false,
    });
  }

  /** Chapa's fee in the sandbox: 3.5 %. */
  const fee = (t: ChapaTransaction): number => feeOf(t.amount, 350);

  function view(checkoutId: string): CheckoutView | undefined {
    const transaction = ledger.checkout(checkoutId);
    if (!transaction) return undefined;
    return {
      reference: transaction.reference,
      amount: `${transaction.currency} ${formatMajor(transaction.amount, transaction.currency)}`,
      customer: transaction.email ?? undefined,
      open: transaction.status === 'pending',
      status: transaction.status,
      notice: transaction.status === 'failed' ? 'Declined' : undefined,
    };
  }

  return {
    name: 'chapa',
    title: 'Chapa',
    keyPattern: /^CHASECK_TEST-[A-Za-z0-9]+$/,
    webhookSecretPattern: /^\S{8,}$/,
    webhookSecretHint: 'Chapa needs the dashboard "secret hash" (8 or more characters) as webhookSecret.',
    missingKey: () => failure(401, 'Authorization required'),
    invalidKey: () => failure(401, "Invalid API Key or User doesn't exist"),
    unavailable: () => failure(503, 'Service Unavailable'),
    notFound: (method, path) =>
      failure(404, `The route ${path.replace(/^\//, '')} could not be found. (${method})`),
    handle: (request) => dispatch(routes, request),
    view,
    complete,
    checkoutIds: (reference, secretKey) =>
      ledger
        .filter(
          (t) =>
            (t.reference === reference || t.chapaReference === reference) &&
            (secretKey === undefined || t.secretKey === secretKey),
        )
        .map((t) => t.checkoutId),
    settleRefund,
    reset: () => {
      for (const timer of refundTimers.values()) clearTimeout(timer);
      refundTimers.clear();
      refunds.clear();
      ledger.clear();
    },
  };
}
