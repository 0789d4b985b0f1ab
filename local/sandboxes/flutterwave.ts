/**
 * Flutterwave v3 face: `POST /v3/payments` (Flutterwave Standard), `GET
 * /v3/transactions/verify_by_reference?tx_ref=`, `GET /v3/transactions/:id/verify`, the hosted
 * checkout, and the `charge.completed` webhook.
 *
 * Sources (checked when this was written):
 * - Standard flow, request fields (tx_ref, amount in major units, currency default NGN,
 *   redirect_url, customer.email required) and the `Hosted Link` answer:
 *   https://developer.flutterwave.com/docs/collecting-payments/standard
 * - Verify by reference: https://developer.flutterwave.com/v3.0/reference/verify-transaction-with-tx_ref;
 *   transaction object (id, tx_ref, flw_ref, amount, charged_amount, app_fee, processor_response,
 *   status `successful`/`failed`/`pending`, customer…): https://developer.flutterwave.com/docs/transaction-verification
 * - `401 {"status":"error","message":"Invalid authorization key","data":null}` (Flutterwave/Node-v3#22);
 *   `"No transaction was found for this id"` for unknown transactions.
 * - Webhooks: https://developer.flutterwave.com/docs/webhooks — `charge.completed` for successful and
 *   failed charges (look at `data.status`), legacy `verif-hash` header = the dashboard secret hash;
 *   `flutterwave-signature` = base64 HMAC-SHA256 of the raw body keyed by the secret hash (documented
 *   by SDKs such as toneflix/flutterwave-4-nodejs-sdk, not on a Flutterwave page we could read).
 *   Only HTTP 200 counts as delivered; retries are a dashboard setting (real interval not confirmed).
 *
 * - Refunds: https://developer.flutterwave.com/docs/payment-operations/refunds — `POST
 *   /v3/transactions/:id/refund` `{amount (major units), comments?}` on the numeric transaction id,
 *   answered `{"status":"success","message":"Transaction refund initiated","data":{id, account_id,
 *   tx_id, flw_ref ("URF_…"), wallet_id, amount_refunded, status:"completed", destination:
 *   "payment_source", meta:{source:"availablebalance"}, created_at}}`; `GET /v3/refunds/:id` and
 *   `GET /v3/refunds` (not under transactions). v3 sends no refund webhook.
 *
 * Modelled refund behaviour: `completed` at once (accepted and taken from the balance) under the
 * `succeed` knob; `fail` answers `pending` and reads `failed` `refundDelayMs` later, the amount
 * becoming refundable again; `hold` and `action` (Flutterwave has no needs-action state) answer
 * `pending` until the control API settles the refund. A refund is refused unless the transaction
 * is `successful` and the amount fits in what is not yet refunded. Flutterwave v3 has no
 * idempotency key: a repeated create makes a second refund, as the real API does. *Unconfirmed*:
 * the exact error texts, the list filters (`page`, `from`, `to`, `status` here, 10 per page,
 * newest first), whether refund objects echo `comments` (the sandbox echoes it), and `pending` /
 * `failed` as refund status words (v3 documents only `completed`).
 *
 * Modelled behaviour: Flutterwave creates the transaction when the customer reaches the payment
 * page, so verifying a tx_ref nobody has tried to pay yet finds nothing; opening the checkout page
 * creates it as `pending`. Not found on verify_by_reference is answered as HTTP 200 with
 * `status:"error"` (both 200 and 400 are reported in the wild), on `/:id/verify` as 400.
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
  hexDigits,
  hmacBase64,
  isEmail,
  isHttpUrl,
  isRecord,
  Ledger,
  type LedgerEntry,
  majorNumber,
  numericIds,
  type Outcome,
  type Paid,
  type Params,
  parseJsonObject,
  parseMajor,
  randomId,
  reply,
  route,
  text,
  withQuery,
} from './common.ts';

interface FlutterwaveTransaction extends LedgerEntry {
  readonly id: number;
  readonly flwRef: string;
  /** Minor units; the API speaks major units. What was paid, once paid (a control knob may differ). */
  amount: number;
  currency: string;
  readonly redirectUrl: string;
  readonly customer: { readonly email: string; readonly name: string | null; readonly phone: string | null };
  readonly customerId: number;
  readonly meta: unknown;
  readonly createdAt: Date;
  /** `initiated`: link created, nobody on the payment page yet (verify finds nothing). */
  status: 'initiated' | 'pending' | 'successful' | 'failed';
}

