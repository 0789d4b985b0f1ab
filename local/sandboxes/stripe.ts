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
 * - Refunds: https://docs.stripe.com/api/refunds — `POST /v1/refunds` (`payment_intent` or `charge`,
 *   `amount` in the charge's units, `reason`, `metadata`), `GET /v1/refunds/:id`, `GET /v1/refunds`
 *   (`payment_intent`, `charge`, `limit`, `starting_after`; newest first), `POST /v1/refunds/:id/cancel`
 *   (only `requires_action`); statuses `pending`/`requires_action`/`succeeded`/`failed`/`canceled`,
 *   `failure_reason`, `pending_reason`, `next_action.display_details`. Over-refund error text and code
 *   (`amount_too_large`, "Refund amount (…) is greater than unrefunded amount on charge (…)") as quoted in
 *   reactioncommerce/reaction#3704 and HealthByRo/aa-stripe#77; "Missing required param: charge." with
 *   neither id as in stripe/stripe-dotnet#2202.
 * - Refund events: `refund.created`, `refund.updated`, `refund.failed` (sent for charge refunds since
 *   2024-10-28.acacia; this face sends them whatever the pinned version, as the refunds domain listens
 *   to them), and `charge.refunded` with the charge object (`amount_refunded` cumulative, no expanded
 *   `refunds` list since 2022-11-15).
 *
 * Modelled behaviour: a declined card leaves the session `open` (the customer may try again) and
 * sends nothing; only an explicit expire (the real expire endpoint) sends `checkout.session.expired`.
 * Since 2022-08-01 a session's PaymentIntent is created when the customer first submits: a decline
 * leaves one in `requires_payment_method`, a payment makes it `succeeded` with a charge (`ch_…`) and a
 * balance transaction whose fee is a plausible 1.5% (not Stripe's price list). `payment_intent_data
 * [metadata]` is copied onto the PaymentIntent and its charge. `GET /v1/checkout/sessions/:id` honours
 * `expand[]=payment_intent` (and `.latest_charge`, `.latest_charge.balance_transaction`).
 * Only `price_data` line items exist here: a `price` id is answered as a missing resource.
 *
 * Refund timing follows the `refundOutcome` and `refundDelayMs` knobs, read per refund: `succeed`
 * answers `succeeded` at once when the delay is 0, else `pending` then `succeeded` after it; `fail`
 * answers `pending` and fails after the delay (`failure_reason: expired_or_canceled_card`); `hold`
 * stays `pending` and `action` stays `requires_action` until `settleRefund` (the control API).
 * A refund counts against the charge while `pending`/`requires_action`/`succeeded` and is given back
 * when it fails or is cancelled (*unconfirmed* for `requires_action`: we assume Stripe holds it).
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
  /** `payment_intent_data[metadata]`: copied onto the PaymentIntent and its charge. */
  readonly intentMetadata: Readonly<Record<string, string>>;
  readonly apiVersion: string;
  status: 'open' | 'complete' | 'expired';
  paymentStatus: 'unpaid' | 'paid';
  paymentIntent: string | null;
  intentCreated: number;
  intentStatus: 'requires_payment_method' | 'succeeded' | null;
  /** The successful charge (`ch_…`) and its balance transaction, once paid. */
  charge: string | null;
  balanceTransaction: string | null;
  /** Stripe's processing fee on the charge, in the charge's (Stripe) units. */
  fee: number;
  lastError: string | undefined;
}

type RefundStatus = 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';

interface StripeRefund {
  readonly id: string;
  readonly secretKey: string;
  readonly session: StripeSession;
  readonly created: number;
  /** In the charge's (Stripe) units. */
  readonly amount: number;
  readonly reason: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly balanceTransaction: string;
  status: RefundStatus;
  failureReason: string | null;
  failureBalanceTransaction: string | null;
  timer: NodeJS.Timeout | undefined;
}

/** Basis points of the sandbox's processing fee: plausible, not Stripe's price list. */
const feeBasisPoints = 150;
const refundReasons = ['duplicate', 'fraudulent', 'requested_by_customer'];
const refundParameters = new Set(
  'payment_intent charge amount reason metadata expand instructions_email refund_application_fee reverse_transfer origin'.split(
    ' ',
  ),
);

/** Parameters Stripe accepts on create that the sandbox takes and ignores; anything else is unknown. */
const ignoredParameters = [
  'allow_promotion_codes billing_address_collection customer customer_creation expand locale',
  'payment_method_types phone_number_collection submit_type ui_mode',
].flatMap((line) => line.split(' '));
const knownParameters = new Set([
  ...'mode line_items client_reference_id customer_email success_url cancel_url metadata expires_at'.split(
    ' ',
  ),
  'payment_intent_data',
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
    const intentData = body.payment_intent_data;
    if (intentData !== undefined && !isRecord(intentData)) {
      return invalidRequest('Invalid object', { param: 'payment_intent_data' });
    }
    // Only the metadata is modelled; the other payment_intent_data fields are taken and ignored.
    const intentMetadata = metadataFrom(
      intentData === undefined ? undefined : (intentData as Record<string, FormValue>).metadata,
      'payment_intent_data[metadata]',
    );
    if (intentMetadata instanceof StripeError) return intentMetadata;
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
      intentMetadata,
      apiVersion: typeof version === 'string' && version !== '' ? version : defaultApiVersion,
      status: 'open',
      paymentStatus: 'unpaid',
      paymentIntent: null,
      intentCreated: created,
      intentStatus: null,
      charge: null,
      balanceTransaction: null,
      fee: 0,
      lastError: undefined,
    };
  }

  function retrieveSession(request: ApiRequest, params: Params): ApiResponse {
    const session = ledger.get(request.secretKey, params.id ?? '');
    if (!session) return fail(noSuchSession(params.id ?? ''));
    const expand = new Set([...request.query.getAll('expand[]'), ...request.query.getAll('expand')]);
    for (const path of expand) {
      if (!expandable.has(path)) {
        return fail(invalidRequest(`This property cannot be expanded (${path}).`, { param: 'expand' }));
      }
    }
    // Expanding `a.b.c` expands `a` and `a.b` on the way, as Stripe does.
    const withParents = new Set(
      [...expand].flatMap((path) => path.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'))),
    );
    return answer(200, sessionObject(session, withParents));
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

  // -------------------------------------------------------------------------
  // Refunds
  // -------------------------------------------------------------------------

  const refunds = new Map<string, StripeRefund>();
  const refundTimers = new Set<NodeJS.Timeout>();

  /** What counts against the charge: every refund not failed or cancelled. */
  function amountRefunded(session: StripeSession): number {
    let total = 0;
    for (const r of refunds.values()) {
      if (r.session === session && r.status !== 'failed' && r.status !== 'canceled') total += r.amount;
    }
    return total;
  }

  function createRefund(request: ApiRequest): ApiResponse {
    return idempotent(request, () => {
      const body = formBody(request);
      if (body instanceof StripeError) return fail(body);
      const created = refundFrom(request, body);
      if (created instanceof StripeError) return fail(created);
      refunds.set(created.id, created);
      const session = created.session;
      sendEvent(session, 'refund.created', refundObject(created));
      sendEvent(session, 'charge.refunded', chargeObject(session, new Set()));
      return answer(200, refundObject(created));
    });
  }

  function refundFrom(request: ApiRequest, body: Record<string, FormValue>): StripeRefund | StripeError {
    for (const name of Object.keys(body)) {
      if (!refundParameters.has(name)) {
        return invalidRequest(`Received unknown parameter: ${name}`, {
          code: 'parameter_unknown',
          param: name,
        });
      }
    }
    const intentId = stringParam(body, 'payment_intent');
    if (intentId instanceof StripeError) return intentId;
    const chargeId = stringParam(body, 'charge');
    if (chargeId instanceof StripeError) return chargeId;
    if (intentId === null && chargeId === null) return missingParam('charge');
    const session = ledger.filter(
      (s) =>
        s.secretKey === request.secretKey &&
        (intentId === null || s.paymentIntent === intentId) &&
        (chargeId === null || s.charge === chargeId),
    )[0];
    if (!session) {
      return intentId === null
        ? noSuchObject('charge', chargeId ?? '', 'charge', 400)
        : noSuchObject('payment_intent', intentId, 'payment_intent', 400);
    }
    if (session.intentStatus !== 'succeeded' || session.charge === null) {
      // *Unconfirmed* wording and code: Stripe's answer for a PaymentIntent that was never paid.
      return invalidRequest(
        `This PaymentIntent (${session.paymentIntent ?? ''}) does not have a successful charge to refund.`,
        { param: 'payment_intent' },
      );
    }
    const remaining = session.amountTotal - amountRefunded(session);
    let amount = remaining;
    if (body.amount !== undefined) {
      if (typeof body.amount !== 'string' || !/^\d{1,15}$/.test(body.amount) || Number(body.amount) <= 0) {
        return invalidRequest(`Invalid positive integer`, {
          code: 'parameter_invalid_integer',
          param: 'amount',
        });
      }
      amount = Number(body.amount);
    }
    if (remaining <= 0) {
      return invalidRequest(`Charge ${session.charge} has already been refunded.`, {
        code: 'charge_already_refunded',
      });
    }
    if (amount > remaining) {
      const money = (units: number) =>
        `${session.currency.toUpperCase()} ${formatMajor(units, session.currency)}`;
      const what = remaining === session.amountTotal ? 'charge amount' : 'unrefunded amount on charge';
      return invalidRequest(
        `Refund amount (${money(amount)}) is greater than ${what} (${money(remaining)})`,
        {
          code: 'amount_too_large',
          param: 'amount',
        },
      );
    }
    const reason = stringParam(body, 'reason');
    if (reason instanceof StripeError) return reason;
    if (reason !== null && !refundReasons.includes(reason)) {
      return invalidRequest(`Invalid reason: must be one of ${refundReasons.join(', ')}`, {
        param: 'reason',
      });
    }
    const metadata = metadataFrom(body.metadata);
    if (metadata instanceof StripeError) return metadata;

    const knobs = context.knobs();
    const refund: StripeRefund = {
      id: `re_${randomId(24)}`,
      secretKey: request.secretKey,
      session,
      created: Math.floor(Date.now() / 1000),
      amount,
      reason,
      metadata,
      balanceTransaction: `txn_${randomId(24)}`,
      status: 'pending',
      failureReason: null,
      failureBalanceTransaction: null,
      timer: undefined,
    };
    switch (knobs.refundOutcome) {
      case 'succeed':
        // Card refunds usually succeed at once; a queued one finishes after the delay.
        if (knobs.refundDelayMs === 0) refund.status = 'succeeded';
        else schedule(refund, 'succeeded', knobs.refundDelayMs);
        break;
      case 'fail':
        // Stripe never refuses a valid refund outright: it accepts it and fails it later.
        schedule(refund, 'failed', knobs.refundDelayMs);
        break;
      case 'action':
        refund.status = 'requires_action';
        break;
      case 'hold':
        break;
    }
    return refund;
  }

  function schedule(refund: StripeRefund, outcome: 'succeeded' | 'failed', delayMs: number): void {
    const timer = setTimeout(() => {
      refundTimers.delete(timer);
      refund.timer = undefined;
      finishRefund(refund, outcome);
    }, delayMs);
    refund.timer = timer;
    refundTimers.add(timer);
  }

  /** Ends a pending or requires_action refund and sends its event. */
  function finishRefund(refund: StripeRefund, outcome: 'succeeded' | 'failed' | 'canceled'): void {
    if (refund.timer !== undefined) {
      clearTimeout(refund.timer);
      refundTimers.delete(refund.timer);
      refund.timer = undefined;
    }
    refund.status = outcome;
    if (outcome === 'failed') {
      refund.failureReason = 'expired_or_canceled_card';
      refund.failureBalanceTransaction = `txn_${randomId(24)}`;
      // *Unconfirmed*: Stripe may also send refund.updated for a failure; this face sends refund.failed.
      sendEvent(refund.session, 'refund.failed', refundObject(refund));
    } else {
      sendEvent(refund.session, 'refund.updated', refundObject(refund));
    }
  }

  function settleRefund(refundId: string, outcome: 'succeeded' | 'failed'): Completion | undefined {
    const refund = refunds.get(refundId);
    if (!refund) return undefined;
    if (refund.status !== 'pending' && refund.status !== 'requires_action') {
      return {
        ok: false,
        status: refund.status,
        message: `Refund ${refund.id} is already ${refund.status}.`,
      };
    }
    finishRefund(refund, outcome);
    return { ok: true, status: refund.status, redirectUrl: undefined };
  }

  function ownRefund(request: ApiRequest, id: string): StripeRefund | undefined {
    const refund = refunds.get(id);
    return refund?.secretKey === request.secretKey ? refund : undefined;
  }

  function retrieveRefund(request: ApiRequest, params: Params): ApiResponse {
    const refund = ownRefund(request, params.id ?? '');
    return refund
      ? answer(200, refundObject(refund))
      : fail(noSuchObject('refund', params.id ?? '', 'id', 404));
  }

  function cancelRefund(request: ApiRequest, params: Params): ApiResponse {
    return idempotent(request, () => {
      const refund = ownRefund(request, params.id ?? '');
      if (!refund) return fail(noSuchObject('refund', params.id ?? '', 'id', 404));
      if (refund.status !== 'requires_action') {
        // *Unconfirmed* wording.
        return fail(
          invalidRequest(
            `Only refunds with status requires_action can be canceled. This refund has a status of ${refund.status}.`,
          ),
        );
      }
      finishRefund(refund, 'canceled');
      return answer(200, refundObject(refund));
    });
  }

  function listRefunds(request: ApiRequest): ApiResponse {
    const query = request.query;
    const limitText = query.get('limit');
    const limit = limitText === null ? 10 : Number(limitText);
    if (!/^\d+$/.test(limitText ?? '10') || limit < 1 || limit > 100) {
      return fail(
        invalidRequest('This value must be greater than or equal to 1 and less than or equal to 100.', {
          param: 'limit',
        }),
      );
    }
    const intentId = query.get('payment_intent');
    const chargeId = query.get('charge');
    if (
      intentId !== null &&
      !ledger.filter((s) => s.secretKey === request.secretKey && s.paymentIntent === intentId)[0]
    ) {
      return fail(noSuchObject('payment_intent', intentId, 'payment_intent', 400));
    }
    // Newest first, as Stripe lists; ties broken by creation order.
    let all = [...refunds.values()]
      .filter(
        (r) =>
          r.secretKey === request.secretKey &&
          (intentId === null || r.session.paymentIntent === intentId) &&
          (chargeId === null || r.session.charge === chargeId),
      )
      .reverse();
    const after = query.get('starting_after');
    if (after !== null) {
      const at = all.findIndex((r) => r.id === after);
      if (at < 0) return fail(noSuchObject('refund', after, 'starting_after', 400));
      all = all.slice(at + 1);
    }
    const page = all.slice(0, limit);
    return answer(200, {
      object: 'list',
      data: page.map(refundObject),
      has_more: all.length > limit,
      url: '/v1/refunds',
    });
  }

  function refundObject(r: StripeRefund): Record<string, unknown> {
    const s = r.session;
    return {
      id: r.id,
      object: 'refund',
      amount: r.amount,
      balance_transaction: r.balanceTransaction,
      charge: s.charge,
      created: r.created,
      currency: s.currency,
      destination_details: {
        card: {
          reference_status: r.status === 'succeeded' ? 'available' : 'pending',
          reference_type: 'acquirer_reference_number',
          type: 'refund',
        },
        type: 'card',
      },
      ...(r.status === 'failed'
        ? { failure_balance_transaction: r.failureBalanceTransaction, failure_reason: r.failureReason }
        : {}),
      metadata: r.metadata,
      ...(r.status === 'requires_action'
        ? {
            instructions_email: s.customerEmail,
            next_action: {
              type: 'display_details',
              display_details: {
                email_sent: {
                  email_sent_at: r.created,
                  email_sent_to: s.customerEmail ?? 'customer@example.com',
                },
                expires_at: r.created + 30 * 24 * 3600,
              },
            },
          }
        : {}),
      payment_intent: s.paymentIntent,
      pending_reason: r.status === 'pending' ? 'processing' : null,
      reason: r.reason,
      receipt_number: null,
      source_transfer_reversal: null,
      status: r.status,
      transfer_reversal: null,
    };
  }

  const routes = [
    route('POST', '/v1/checkout/sessions', createSession),
    route('GET', '/v1/checkout/sessions/:id', retrieveSession),
    route('POST', '/v1/checkout/sessions/:id/expire', expireSession),
    route('POST', '/v1/refunds', createRefund),
    route('GET', '/v1/refunds', listRefunds),
    route('GET', '/v1/refunds/:id', retrieveRefund),
    route('POST', '/v1/refunds/:id/cancel', cancelRefund),
  ];

  function paymentIntentObject(s: StripeSession, expand: ReadonlySet<string>): Record<string, unknown> {
    const paid = s.intentStatus === 'succeeded';
    return {
      id: s.paymentIntent,
      object: 'payment_intent',
      amount: s.amountTotal,
      amount_capturable: 0,
      amount_received: paid ? s.amountTotal : 0,
      capture_method: 'automatic_async',
      client_secret: `${s.paymentIntent ?? ''}_secret_${randomId(24)}`,
      confirmation_method: 'automatic',
      created: s.intentCreated,
      currency: s.currency,
      customer: null,
      description: null,
      last_payment_error: paid
        ? null
        : { code: 'card_declined', message: 'Your card was declined.', type: 'card_error' },
      latest_charge: expand.has('payment_intent.latest_charge') ? chargeObject(s, expand) : s.charge,
      livemode: false,
      metadata: s.intentMetadata,
      payment_method_types: ['card'],
      status: s.intentStatus,
    };
  }

  function chargeObject(s: StripeSession, expand: ReadonlySet<string>): Record<string, unknown> | null {
    if (s.charge === null) return null;
    const refunded = amountRefunded(s);
    return {
      id: s.charge,
      object: 'charge',
      amount: s.amountTotal,
      amount_captured: s.amountTotal,
      amount_refunded: refunded,
      balance_transaction: expand.has('payment_intent.latest_charge.balance_transaction')
        ? balanceTransactionObject(s)
        : s.balanceTransaction,
      captured: true,
      created: s.intentCreated,
      currency: s.currency,
      livemode: false,
      metadata: s.intentMetadata,
      paid: true,
      payment_intent: s.paymentIntent,
      refunded: refunded === s.amountTotal,
      status: 'succeeded',
    };
  }

  function balanceTransactionObject(s: StripeSession): Record<string, unknown> {
    return {
      id: s.balanceTransaction,
      object: 'balance_transaction',
      amount: s.amountTotal,
      currency: s.currency,
      fee: s.fee,
      fee_details: [
        {
          amount: s.fee,
          application: null,
          currency: s.currency,
          description: 'Stripe processing fees',
          type: 'stripe_fee',
        },
      ],
      net: s.amountTotal - s.fee,
      reporting_category: 'charge',
      source: s.charge,
      status: 'pending',
      type: 'charge',
    };
  }

  function sessionObject(s: StripeSession, expand: ReadonlySet<string> = new Set()): Record<string, unknown> {
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
      payment_intent:
        expand.has('payment_intent') && s.paymentIntent !== null
          ? paymentIntentObject(s, expand)
          : s.paymentIntent,
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

  /** Sends one event about `session` (its own object unless another is given: a refund, a charge). */
  function sendEvent(session: StripeSession, type: string, object?: Record<string, unknown> | null): void {
    const account = context.account(session.secretKey);
    if (!account?.webhookUrl) return;
    const event = {
      id: `evt_${randomId(24)}`,
      object: 'event',
      api_version: session.apiVersion,
      created: Math.floor(Date.now() / 1000),
      data: { object: object ?? sessionObject(session) },
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
    // The PaymentIntent comes to be at the customer's first attempt, declined or not.
    if (session.paymentIntent === null) {
      session.paymentIntent = `pi_${randomId(24)}`;
      session.intentCreated = Math.floor(Date.now() / 1000);
    }
    if (outcome === 'decline') {
      session.lastError = 'Your card was declined.';
      session.intentStatus = 'requires_payment_method';
      return { ok: true, status: session.status, redirectUrl: undefined };
    }
    session.status = 'complete';
    session.paymentStatus = 'paid';
    if (paid?.amount !== undefined) session.amountTotal = paid.amount;
    if (paid?.currency !== undefined) session.currency = paid.currency.toLowerCase();
    session.intentStatus = 'succeeded';
    session.charge = `ch_${randomId(24)}`;
    session.balanceTransaction = `txn_${randomId(24)}`;
    session.fee = feeOf(session.amountTotal, feeBasisPoints);
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
    settleRefund,
    checkoutIds: (reference, secretKey) =>
      ledger
        .filter(
          (s) =>
            (s.id === reference || s.clientReferenceId === reference) &&
            (secretKey === undefined || s.secretKey === secretKey),
        )
        .map((s) => s.checkoutId),
    reset: () => {
      for (const timer of refundTimers) clearTimeout(timer);
      refundTimers.clear();
      refunds.clear();
      ledger.clear();
      idempotency.clear();
    },
  };
}

const expandable: ReadonlySet<string> = new Set([
  'payment_intent',
  'payment_intent.latest_charge',
  'payment_intent.latest_charge.balance_transaction',
]);

/** Stripe's "No such …" answer: 404 for the object in the path, 400 for one named by a parameter. */
function noSuchObject(kind: string, id: string, param: string, status: 400 | 404): StripeError {
  return new StripeError(status, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${kind}: '${id}'`,
    param,
    doc_url: 'https://stripe.com/docs/error-codes/resource-missing',
  });
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

function metadataFrom(
  value: FormValue | undefined,
  param = 'metadata',
): Record<string, string> | StripeError {
  if (value === undefined || value === '') return {};
  if (!isRecord(value)) return invalidRequest('Invalid object', { param });
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
