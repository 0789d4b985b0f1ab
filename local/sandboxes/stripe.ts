/**
 * Stripe face: Checkout Sessions in `mode=payment` — `POST /v1/checkout/sessions`,
 * `GET /v1/checkout/sessions/:id`, `POST /v1/checkout/sessions/:id/expire` — the hosted
 * checkout, and the `checkout.session.completed` / `checkout.session.expired` events.
 *
 * Sources (checked when this was written):
 * - Checkout Session object and create parameters: https://docs.stripe.com/api/checkout/sessions
 *   (form-encoded bodies with bracket notation, `line_items[0][price_data][unit_amount]` in the
 *   currency's smallest unit, zero-decimal currencies in whole units, currency answered lower-case,
 *   `payment_status` `unpaid`/`paid`, `status` `open`/`complete`/`expired`, `url` null once closed).
 * - Errors: https://docs.stripe.com/api/errors — `{error:{type,message,code?,param?,doc_url?}}`,
 *   `Request-Id` header; the 401 texts are quoted in stripe/stripe-node#1694 and abengoa/clj-stripe#11;
 *   idempotency: https://docs.stripe.com/api/idempotent_requests.
 * - Webhook signatures: stripe/stripe-node `src/Webhooks.ts` — `Stripe-Signature: t=…,v1=…` where v1
 *   is the hex HMAC-SHA256 of `${t}.${raw body}` keyed by the whole `whsec_…` string; test-mode events
 *   also carry a `v0` signature that proves nothing. Bodies are pretty-printed JSON. Any 2xx counts as
 *   delivered; real retries: live mode up to 3 days with exponential backoff, sandboxes 3 times over
 *   a few hours (https://docs.stripe.com/webhooks).
 *
 * Modelled behaviour: a declined card leaves the session `open` (the customer may try again) and
 * sends nothing; only an explicit expire (the real expire endpoint) sends `checkout.session.expired`.
 * Only `price_data` line items exist here: a `price` id is answered as a missing resource.
 */
import {
  type ApiRequest,
  type ApiResponse,
  type CheckoutView,
  type Completion,
  dispatch,
  type Face,
  type FaceContext,
  type FormValue,
  formatMajor,
  hmacHex,
  isEmail,
  isHttpUrl,
  isRecord,
  Ledger,
  type LedgerEntry,
  mediaType,
  type Outcome,
  type Paid,
  type Params,
  parseForm,
  randomId,
  reply,
  route,
} from './common.ts';

const defaultApiVersion = '2024-06-20';
const sessionLifetimeSeconds = 24 * 60 * 60;

interface LineItem {
  readonly name: string;
  readonly unitAmount: number;
  readonly quantity: number;
}

interface StripeSession extends LedgerEntry {
  readonly id: string;
  readonly created: number;
  readonly expiresAt: number;
  readonly lineItems: readonly LineItem[];
  amountTotal: number;
  /** Lower-case, as Stripe answers. */
  currency: string;
  readonly clientReferenceId: string | null;
  readonly customerEmail: string | null;
  readonly successUrl: string | null;
  readonly cancelUrl: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly apiVersion: string;
  status: 'open' | 'complete' | 'expired';
  paymentStatus: 'unpaid' | 'paid';
  paymentIntent: string | null;
  lastError: string | undefined;
}

/** Parameters Stripe accepts on create that the sandbox takes and ignores; anything else is unknown. */
const ignoredParameters = [
  'allow_promotion_codes billing_address_collection customer customer_creation expand locale',
  'payment_intent_data payment_method_types phone_number_collection submit_type ui_mode',
].flatMap((line) => line.split(' '));
const knownParameters = new Set([
  ...'mode line_items client_reference_id customer_email success_url cancel_url metadata expires_at'.split(
    ' ',
  ),
  ...ignoredParameters,
]);

class StripeError {
  readonly status: number;
  readonly error: Readonly<Record<string, string>>;

  constructor(status: number, error: Readonly<Record<string, string>>) {
    this.status = status;
    this.error = error;
  }
}

const invalidRequest = (message: string, fields: Record<string, string> = {}) =>
  new StripeError(400, { type: 'invalid_request_error', message, ...fields });