interface FlutterwaveRefund {
  readonly secretKey: string;
  readonly id: number;
  readonly transaction: FlutterwaveTransaction;
  readonly flwRef: string;
  /** Minor units of the transaction's currency. */
  readonly amount: number;
  readonly comments: string | null;
  readonly createdAt: Date;
  status: 'completed' | 'pending' | 'failed';
}

const currencies = new Set('NGN USD EUR GBP GHS KES UGX TZS RWF ZAR ZMW XAF XOF EGP MWK ETB'.split(' '));

const failure = (status: number, message: string): ApiResponse =>
  reply(status, { status: 'error', message, data: null });

export function createFlutterwaveFace(context: FaceContext): Face {
  const ledger = new Ledger<FlutterwaveTransaction>();
  const nextId = numericIds();
  const nextCustomerId = numericIds();
  const nextRefundId = numericIds();
  /** Newest last; listed newest first. */
  const refunds: FlutterwaveRefund[] = [];
  const refundTimers = new Set<NodeJS.Timeout>();

  function createPayment(request: ApiRequest): ApiResponse {
    const body = parseJsonObject(request.body);
    if (!body) return failure(400, 'Invalid JSON body');
    const txRef = text(body.tx_ref);
    if (!txRef) return failure(400, 'tx_ref is required');
    const currency = text(body.currency)?.toUpperCase() ?? 'NGN';
    if (!currencies.has(currency)) return failure(400, 'Invalid currency');
    if (body.amount === undefined) return failure(400, 'amount is required');
    const amount = parseMajor(body.amount, currency);
    if (amount === undefined) return failure(400, 'Invalid amount');
    const redirectUrl = text(body.redirect_url);
    if (!redirectUrl) return failure(400, 'redirect_url is required');
    if (!isHttpUrl(redirectUrl)) return failure(400, 'redirect_url must be a valid url');
    const customer = isRecord(body.customer) ? body.customer : {};
    const email = text(customer.email);
    if (!email) return failure(400, 'customer.email is required');
    if (!isEmail(email)) return failure(400, 'customer.email must be a valid email');
    // Flutterwave asks for a unique tx_ref per transaction; the sandbox refuses a reused one.
    if (ledger.get(request.secretKey, txRef)) return failure(400, 'Duplicate transaction reference');
    const transaction: FlutterwaveTransaction = {
      secretKey: request.secretKey,
      reference: txRef,
      checkoutId: randomId(32, hexDigits),
      id: nextId(),
      flwRef: `FLW-MOCK-${randomId(32, hexDigits)}`,
      amount,
      currency,
      redirectUrl,
      customer: { email, name: text(customer.name) ?? null, phone: text(customer.phonenumber) ?? null },
      customerId: nextCustomerId(),
      meta: isRecord(body.meta) ? body.meta : null,
      createdAt: new Date(),
      status: 'initiated',
    };
    ledger.add(transaction);
    return reply(200, {
      status: 'success',
      message: 'Hosted Link',
      data: { link: `${context.baseUrl()}/checkout/${transaction.checkoutId}` },
    });
  }

  function verifyByReference(request: ApiRequest): ApiResponse {
    const txRef = request.query.get('tx_ref');
    if (!txRef) return failure(400, 'tx_ref is required');
    const transaction = ledger.get(request.secretKey, txRef);
    if (!transaction || transaction.status === 'initiated') {
      return reply(200, { status: 'error', message: 'No transaction was found for this id', data: null });
    }
    return verified(transaction);
  }

  function verifyById(request: ApiRequest, params: Params): ApiResponse {
    const id = Number(params.id);
    const [transaction] = ledger.filter((t) => t.secretKey === request.secretKey && t.id === id);
    if (!transaction || transaction.status === 'initiated') {
      return failure(400, 'No transaction was found for this id');
    }
    return verified(transaction);
  }

  const verified = (transaction: FlutterwaveTransaction): ApiResponse =>
    reply(200, {
      status: 'success',
      message: 'Transaction fetched successfully',
      data: {
        ...chargeData(transaction),
        amount_settled: majorNumber(transaction.amount - fee(transaction), transaction.currency),
        meta: transaction.meta,
      },
    });

  /** What is still refundable: the charge minus every refund that has not failed. */
  const refundable = (transaction: FlutterwaveTransaction): number =>
    transaction.amount -
    refunds
      .filter((r) => r.transaction === transaction && r.status !== 'failed')
      .reduce((sum, r) => sum + r.amount, 0);

  function createRefund(request: ApiRequest, params: Params): ApiResponse {
    const body = parseJsonObject(request.body);
    if (!body) return failure(400, 'Invalid JSON body');
    const id = /^\d+$/.test(params.id ?? '') ? Number(params.id) : Number.NaN;
    const [transaction] = ledger.filter((t) => t.secretKey === request.secretKey && t.id === id);
    if (!transaction || transaction.status === 'initiated') {
      return failure(400, 'No transaction was found for this id');
    }
    if (transaction.status !== 'successful') {
      return failure(400, 'Only successful transactions can be refunded');
    }
    const left = refundable(transaction);
    // The docs make `amount` optional (the whole charge); the Node SDK requires it.
    const amount = body.amount === undefined ? left : parseMajor(body.amount, transaction.currency);
    if (amount === undefined) return failure(400, 'Invalid amount');
    if (left <= 0) return failure(400, 'Transaction has been fully refunded');
    if (amount > left) {
      return failure(
        400,
        `Refund amount cannot be greater than the refundable amount of ${formatMajor(left, transaction.currency)} ${transaction.currency}`,
      );
    }
    const comments = body.comments === undefined ? null : (text(body.comments) ?? null);
    const outcome = context.knobs().refundOutcome;
    const created: FlutterwaveRefund = {
      secretKey: request.secretKey,
      id: nextRefundId(),
      transaction,
      flwRef: `URF_${Date.now()}_${randomId(7, '0123456789')}`,
      amount,
      comments,
      createdAt: new Date(),
      status: outcome === 'succeed' ? 'completed' : 'pending',
    };
    refunds.push(created);
    if (outcome === 'fail') {
      // Flutterwave queues it and fails it later: the money goes back to the balance.
      const timer = setTimeout(() => {
        refundTimers.delete(timer);
        if (created.status === 'pending') created.status = 'failed';
      }, context.knobs().refundDelayMs);
      refundTimers.add(timer);
    }
    return reply(200, {
      status: 'success',
      message: 'Transaction refund initiated',
      data: refundData(created),
    });
  }

  function fetchRefund(request: ApiRequest, params: Params): ApiResponse {
    const id = /^\d+$/.test(params.id ?? '') ? Number(params.id) : Number.NaN;
    const found = refunds.find((r) => r.secretKey === request.secretKey && r.id === id);
    if (!found) return failure(404, 'Refund not found');
    return reply(200, { status: 'success', message: 'Refund fetched', data: refundData(found) });
  }

  function listRefunds(request: ApiRequest): ApiResponse {
    const page = request.query.get('page') ?? '1';
    if (!/^[1-9]\d{0,5}$/.test(page)) return failure(400, 'page must be a positive integer');
    const from = dayStart(request.query.get('from'));
    const to = dayStart(request.query.get('to'));
    if (from === null || to === null) return failure(400, 'from and to must be dates as YYYY-MM-DD');
    const status = request.query.get('status');
    const matching = refunds
      .filter(
        (r) =>
          r.secretKey === request.secretKey &&
          (from === undefined || r.createdAt.getTime() >= from) &&
          (to === undefined || r.createdAt.getTime() < to + 86_400_000) &&
          (status === null || r.status === status),
      )
      .reverse();
    const pageSize = 10;
    const current = Number(page);
    const totalPages = Math.max(1, Math.ceil(matching.length / pageSize));
    return reply(200, {
      status: 'success',
      message: 'Refunds fetched',
      meta: { page_info: { total: matching.length, current_page: current, total_pages: totalPages } },
      data: matching.slice((current - 1) * pageSize, current * pageSize).map(refundData),
    });
  }

  function refundData(r: FlutterwaveRefund): Record<string, unknown> {
    return {
      id: r.id,
      account_id: accountId(r.secretKey),
      tx_id: r.transaction.id,
      flw_ref: r.flwRef,
      wallet_id: walletId(r.secretKey),
      amount_refunded: majorNumber(r.amount, r.transaction.currency),
      status: r.status,
      destination: 'payment_source',
      meta: { source: 'availablebalance' },
      comments: r.comments,
      created_at: r.createdAt.toISOString(),
    };
  }

  function settleRefund(refundId: string, outcome: 'succeeded' | 'failed'): Completion | undefined {
    const found = /^\d+$/.test(refundId) ? refunds.find((r) => r.id === Number(refundId)) : undefined;
    if (!found) return undefined;
    if (found.status !== 'pending') {
      return { ok: false, status: found.status, message: `This refund is already ${found.status}.` };
    }
    // v3 sends no refund webhook: the merchant learns it by polling GET /v3/refunds/:id.
    found.status = outcome === 'succeeded' ? 'completed' : 'failed';
    return { ok: true, status: found.status, redirectUrl: undefined };
  }

  const routes = [
    route('POST', '/v3/payments', createPayment),
    route('GET', '/v3/transactions/verify_by_reference', verifyByReference),
    route('GET', '/v3/transactions/:id/verify', verifyById),
    route('POST', '/v3/transactions/:id/refund', createRefund),
    route('GET', '/v3/refunds', listRefunds),
    route('GET', '/v3/refunds/:id', fetchRefund),
  ];

  function view(checkoutId: string): CheckoutView | undefined {
    const transaction = ledger.checkout(checkoutId);
    if (!transaction) return undefined;
    // Reaching the payment page is what creates the transaction at Flutterwave.
    if (transaction.status === 'initiated') transaction.status = 'pending';
    return {
      reference: transaction.reference,
      amount: `${transaction.currency} ${formatMajor(transaction.amount, transaction.currency)}`,
      customer: transaction.customer.email,
      open: transaction.status === 'pending',
      status: transaction.status,
      notice: transaction.status === 'failed' ? 'Declined' : undefined,
    };
  }

  function complete(checkoutId: string, outcome: Outcome, paid?: Paid): Completion | undefined {
    const transaction = ledger.checkout(checkoutId);
    if (!transaction) return undefined;
    if (transaction.status === 'successful' || transaction.status === 'failed') {
      return {
        ok: false,
        status: transaction.status,
        message: 'This transaction has already been completed.',
      };
    }
    transaction.status = outcome === 'success' ? 'successful' : 'failed';
    if (paid?.amount !== undefined) transaction.amount = paid.amount;
    if (paid?.currency !== undefined) transaction.currency = paid.currency;
    sendChargeCompleted(transaction);
    const redirectUrl = withQuery(transaction.redirectUrl, {
      status: transaction.status,
      tx_ref: transaction.reference,
      transaction_id: String(transaction.id),
    });
    return { ok: true, status: transaction.status, redirectUrl };
  }

  function sendChargeCompleted(transaction: FlutterwaveTransaction): void {
    const account = context.account(transaction.secretKey);
    if (!account?.webhookUrl) return;
    const body = JSON.stringify({
      event: 'charge.completed',
      data: chargeData(transaction),
      'event.type': 'CARD_TRANSACTION',
    });
    const secretHash = account.webhookSecret ?? '';
    context.webhooks.send({
      event: 'charge.completed',
      url: account.webhookUrl,
      body,
      headers: () => ({
        'content-type': 'application/json',
        'verif-hash': secretHash,
        'flutterwave-signature': hmacBase64('sha256', secretHash, body),
      }),
      delivered: (status) => status === 200,
    });
  }

  /** Flutterwave's fee in the sandbox: 1.4 %. */
  const fee = (t: FlutterwaveTransaction): number => feeOf(t.amount, 140);

  /** The transaction object of verify responses and of the `charge.completed` event. */
  function chargeData(t: FlutterwaveTransaction): Record<string, unknown> {
    const amount = majorNumber(t.amount, t.currency);
    return {
      id: t.id,
      tx_ref: t.reference,
      flw_ref: t.flwRef,
      device_fingerprint: 'N/A',
      amount,
      currency: t.currency,
      charged_amount: amount,
      app_fee: majorNumber(fee(t), t.currency),
      merchant_fee: 0,
      processor_response: processorResponse[t.status],
      auth_model: 'NOAUTH',
      ip: '127.0.0.1',
      narration: 'CARD Transaction ',
      status: t.status,
      payment_type: 'card',
      created_at: t.createdAt.toISOString(),
      account_id: accountId(t.secretKey),
      card: {
        first_6digits: '553188',
        last_4digits: '2950',
        issuer: 'MASTERCARD  CREDIT',
        country: 'NG',
        type: 'MASTERCARD',
        expiry: '09/32',
      },
      customer: {
        id: t.customerId,
        name: t.customer.name ?? 'Anonymous customer',
        phone_number: t.customer.phone,
        email: t.customer.email,
        created_at: t.createdAt.toISOString(),
      },
    };
  }

  return {
    name: 'flutterwave',
    title: 'Flutterwave',
    keyPattern: /^FLWSECK_TEST-[A-Za-z0-9]+(-X)?$/,
    webhookSecretPattern: /^\S{8,}$/,
    webhookSecretHint:
      'Flutterwave needs the dashboard "secret hash" (8 or more characters) as webhookSecret.',
    missingKey: () => failure(401, 'Authorization required'),
    invalidKey: () => failure(401, 'Invalid authorization key'),
    unavailable: () => failure(503, 'Service unavailable, please try again'),
    notFound: (method, path) => failure(404, `Cannot ${method} ${path}`),
    handle: (request) => dispatch(routes, request),
    view,
    complete,
    settleRefund,
    checkoutIds: (reference, secretKey) =>
      ledger
        .filter(
          (t) =>
            (t.reference === reference || String(t.id) === reference) &&
            (secretKey === undefined || t.secretKey === secretKey),
        )
        .map((t) => t.checkoutId),
    reset: () => {
      ledger.clear();
      for (const timer of refundTimers) clearTimeout(timer);
      refundTimers.clear();
      refunds.length = 0;
    },
  };
}

const processorResponse: Record<FlutterwaveTransaction['status'], string> = {
  initiated: 'Pending',
  pending: 'Pending',
  successful: 'Approved. Successful',
  failed: 'Declined',
};

/** A `from`/`to` day (YYYY-MM-DD) as epoch ms at its UTC start; undefined when absent, null when malformed. */
function dayStart(value: string | null): number | null | undefined {
  if (value === null) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(ms) ? null : ms;
}

/** The account's wallet id, as refund objects name the balance they were taken from. */
function walletId(secretKey: string): number {
  return accountId(secretKey) + 7;
}

/** A stable Flutterwave account id per secret key, as the dashboard account it belongs to. */
function accountId(secretKey: string): number {
  let hash = 0;
  for (const char of secretKey) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_000;
  return 100_000 + hash;
}
