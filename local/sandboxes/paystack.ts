/**
 * Paystack face: `POST /transaction/initialize`, `GET /transaction/verify/:reference`,
 * the hosted checkout, and the `charge.success` webhook.
 *
 * Sources (checked when this was written):
 * - Initialize request/response: https://paystack.com/docs/api/transaction/#initialize; sample
 *   `{status:true,message:"Authorization URL created",data:{authorization_url,access_code,reference}}`
 *   (api-evangelist/paystack examples/paystack-initialize-transaction-example.json). Amount is an
 *   integer in the subunit (kobo, pesewas, cents); JSON or form-encoded bodies are accepted.
 * - Verify response and statuses (`success`, `failed`, `abandoned` = "customer has not completed"):
 *   https://docs-v2.paystack.com/docs/payments/verify-payments
 * - Errors: https://docs-v2.paystack.com/api/errors/transaction (reference not found, reference
 *   characters `-` `.` `=` and alphanumerics only); `401 {"status":false,"message":"Invalid key"}`
 *   (unicodeveloper/laravel-paystack#55); `"No Authorization header was found"`
 *   (andela-sjames/paystack-python#26); `400 "Duplicate Transaction Reference"` and
 *   `"Invalid Amount Sent"` (unicodeveloper/laravel-paystack#106).
 * - Webhooks: https://paystack.com/docs/payments/webhooks/ — `x-paystack-signature` is the hex
 *   HMAC-SHA512 of the raw body keyed by the secret key; only `200 OK` counts as delivered; real
 *   retries: live every 3 min for the first 4 tries then hourly up to 72 h, test hourly up to 72 h.
 *   Paystack's event list has no failed-charge event, so a declined payment sends no webhook.
 * - Refunds: https://paystack.com/docs/api/refund/ and https://paystack.com/docs/payments/refunds/ —
 *   `POST /refund` `{transaction (reference or id), amount? (subunits), currency?, customer_note?,
 *   merchant_note?}` answers `"Refund has been queued for processing"` with `data.status: "pending"`,
 *   a numeric `data.id` and `data.transaction` expanded; `GET /refund/{id}` and `GET /refund` (list,
 *   `transaction` filter, `perPage`/`page`, `meta`) carry `transaction` as the numeric id. Statuses
 *   `pending` → `processing` → `processed`, or `failed`, or `needs-attention` (retry with the
 *   customer's bank details). Events `refund.pending|processing|processed|failed` with
 *   `transaction_reference`, `refund_reference` (null until processed) and `amount` a string (a number
 *   in `refund.failed`): PaystackOSS/doc-code-snippets `dist/doc/payments/refunds/events.js`,
 *   `dist/api/refunds/retry/response.json`. A refunded transaction later verifies as `reversed`.
 *   Paystack has no idempotency key for refunds: a create sent twice makes two refunds, as here.
 *   *Unconfirmed* (not in our sources, chosen to be plausible): the exact refusal texts and HTTP
 *   statuses (unknown transaction, unpaid transaction, over-refund, unknown refund id), whether the
 *   list's `transaction` filter takes a reference, whether `needs-attention` sends an event, and
 *   `reversed` only after a full refund. This face sends no `refund.processing` event (Paystack may).
 */
import {
  type ApiRequest,
  type ApiResponse,
  type CheckoutView,
  type Completion,
  type Face,
  type FaceContext,
  formatMajor,
  hmacHex,
  isEmail,
  isRecord,
  Ledger,
  type LedgerEntry,
  lowerAlphanumeric,
  minorDigits,
  numericIds,
  type Outcome,
  type Paid,
  type Params,
  parseInteger,
  parseJsonObject,
  parseJsonOrForm,
  randomId,
  reply,
  route,
  dispatch,
  text,
  withQuery,
} from './common.ts';

interface PaystackTransaction extends LedgerEntry {
  readonly id: number;
  readonly email: string;
  /** Subunits, as sent; what was paid once paid (a control knob may differ). */
  amount: number;
  currency: string;
  readonly callbackUrl: string | undefined;
  readonly metadata: unknown;
  readonly customerId: number;
  readonly customerCode: string;
  readonly authorizationCode: string;
  readonly createdAt: Date;
  /** `reversed`: paid, then refunded in full. */
  status: 'abandoned' | 'success' | 'failed' | 'reversed';
  gatewayResponse: string;
  paidAt: Date | undefined;
}

