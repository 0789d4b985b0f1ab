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
 */
import {
  type ApiRequest,
  type ApiResponse,
  type CheckoutView,
  type Completion,
  type Face,
  type FaceContext,
  feeOf,
  formatMajor,
  hmacHex,
  isEmail,
  isRecord,
  Ledger,
  type LedgerEntry,
  lowerAlphanumeric,
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
  status: 'abandoned' | 'success' | 'failed';
  gatewayResponse: string;
  paidAt: Date | undefined;
}

/** Currencies a Paystack integration can be enabled for. */
const currencies = new Set(['NGN', 'GHS', 'ZAR', 'KES', 'USD', 'XOF', 'EGP']);

const failure = (status: number, message: string): ApiResponse => reply(status, { status: false, message });

export function createPaystackFace(context: FaceContext): Face {
  const ledger = new Ledger<PaystackTransaction>();
  const nextId = numericIds();
  const nextCustomerId = numericIds();

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

  const routes = [
    route('POST', '/transaction/initialize', initialize),
    route('GET', '/transaction/verify/:reference', verify),
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
    checkoutIds: (reference, secretKey) =>
      ledger
        .filter((t) => t.reference === reference && (secretKey === undefined || t.secretKey === secretKey))
        .map((t) => t.checkoutId),
    reset: () => ledger.clear(),
  };
}

/** Paystack takes metadata as an object, or as a JSON string in form bodies; it answers `""` when absent. */
function metadataOf(value: unknown): unknown {
  if (typeof value === 'string' && value.trim() !== '') return parseJsonObject(Buffer.from(value)) ?? value;
  return isRecord(value) ? value : '';
}

/** The transaction object of verify responses and of the `charge.success` event. */
function transactionData(t: PaystackTransaction): Record<string, unknown> {
  const paid = t.status === 'success';
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
    fees: paid ? feeOf(t.amount, 150) : null,
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