const missingParam = (param: string) =>
  invalidRequest(`Missing required param: ${param}.`, { code: 'parameter_missing', param });
const invalidInteger = (param: string, value: unknown) =>
  invalidRequest(`Invalid integer: ${String(value)}`, { code: 'parameter_invalid_integer', param });

export function createStripeFace(context: FaceContext): Face {
  const ledger = new Ledger<StripeSession>();
  /** Replays of `Idempotency-Key` per secret key: the first answer, and the body it answered. */
  const idempotency = new Map<string, { readonly body: string; readonly response: ApiResponse }>();

  function answer(status: number, body: unknown, extra: Record<string, string> = {}): ApiResponse {
    return reply(status, body, {
      'request-id': `req_${randomId(14)}`,
      'stripe-version': defaultApiVersion,
      ...extra,
    });
  }

  const fail = (error: StripeError): ApiResponse => answer(error.status, { error: error.error });

  /** Runs a POST once per `Idempotency-Key`, as Stripe does for 24 h. */
  function idempotent(request: ApiRequest, run: () => ApiResponse): ApiResponse {
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string' || key === '') return run();
    const slot = `${request.secretKey}\n${request.method} ${request.path}\n${key}`;
    const body = request.body.toString('utf8');
    const previous = idempotency.get(slot);
    if (!previous) {
      const response = run();
      // Stripe saves no result for a request that failed validation: the key stays usable.
      if (response.status < 400) idempotency.set(slot, { body, response });
      return response;
    }
    if (previous.body !== body) {
      return fail(
        new StripeError(400, {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        }),
      );
    }
    return { ...previous.response, headers: { ...previous.response.headers, 'idempotent-replayed': 'true' } };
  }

  function formBody(request: ApiRequest): Record<string, FormValue> | StripeError {
    const type = mediaType(request.headers);
    if (request.body.length > 0 && type !== 'application/x-www-form-urlencoded') {
      return invalidRequest(
        'Invalid request (check that your POST content type is application/x-www-form-urlencoded). If you have any questions, we can help at https://support.stripe.com/.',
      );
    }
    return (
      parseForm(request.body.toString('utf8')) ?? invalidRequest('Invalid request: malformed form body.')
    );
  }

  function createSession(request: ApiRequest): ApiResponse {
    return idempotent(request, () => {
      const body = formBody(request);
      if (body instanceof StripeError) return fail(body);
      const session = sessionFrom(request, body);
      if (session instanceof StripeError) return fail(session);
      ledger.add(session);
      return answer(200, sessionObject(session));
    });
  }

  function sessionFrom(request: ApiRequest, body: Record<string, FormValue>): StripeSession | StripeError {
    for (const name of Object.keys(body)) {
      if (!knownParameters.has(name)) {
        return invalidRequest(`Received unknown parameter: ${name}`, {
          code: 'parameter_unknown',
          param: name,
        });
      }
    }
    const mode = body.mode;
    if (mode === undefined) return missingParam('mode');
    if (mode !== 'payment') {
      return invalidRequest(
        `Invalid mode: the sandbox supports only mode=payment, got ${JSON.stringify(mode)}.`,
        {
          param: 'mode',
        },
      );
    }
    const items = body.line_items;
    if (items === undefined) return missingParam('line_items');
    if (!Array.isArray(items) || items.length === 0) {
      return invalidRequest('Invalid array', { param: 'line_items' });
    }
    const lineItems: LineItem[] = [];
    let currency: string | undefined;
    for (const [index, item] of items.entries()) {
      const parsed = lineItem(item, `line_items[${index}]`);
      if (parsed instanceof StripeError) return parsed;
      if (currency !== undefined && parsed.currency !== currency) {
        return invalidRequest('All line items must have the same currency.', {
          param: `line_items[${index}]`,
        });
      }
      currency = parsed.currency;
      lineItems.push(parsed);
    }
    const urls: Record<'success_url' | 'cancel_url', string | null> = { success_url: null, cancel_url: null };
    for (const name of ['success_url', 'cancel_url'] as const) {
      const value = body[name];
      if (value === undefined) continue;
      if (typeof value !== 'string' || !isHttpUrl(value.replace('{CHECKOUT_SESSION_ID}', 'cs'))) {
        return invalidRequest('Not a valid URL', { code: 'url_invalid', param: name });
      }
      urls[name] = value;
    }
    const metadata = metadataFrom(body.metadata);
    if (metadata instanceof StripeError) return metadata;
    const clientReferenceId = stringParam(body, 'client_reference_id');
    if (clientReferenceId instanceof StripeError) return clientReferenceId;
    const customerEmail = stringParam(body, 'customer_email');
    if (customerEmail instanceof StripeError) return customerEmail;
    if (customerEmail !== null && !isEmail(customerEmail)) {
      return invalidRequest(`Invalid email address: ${customerEmail}`, {
        code: 'email_invalid',
        param: 'customer_email',
      });
    }
    const created = Math.floor(Date.now() / 1000);
    const expiresAt =
      body.expires_at === undefined ? created + sessionLifetimeSeconds : Number(body.expires_at);
    if (!Number.isSafeInteger(expiresAt)) return invalidInteger('expires_at', body.expires_at);
    const id = `cs_test_${randomId(58)}`;
    const version = request.headers['stripe-version'];
    return {
      secretKey: request.secretKey,
      reference: id,
      checkoutId: id,
      id,
      created,
      expiresAt,
      lineItems,
      amountTotal: lineItems.reduce((sum, item) => sum + item.unitAmount * item.quantity, 0),
      currency: currency ?? 'usd',
      clientReferenceId,
      customerEmail,
      successUrl: urls.success_url,
      cancelUrl: urls.cancel_url,
      metadata,
      apiVersion: typeof version === 'string' && version !== '' ? version : defaultApiVersion,
      status: 'open',
      paymentStatus: 'unpaid',
      paymentIntent: null,
      lastError: undefined,
    };
  }

  function retrieveSession(request: ApiRequest, params: Params): ApiResponse {
    const session = ledger.get(request.secretKey, params.id ?? '');
    return session ? answer(200, sessionObject(session)) : fail(noSuchSession(params.id ?? ''));
  }

  function expireSession(request: ApiRequest, params: Params): ApiResponse {
    return idempotent(request, () => {
      const session = ledger.get(request.secretKey, params.id ?? '');
      if (!session) return fail(noSuchSession(params.id ?? ''));
      if (session.status !== 'open') {
        return fail(
          invalidRequest(
            `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
          ),
        );
      }
      session.status = 'expired';
      sendEvent(session, 'checkout.session.expired');
      return answer(200, sessionObject(session));
    });
  }

  const routes = [
    route('POST', '/v1/checkout/sessions', createSession),
    route('GET', '/v1/checkout/sessions/:id', retrieveSession),
    route('POST', '/v1/checkout/sessions/:id/expire', expireSession),
  ];

  function sessionObject(s: StripeSession): Record<string, unknown> {
    const complete = s.status === 'complete';
    return {
      id: s.id,
      object: 'checkout.session',
      after_expiration: null,
      allow_promotion_codes: null,
      amount_subtotal: s.amountTotal,
      amount_total: s.amountTotal,
      automatic_tax: { enabled: false, liability: null, status: null },
      billing_address_collection: null,
      cancel_url: s.cancelUrl,
      client_reference_id: s.clientReferenceId,
      client_secret: null,
      consent: null,
      consent_collection: null,
      created: s.created,
      currency: s.currency,
      custom_fields: [],
      custom_text: {
        after_submit: null,
        shipping_address: null,
        submit: null,
        terms_of_service_acceptance: null,
      },
      customer: null,
      customer_creation: 'if_required',
      customer_details: complete
        ? {
            address: null,
            email: s.customerEmail ?? 'customer@example.com',
            name: null,
            phone: null,
            tax_exempt: 'none',
            tax_ids: [],
          }
        : null,
      customer_email: s.customerEmail,
      expires_at: s.expiresAt,
      invoice: null,
      invoice_creation: null,
      livemode: false,
      locale: null,
      metadata: s.metadata,
      mode: 'payment',
      payment_intent: s.paymentIntent,
      payment_link: null,
      payment_method_collection: 'if_required',
      payment_method_options: {},
      payment_method_types: ['card'],
      payment_status: s.paymentStatus,
      phone_number_collection: { enabled: false },
      recovered_from: null,
      setup_intent: null,
      shipping_address_collection: null,
      shipping_cost: null,
      shipping_details: null,
      shipping_options: [],
      status: s.status,
      submit_type: null,
      subscription: null,
      success_url: s.successUrl,
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
      ui_mode: 'hosted',
      url: s.status === 'open' ? `${context.baseUrl()}/checkout/${s.id}` : null,
    };
  }

  function sendEvent(session: StripeSession, type: string): void {
    const account = context.account(session.secretKey);
    if (!account?.webhookUrl) return;
    const event = {
      id: `evt_${randomId(24)}`,
      object: 'event',
      api_version: session.apiVersion,
      created: Math.floor(Date.now() / 1000),
      data: { object: sessionObject(session) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    // Stripe sends pretty-printed JSON: a receiver that re-serialises before verifying fails.
    const body = JSON.stringify(event, null, 2);
    const secret = account.webhookSecret ?? '';
    const decoy = randomId(32);
    context.webhooks.send({
      event: type,
      url: account.webhookUrl,
      body,
      headers: () => {
        // A fresh timestamp on every attempt, as Stripe re-signs retries.
        const t = Math.floor(Date.now() / 1000);
        const v1 = hmacHex('sha256', secret, `${t}.${body}`);
        const v0 = hmacHex('sha256', decoy, `${t}.${body}`);
        return {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'stripe-signature': `t=${t},v1=${v1},v0=${v0}`,
        };
      },
      delivered: (status) => status >= 200 && status < 300,
    });
  }

  function view(checkoutId: string): CheckoutView | undefined {
    const session = ledger.checkout(checkoutId);
    if (!session) return undefined;
    return {
      reference: session.clientReferenceId ?? session.id,
      amount: `${session.currency.toUpperCase()} ${formatMajor(session.amountTotal, session.currency)}`,
      customer: session.customerEmail ?? undefined,
      open: session.status === 'open',
      status: session.status,
      notice: session.lastError,
    };
  }

  /** As at `expires_at`: an open session lapses and `checkout.session.expired` is sent. */
  function lapse(checkoutId: string): Completion | undefined {
    const session = ledger.checkout(checkoutId);
    if (!session) return undefined;
    if (session.status !== 'open') {
      return { ok: false, status: session.status, message: `This Checkout Session is ${session.status}.` };
    }
    session.status = 'expired';
    sendEvent(session, 'checkout.session.expired');
    return { ok: true, status: session.status, redirectUrl: undefined };
  }

  function complete(checkoutId: string, outcome: Outcome, paid?: Paid): Completion | undefined {
    const session = ledger.checkout(checkoutId);
    if (!session) return undefined;
    if (session.status !== 'open') {
      return { ok: false, status: session.status, message: `This Checkout Session is ${session.status}.` };
    }
    if (outcome === 'decline') {
      session.lastError = 'Your card was declined.';
      return { ok: true, status: session.status, redirectUrl: undefined };
    }
    session.status = 'complete';
    session.paymentStatus = 'paid';
    if (paid?.amount !== undefined) session.amountTotal = paid.amount;
    if (paid?.currency !== undefined) session.currency = paid.currency.toLowerCase();
    session.paymentIntent = `pi_${randomId(24)}`;
    session.lastError = undefined;
    sendEvent(session, 'checkout.session.completed');
    const redirectUrl = session.successUrl?.replaceAll('{CHECKOUT_SESSION_ID}', session.id) ?? undefined;
    return { ok: true, status: session.status, redirectUrl };
  }

  return {
    name: 'stripe',
    title: 'Stripe',
    keyPattern: /^sk_test_[A-Za-z0-9]+$/,
    webhookSecretPattern: /^whsec_[A-Za-z0-9+/=]+$/,
    webhookSecretHint: "Stripe needs the endpoint's signing secret (whsec_…) as webhookSecret.",
    missingKey: () =>
      fail(
        new StripeError(401, {
          type: 'invalid_request_error',
          message:
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
        }),
      ),
    invalidKey: () =>
      fail(new StripeError(401, { type: 'invalid_request_error', message: 'Invalid API Key provided.' })),
    unavailable: () =>
      fail(
        new StripeError(503, {
          type: 'api_error',
          message: 'Stripe is temporarily unavailable. Please retry the request.',
        }),
      ),
    notFound: (method, path) =>
      fail(
        new StripeError(404, {
          type: 'invalid_request_error',
          message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
        }),
      ),
    // Stripe refuses a version it does not have; this sandbox has exactly the adapter's.
    handle: (request) => {
      const version = request.headers['stripe-version'];
      if (typeof version === 'string' && version !== '' && version !== defaultApiVersion) {
        return fail(invalidRequest(`Invalid Stripe API version: ${version}`));
      }
      return dispatch(routes, request);
    },
    view,
    complete,
    lapse,
    checkoutIds: (reference, secretKey) =>
      ledger
        .filter(
          (s) =>
            (s.id === reference || s.clientReferenceId === reference) &&
            (secretKey === undefined || s.secretKey === secretKey),
        )
        .map((s) => s.checkoutId),
    reset: () => {
      ledger.clear();
      idempotency.clear();
    },
  };
}

function noSuchSession(id: string): StripeError {
  return new StripeError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such checkout.session: '${id}'`,
    param: 'session',
    doc_url: 'https://stripe.com/docs/error-codes/resource-missing',
  });
}

function lineItem(item: FormValue, param: string): (LineItem & { readonly currency: string }) | StripeError {
  if (!isRecord(item)) return invalidRequest('Invalid object', { param });
  const form = item as Record<string, FormValue>;
  if (form.price !== undefined) {
    return new StripeError(400, {
      type: 'invalid_request_error',
      code: 'resource_missing',
      message: `No such price: '${String(form.price)}'`,
      param: `${param}[price]`,
    });
  }
  const priceData = form.price_data;
  if (priceData === undefined) return missingParam(`${param}[price_data]`);
  if (!isRecord(priceData)) return invalidRequest('Invalid object', { param: `${param}[price_data]` });
  const price = priceData as Record<string, FormValue>;
  const currency = price.currency;
  if (currency === undefined) return missingParam(`${param}[price_data][currency]`);
  if (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency)) {
    return invalidRequest(`Invalid currency: ${String(currency).toLowerCase()}`, {
      param: `${param}[price_data][currency]`,
    });
  }
  const unitAmount = price.unit_amount;
  if (unitAmount === undefined) return missingParam(`${param}[price_data][unit_amount]`);
  if (typeof unitAmount !== 'string' || !/^\d{1,8}$/.test(unitAmount)) {
    return invalidInteger(`${param}[price_data][unit_amount]`, unitAmount);
  }
  const product = price.product_data;
  if (product === undefined) return missingParam(`${param}[price_data][product_data]`);
  const name = isRecord(product) ? (product as Record<string, FormValue>).name : undefined;
  if (typeof name !== 'string' || name.trim() === '')
    return missingParam(`${param}[price_data][product_data][name]`);
  const quantity = form.quantity;
  if (quantity === undefined) return missingParam(`${param}[quantity]`);
  if (typeof quantity !== 'string' || !/^[1-9]\d{0,5}$/.test(quantity)) {
    return invalidInteger(`${param}[quantity]`, quantity);
  }
  return {
    name,
    unitAmount: Number(unitAmount),
    quantity: Number(quantity),
    currency: currency.toLowerCase(),
  };
}

function metadataFrom(value: FormValue | undefined): Record<string, string> | StripeError {
  if (value === undefined || value === '') return {};
  if (!isRecord(value)) return invalidRequest('Invalid object', { param: 'metadata' });
  const metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value as Record<string, FormValue>)) {
    if (typeof entry !== 'string') return invalidRequest('Invalid object', { param: `metadata[${key}]` });
    if (key.length > 40)
      return invalidRequest('Metadata keys can be at most 40 characters.', { param: 'metadata' });
    if (entry.length > 500)
      return invalidRequest('Metadata values can be at most 500 characters.', { param: 'metadata' });
    metadata[key] = entry;
  }
  return metadata;
}

function stringParam(body: Record<string, FormValue>, name: string): string | null | StripeError {
  const value = body[name];
  if (value === undefined || value === '') return null;
  return typeof value === 'string' ? value : invalidRequest(`Invalid string: ${name}`, { param: name });
}