type RefundStatus = 'pending' | 'processing' | 'processed' | 'failed' | 'needs-attention';

interface PaystackRefund {
  readonly id: number;
  readonly secretKey: string;
  readonly transaction: PaystackTransaction;
  /** Subunits, like the transaction's. */
  readonly amount: number;
  readonly currency: string;
  readonly merchantNote: string | null;
  readonly customerNote: string | null;
  readonly createdAt: Date;
  readonly expectedAt: Date;
  updatedAt: Date;
  status: RefundStatus;
  refundedAt: Date | null;
  /** The processor's reference, known once processed (`refund_reference` in events). */
  refundReference: string | null;
  reason: string | null;
  timer: NodeJS.Timeout | undefined;
}

/** The sandbox merchant's integration id and login, as Paystack puts them in refund objects. */
const integration = 100_001;
const refundedBy = 'merchant@sandbox.paybridge.test';

/** Currencies a Paystack integration can be enabled for. */
const currencies = new Set(['NGN', 'GHS', 'ZAR', 'KES', 'USD', 'XOF', 'EGP']);

const failure = (status: number, message: string): ApiResponse => reply(status, { status: false, message });

export function createPaystackFace(context: FaceContext): Face {
  const ledger = new Ledger<PaystackTransaction>();
  const nextId = numericIds();
  const nextCustomerId = numericIds();
  const refunds = new Map<number, PaystackRefund>();
  const nextRefundId = numericIds();
  const timers = new Set<NodeJS.Timeout>();

  function initialize(request: ApiRequest): ApiResponse {
    const body = parseJsonOrForm(request.headers, request.body);
    if (!body) return failure(400, 'Invalid JSON body');
    const email = text(body.email);
    if (!email || !isEmail(email)) return failure(400, 'Invalid Email Address Passed');
    const amount = parseInteger(body.amount);
    if (amount === undefined || amount <= 0) return failure(400, 'Invalid Amount Sent');
    const currency = text(body.currency)?.toUpperCase() ?? 'NGN';
    if (!currencies.has(currency)) return failure(400, 'Currency not supported by merchant');
    const reference = text(body.reference) ?? randomId(10, lowerAlphanumeric);
    if (!/^[A-Za-z0-9.=-]+$/.test(reference)) {
      return failure(400, 'Invalid transaction reference. Only -, ., = and alphanumeric characters allowed');
    }
    if (ledger.get(request.secretKey, reference)) return failure(400, 'Duplicate Transaction Reference');
    const callbackUrl = text(body.callback_url);
    const transaction: PaystackTransaction = {
      secretKey: request.secretKey,
      reference,
      checkoutId: randomId(15, lowerAlphanumeric),
      id: nextId(),
      email,
      amount,
      currency,
      callbackUrl,
      metadata: metadataOf(body.metadata),
      customerId: nextCustomerId(),
      customerCode: `CUS_${randomId(15, lowerAlphanumeric)}`,
      authorizationCode: `AUTH_${randomId(10, lowerAlphanumeric)}`,
      createdAt: new Date(),
      status: 'abandoned',
      gatewayResponse: 'The transaction was not completed',
      paidAt: undefined,
    };
    ledger.add(transaction);
    return reply(200, {
      status: true,
      message: 'Authorization URL created',
      data: {
        authorization_url: `${context.baseUrl()}/checkout/${transaction.checkoutId}`,
        access_code: transaction.checkoutId,
        reference,
      },
    });
  }

  function verify(request: ApiRequest, params: Params): ApiResponse {
    const transaction = ledger.get(request.secretKey, params.reference ?? '');
    if (!transaction) return failure(400, 'Transaction reference not found');
    return reply(200, {
      status: true,
      message: 'Verification successful',
      data: transactionData(transaction),
    });
  }

  /** The merchant's transaction by reference, or by Paystack's numeric id (both are accepted). */
  function findTransaction(secretKey: string, key: string): PaystackTransaction | undefined {
    return (
      ledger.get(secretKey, key) ?? ledger.filter((t) => t.secretKey === secretKey && String(t.id) === key)[0]
    );
  }

  /** What can still be refunded: the charge minus every refund that has not failed. */
  function refundable(transaction: PaystackTransaction): number {
    let taken = 0;
    for (const r of refunds.values())
      if (r.transaction === transaction && r.status !== 'failed') taken += r.amount;
    return transaction.amount - taken;
  }

  function createRefund(request: ApiRequest): ApiResponse {
    const body = parseJsonOrForm(request.headers, request.body);
    if (!body) return failure(400, 'Invalid JSON body');
    const key = typeof body.transaction === 'number' ? String(body.transaction) : text(body.transaction);
    if (key === undefined) return failure(400, 'Transaction reference or id is required');
    const transaction = findTransaction(request.secretKey, key);
    if (!transaction) return failure(404, 'Transaction not found');
    if (transaction.status === 'reversed') return failure(400, 'Transaction has been fully reversed');
    if (transaction.status !== 'success') {
      return failure(400, 'Only successful transactions can be refunded');
    }
    const currency = text(body.currency)?.toUpperCase();
    if (currency !== undefined && currency !== transaction.currency) {
      return failure(400, `Currency must be ${transaction.currency}, the transaction's currency`);
    }
    const remaining = refundable(transaction);
    // Without an amount Paystack refunds what is left of the transaction.
    const omitted = body.amount === undefined || body.amount === null || body.amount === '';
    const amount = omitted ? remaining : parseInteger(body.amount);
    if (amount === undefined || (!omitted && amount <= 0)) return failure(400, 'Invalid Amount Sent');
    if (remaining <= 0) return failure(400, 'Transaction has been fully reversed');
    if (amount > remaining) {
      return failure(
        400,
        `Refund amount cannot be more than the refundable balance of ${transaction.currency} ` +
          `${formatMajor(remaining, transaction.currency)}`,
      );
    }
    const now = new Date();
    const refund: PaystackRefund = {
      id: nextRefundId(),
      secretKey: request.secretKey,
      transaction,
      amount,
      currency: transaction.currency,
      merchantNote: text(body.merchant_note) ?? null,
      customerNote: text(body.customer_note) ?? null,
      createdAt: now,
      expectedAt: new Date(now.getTime() + 10 * 24 * 60 * 60 * 1000),
      updatedAt: now,
      status: 'pending',
      refundedAt: null,
      refundReference: null,
      reason: null,
      timer: undefined,
    };
    refunds.set(refund.id, refund);
    sendRefundEvent(refund);
    schedule(refund);
    return reply(200, {
      status: true,
      message: 'Refund has been queued for processing',
      data: createdRefundData(refund),
    });
  }

  function fetchRefund(request: ApiRequest, params: Params): ApiResponse {
    const id = params.id ?? '';
    const refund = /^\d{1,15}$/.test(id) ? refunds.get(Number(id)) : undefined;
    if (!refund || refund.secretKey !== request.secretKey) return failure(404, 'Refund not found');
    return reply(200, { status: true, message: 'Refund retrieved', data: refundData(refund) });
  }

  function listRefunds(request: ApiRequest): ApiResponse {
    const key = text(request.query.get('transaction') ?? undefined);
    const currency = text(request.query.get('currency') ?? undefined)?.toUpperCase();
    const perPage = Math.min(Math.max(parseInteger(request.query.get('perPage') ?? '') ?? 50, 1), 100);
    const page = Math.max(parseInteger(request.query.get('page') ?? '') ?? 1, 1);
    const transaction = key === undefined ? undefined : findTransaction(request.secretKey, key);
    const matching =
      key !== undefined && transaction === undefined
        ? []
        : [...refunds.values()]
            .filter(
              (r) =>
                r.secretKey === request.secretKey &&
                (transaction === undefined || r.transaction === transaction) &&
                (currency === undefined || r.currency === currency),
            )
            .sort((a, b) => b.id - a.id); // newest first
    const skipped = (page - 1) * perPage;
    return reply(200, {
      status: true,
      message: 'Refunds retrieved',
      data: matching.slice(skipped, skipped + perPage).map(refundData),
      meta: {
        total: matching.length,
        skipped,
        perPage,
        page,
        pageCount: Math.max(1, Math.ceil(matching.length / perPage)),
      },
    });
  }

  /**
   * The course a new refund takes, by the knobs in force when it was created: `succeed` goes
   * `processing` halfway through `refundDelayMs` and `processed` at its end; `fail` the same but
   * ends `failed`; `action` turns `needs-attention` after the delay; `hold` stays `pending` until
   * the control API settles it.
   */
  function schedule(refund: PaystackRefund): void {
    const { refundOutcome, refundDelayMs } = context.knobs();
    if (refundOutcome === 'hold') return;
    const later = (ms: number, step: () => void) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (refund.timer === timer) refund.timer = undefined;
        step();
      }, ms);
      timer.unref();
      timers.add(timer);
      refund.timer = timer;
    };
    if (refundOutcome === 'action') {
      later(refundDelayMs, () => {
        if (refund.status !== 'pending') return;
        refund.status = 'needs-attention';
        refund.reason = 'NEEDS-ATTENTION';
        refund.updatedAt = new Date();
      });
      return;
    }
    const half = Math.floor(refundDelayMs / 2);
    later(half, () => {
      if (refund.status !== 'pending') return;
      refund.status = 'processing';
      refund.reason = 'PROCESSING';
      refund.updatedAt = new Date();
      later(refundDelayMs - half, () => {
        if (refund.status === 'processing') finish(refund, refundOutcome === 'fail' ? 'failed' : 'processed');
      });
    });
  }

  function finish(refund: PaystackRefund, status: 'processed' | 'failed'): void {
    if (refund.timer !== undefined) {
      clearTimeout(refund.timer);
      timers.delete(refund.timer);
      refund.timer = undefined;
    }
    const now = new Date();
    refund.status = status;
    refund.updatedAt = now;
    if (status === 'processed') {
      refund.refundedAt = now;
      refund.refundReference = randomId(12, '0123456789');
      refund.reason = null;
      const transaction = refund.transaction;
      const processed = [...refunds.values()]
        .filter((r) => r.transaction === transaction && r.status === 'processed')
        .reduce((sum, r) => sum + r.amount, 0);
      if (processed >= transaction.amount) transaction.status = 'reversed';
    } else {
      // The money goes back to the merchant's balance, and is refundable again.
      refund.reason = 'The processor could not return the money to the customer';
    }
    sendRefundEvent(refund);
  }

  function settleRefund(refundId: string, outcome: 'succeeded' | 'failed'): Completion | undefined {
    const refund = /^\d{1,15}$/.test(refundId) ? refunds.get(Number(refundId)) : undefined;
    if (!refund) return undefined;
    if (refund.status === 'processed' || refund.status === 'failed') {
      return { ok: false, status: refund.status, message: 'This refund has already been completed.' };
    }
    finish(refund, outcome === 'succeeded' ? 'processed' : 'failed');
    return { ok: true, status: refund.status, redirectUrl: undefined };
  }

  /** `refund.pending` on create, `refund.processed` or `refund.failed` at the end. */
  function sendRefundEvent(refund: PaystackRefund): void {
    const account = context.account(refund.secretKey);
    if (!account?.webhookUrl) return;
    const event = `refund.${refund.status}`;
    const body = JSON.stringify({
      event,
      data: {
        status: refund.status,
        transaction_reference: refund.transaction.reference,
        refund_reference: refund.refundReference,
        // A string in Paystack's samples, except in refund.failed.
        amount: refund.status === 'failed' ? refund.amount : String(refund.amount),
        currency: refund.currency,
        processor: 'instant-transfer',
        customer: { first_name: null, last_name: null, email: refund.transaction.email },
        integration,
        domain: 'test',
      },
    });
    context.webhooks.send({
      event,
      url: account.webhookUrl,
      body,
      headers: () => ({
        'content-type': 'application/json',
        'x-paystack-signature': hmacHex('sha512', refund.secretKey, body),
      }),
      delivered: (status) => status === 200,
    });
  }

  const routes = [
    route('POST', '/transaction/initialize', initialize),
    route('GET', '/transaction/verify/:reference', verify),
    route('POST', '/refund', createRefund),
    route('GET', '/refund', listRefunds),
    route('GET', '/refund/:id', fetchRefund),
  ];

  function complete(checkoutId: string, outcome: Outcome, paid?: Paid): Completion | undefined {
    const transaction = ledger.checkout(checkoutId);
    if (!transaction) return undefined;
    if (transaction.status !== 'abandoned') {
      return {
        ok: false,
        status: transaction.status,
        message: 'This transaction has already been completed.',
      };
    }
    if (outcome === 'decline') {
      transaction.status = 'failed';
      transaction.gatewayResponse = 'Declined';
      return { ok: true, status: transaction.status, redirectUrl: undefined };
    }
    transaction.status = 'success';
    if (paid?.amount !== undefined) transaction.amount = paid.amount;
    if (paid?.currency !== undefined) transaction.currency = paid.currency;
    transaction.gatewayResponse = 'Successful';
    transaction.paidAt = new Date();
    sendChargeSuccess(transaction);
    const redirectUrl = transaction.callbackUrl
      ? withQuery(transaction.callbackUrl, {
          trxref: transaction.reference,
          reference: transaction.reference,
        })
      : undefined;
    return { ok: true, status: transaction.status, redirectUrl };
  }

  function sendChargeSuccess(transaction: PaystackTransaction): void {
    const account = context.account(transaction.secretKey);
    if (!account?.webhookUrl) return;
    const body = JSON.stringify({ event: 'charge.success', data: transactionData(transaction) });
    context.webhooks.send({
      event: 'charge.success',
      url: account.webhookUrl,
      body,
      headers: () => ({
        'content-type': 'application/json',
        'x-paystack-signature': hmacHex('sha512', transaction.secretKey, body),
      }),
      delivered: (status) => status === 200,
    });
  }

  function view(checkoutId: string): CheckoutView | undefined {
    const transaction = ledger.checkout(checkoutId);
    if (!transaction) return undefined;
    return {
      reference: transaction.reference,
      amount: `${transaction.currency} ${formatMajor(transaction.amount, transaction.currency)}`,
      customer: transaction.email,
      open: transaction.status === 'abandoned',
      status: transaction.status,
      notice: transaction.status === 'failed' ? transaction.gatewayResponse : undefined,
    };
  }

  return {
    name: 'paystack',
    title: 'Paystack',
    keyPattern: /^sk_test_[A-Za-z0-9]+$/,
    webhookSecretPattern: undefined,
    webhookSecretHint: 'Paystack signs webhooks with the secret key; it has no separate webhook secret.',
    missingKey: () => failure(401, 'No Authorization header was found'),
    invalidKey: () => failure(401, 'Invalid key'),
    unavailable: () => failure(503, 'Service temporarily unavailable. Please try again.'),
    notFound: (method, path) => failure(404, `Cannot ${method} ${path}`),
    handle: (request) => dispatch(routes, request),
    view,
    complete,
    settleRefund,
    checkoutIds: (reference, secretKey) =>
      ledger
        .filter((t) => t.reference === reference && (secretKey === undefined || t.secretKey === secretKey))
        .map((t) => t.checkoutId),
    reset: () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      refunds.clear();
      ledger.clear();
    },
  };
}

/** Paystack takes metadata as an object, or as a JSON string in form bodies; it answers `""` when absent. */
function metadataOf(value: unknown): unknown {
  if (typeof value === 'string' && value.trim() !== '') return parseJsonObject(Buffer.from(value)) ?? value;
  return isRecord(value) ? value : '';
}

/**
 * The sandbox's fee: 1.5% of the amount, rounded half up to the currency's ISO minor unit and
 * written in Paystack's subunits (so an XOF fee is whole francs, i.e. a multiple of 100).
 */
function paystackFee(t: PaystackTransaction): number {
  const step = 10n ** BigInt(2 - Math.min(2, minorDigits(t.currency)));
  return Number(((BigInt(t.amount) * 150n + 5_000n * step) / (10_000n * step)) * step);
}

/** The refund object of `POST /refund`, with the transaction expanded. */
function createdRefundData(r: PaystackRefund): Record<string, unknown> {
  const t = r.transaction;
  const paidAt = t.paidAt?.toISOString() ?? null;
  return {
    transaction: {
      id: t.id,
      domain: 'test',
      reference: t.reference,
      amount: t.amount,
      paid_at: paidAt,
      channel: 'card',
      currency: t.currency,
      authorization: { exp_month: '12', exp_year: '2030', account_name: null },
      customer: { international_format_phone: null },
      plan: {},
      subaccount: { currency: null },
      split: {},
      order_id: null,
      paidAt,
      pos_transaction_data: null,
      source: null,
      fees_breakdown: null,
    },
    integration,
    deducted_amount: 0,
    channel: null,
    merchant_note: r.merchantNote,
    customer_note: r.customerNote,
    status: r.status,
    refunded_by: refundedBy,
    expected_at: r.expectedAt.toISOString(),
    currency: r.currency,
    domain: 'test',
    amount: r.amount,
    fully_deducted: false,
    id: r.id,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** The refund object of `GET /refund/{id}` and of the list, with the transaction's numeric id. */
function refundData(r: PaystackRefund): Record<string, unknown> {
  const deducted = r.status === 'processing' || r.status === 'processed';
  return {
    integration,
    transaction: r.transaction.id,
    dispute: null,
    settlement: null,
    id: r.id,
    domain: 'test',
    currency: r.currency,
    amount: r.amount,
    status: r.status,
    refunded_at: r.refundedAt?.toISOString() ?? null,
    expected_at: r.expectedAt.toISOString(),
    channel: 'card',
    refunded_by: refundedBy,
    customer_note: r.customerNote,
    merchant_note: r.merchantNote,
    deducted_amount: deducted ? r.amount : 0,
    fully_deducted: deducted,
    bank_reference: r.refundReference,
    reason: r.reason,
    customer: null,
    initiated_by: refundedBy,
    reversed_at: null,
    session_id: null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** The transaction object of verify responses and of the `charge.success` event. */
function transactionData(t: PaystackTransaction): Record<string, unknown> {
  const paid = t.status === 'success' || t.status === 'reversed';
  const paidAt = t.paidAt?.toISOString() ?? null;
  const createdAt = t.createdAt.toISOString();
  return {
    id: t.id,
    domain: 'test',
    status: t.status,
    reference: t.reference,
    receipt_number: null,
    amount: t.amount,
    message: null,
    gateway_response: t.gatewayResponse,
    paid_at: paidAt,
    created_at: createdAt,
    channel: 'card',
    currency: t.currency,
    ip_address: '127.0.0.1',
    metadata: t.metadata,
    log: null,
    fees: paid ? paystackFee(t) : null,
    fees_split: null,
    authorization:
      t.status === 'abandoned'
        ? {}
        : {
            authorization_code: t.authorizationCode,
            bin: '408408',
            last4: '4081',
            exp_month: '12',
            exp_year: '2030',
            channel: 'card',
            card_type: 'visa ',
            bank: 'TEST BANK',
            country_code: 'NG',
            brand: 'visa',
            reusable: paid,
            signature: `SIG_${t.authorizationCode.slice(5)}`,
            account_name: null,
          },
    customer: {
      id: t.customerId,
      first_name: null,
      last_name: null,
      email: t.email,
      customer_code: t.customerCode,
      phone: null,
      metadata: null,
      risk_action: 'default',
      international_format_phone: null,
    },
    plan: null,
    split: {},
    order_id: null,
    paidAt,
    createdAt,
    requested_amount: t.amount,
    pos_transaction_data: null,
    source: null,
    fees_breakdown: null,
    transaction_date: createdAt,
    plan_object: {},
    subaccount: {},
  };
}
