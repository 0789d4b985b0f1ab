import type * as Api from './openapi.ts';
import type { components, operations } from './openapi.ts';
import { type Credential, credentials, type RouteKey } from './tables.ts';
import { type VerificationResult, type WebhookHeaders, verifyWebhookSignature } from './webhook-signature.ts';

/**
 * `@paybridge/client`: one typed method per route of the PayBridge API. The request and answer
 * types are generated from the OpenAPI document (`./openapi.ts`, by openapi-typescript); the
 * methods are written by hand on top of them; which credential a call sends comes from the route
 * table (`./tables.ts`, generated too). No runtime dependencies: `fetch` and `node:crypto` only.
 * Errors are thrown as `PayBridgeError` carrying our error body.
 *
 * ```ts
 * const paybridge = createClient({ baseUrl: 'https://api.paybridge.example', apiKey: process.env.PAYBRIDGE_KEY });
 * const payment = await paybridge.payments.create(
 *   { amount: 1075000, currency: 'NGN', customer: { email: 'ada@example.com' } },
 *   { idempotencyKey: `order-${order.id}` },
 * );
 * // later, in your webhook route (raw body, not re-serialised JSON):
 * const event = verifyWebhook(process.env.PAYBRIDGE_WEBHOOK_SECRET, rawBody, request.headers);
 * ```
 */

// ---- types -------------------------------------------------------------------------------

/** Every type the OpenAPI document defines, as generated: `paths`, `operations`, `components`. */
export type * as OpenApi from './openapi.ts';
export type { Credential, RouteKey } from './tables.ts';
export type { WebhookHeaders } from './webhook-signature.ts';

type Schemas = components['schemas'];
/** The JSON body an operation takes. */
type BodyOf<K extends keyof operations> = operations[K] extends {
  requestBody: { content: { 'application/json': infer B } };
}
  ? B
  : never;
/** An operation's query string, with `limit` as a number (the wire carries text). */
type QueryOf<K extends keyof operations> = operations[K]['parameters'] extends { query?: infer Q }
  ? [NonNullable<Q>] extends [never]
    ? Record<string, never>
    : {
        [P in keyof NonNullable<Q>]?:
          (P extends 'limit' ? number : NonNullable<NonNullable<Q>[P]>) | undefined;
      }
  : never;

export type Mode = 'test' | 'live';

/* eslint-disable @typescript-eslint/no-empty-object-type -- a named interface per schema: declarations and editors say `Payment`, not its 40 fields */
export interface Payment extends Api.SchemaPayment {}
export interface PaymentLink extends Api.SchemaPaymentLink {}
export interface Refund extends Api.SchemaRefund {}
export interface Balance extends Api.SchemaBalance {}
export interface BalanceTransaction extends Api.SchemaBalanceTransaction {}
export interface ProviderConfig extends Api.SchemaProviderConfig {}
export interface WebhookEndpoint extends Api.SchemaWebhookEndpoint {}
export interface WebhookEndpointWithSecret extends Api.SchemaWebhookEndpointWithSecret {}
export interface Event extends Api.SchemaEvent {}
export interface Delivery extends Api.SchemaDelivery {}
export interface DeliveryAttempt extends Api.SchemaDeliveryAttempt {}
export interface DeliveryAttemptList extends Api.SchemaDeliveryAttemptList {}
export interface ApiKey extends Api.SchemaApiKey {}
export interface ApiKeyWithSecret extends Api.SchemaApiKeyWithSecret {}
export interface Merchant extends Api.SchemaMerchant {}
export interface User extends Api.SchemaUser {}
export interface Me extends Api.SchemaMe {}
export interface MeUpdate extends Api.SchemaMeUpdate {}
export interface Tokens extends Api.SchemaTokens {}
export interface Registration extends Api.SchemaRegistration {}
export interface EmailVerification extends Api.SchemaEmailVerification {}
export interface VerificationSent extends Api.SchemaVerificationSent {}
export interface PasswordResetAccepted extends Api.SchemaPasswordResetAccepted {}
export interface AuditEntry extends Api.SchemaAuditEntry {}
export interface SecurityEvent extends Api.SchemaSecurityEvent {}
export interface Health extends Api.SchemaHealth {}
export interface Resent extends Api.SchemaResent {}
export interface Recovered extends Api.SchemaRecovered {}
/* eslint-enable @typescript-eslint/no-empty-object-type */
/** One entry of a payment's activity: a provider webhook received (with its signature result) or a verify call. */
export type PaymentActivity = Api.SchemaPaymentActivity;
/** The body of one webhook delivery, per event type (the document's `webhooks`). */
export type WebhookEvent = {
  [K in keyof Schemas]: K extends `${string}Webhook` ? Schemas[K] : never;
}[keyof Schemas];
/** Any webhook delivery's body, as `verifyWebhook` hands it back; narrow on `type` for `WebhookEvent`. */
export type WebhookPayload = Omit<WebhookEvent, 'data'> & { data: { object: unknown } };
export type ApiErrorBody = Schemas['Error']['error'];
export type EventType = WebhookEvent['type'];
export interface Page<T> {
  data: T[];
  hasMore: boolean;
  nextCursor: string | null;
}

export type CreatePaymentInput = BodyOf<'createPayment'>;
export type CreatePaymentLinkInput = BodyOf<'createPaymentLink'>;
export type UpdatePaymentLinkInput = BodyOf<'updatePaymentLink'>;
export type CreateRefundInput = BodyOf<'createRefund'>;
export type ConfigureProviderInput = BodyOf<'configureProvider'>;
export type CreateWebhookEndpointInput = BodyOf<'createWebhookEndpoint'>;
export type UpdateWebhookEndpointInput = BodyOf<'updateWebhookEndpoint'>;
export type RecoverInput = BodyOf<'recoverWebhookEndpoint'>;
export type ResendInput = BodyOf<'resendEvent'>;
export type RegisterInput = BodyOf<'register'>;
export type LoginInput = BodyOf<'login'>;
export type ChangePasswordInput = BodyOf<'changePassword'>;
export type RefreshInput = BodyOf<'refreshSession'>;
export type VerifyEmailInput = BodyOf<'verifyEmail'>;
export type RequestPasswordResetInput = BodyOf<'requestPasswordReset'>;
export type ConfirmPasswordResetInput = BodyOf<'confirmPasswordReset'>;
export type CreateApiKeyInput = BodyOf<'createApiKey'>;
export type UpdateMeInput = BodyOf<'updateMe'>;

export type ListPaymentsQuery = QueryOf<'listPayments'>;
export type ListRefundsQuery = QueryOf<'listRefunds'>;
export type ListBalanceTransactionsQuery = Omit<QueryOf<'listBalanceTransactions'>, 'format'>;
export type ListEventsQuery = QueryOf<'listEvents'>;
export type ListProvidersQuery = QueryOf<'listProviders'>;
export type RemoveProviderQuery = QueryOf<'deleteProvider'>;
export type PageQuery = QueryOf<'listApiKeys'>;
type AuditQuery = QueryOf<'listAuditLogs'>;
type SecurityEventsQuery = QueryOf<'listSecurityEvents'>;
type MeQuery = QueryOf<'getMe'>;

export interface ClientOptions {
  /** Where the API is, e.g. `https://api.paybridge.example` (no trailing path needed). */
  readonly baseUrl: string;
  /** `sk_test_…` / `sk_live_…`: sent to the routes that take an API key. */
  readonly apiKey?: string | undefined;
  /** A dashboard access token: sent to dashboard routes, and to the others when there is no API key. */
  readonly accessToken?: string | undefined;
  /** With a dashboard token: the mode to act in (`PayBridge-Mode`); an API key has its own. */
  readonly mode?: Mode | undefined;
  /** A fetch of your own (instrumentation, tests); the global one by default. */
  readonly fetch?: typeof fetch;
}

/** An answer in PayBridge's error shape (or a gateway failure made to look like one). */
export class PayBridgeError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string;
  readonly param: string | undefined;
  readonly requestId: string | undefined;
  /** The error body as received. */
  readonly body: unknown;
  readonly headers: Headers;

  constructor(status: number, body: unknown, headers: Headers) {
    const error = isErrorBody(body) ? body.error : undefined;
    super(error?.message ?? `PayBridge answered HTTP ${status}`);
    this.name = 'PayBridgeError';
    this.status = status;
    this.type = error?.type ?? (status >= 500 ? 'api' : 'invalid_request');
    this.code = error?.code ?? `http_${status}`;
    this.param = error?.param;
    this.requestId = error?.requestId ?? headers.get('x-request-id') ?? undefined;
    this.body = body;
    this.headers = headers;
  }
}

function isErrorBody(body: unknown): body is { error: ApiErrorBody } {
  const error = (body as { error?: unknown } | null)?.error as Record<string, unknown> | undefined;
  return typeof error === 'object' && error !== null && typeof error.code === 'string';
}

// ---- transport ---------------------------------------------------------------------------

type Query = Record<string, string | number | boolean | undefined>;

interface Call {
  readonly params?: Record<string, string>;
  readonly query?: Query | undefined;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

function credentialFor(kind: Credential, options: ClientOptions): string | undefined {
  switch (kind) {
    case 'none':
    case 'providerSignature':
      return undefined;
    case 'dashboard':
    case 'admin':
      return options.accessToken;
    case 'apiKeyOrDashboard':
      return options.apiKey ?? options.accessToken;
  }
}

function transport(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  return async function call<T>(key: RouteKey, call: Call = {}): Promise<T> {
    if (!Object.hasOwn(credentials, key)) throw new TypeError(`${key} is not a PayBridge route`);
    const [method, template] = key.split(' ') as [string, string];
    const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const value = call.params?.[name];
      if (value === undefined || value === '') throw new TypeError(`${key} needs \`${name}\``);
      return encodeURIComponent(value);
    });
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) search.set(name, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
    const token = credentialFor(credentials[key], options);
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.mode && token && token === options.accessToken) headers['paybridge-mode'] = options.mode;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    const response = await doFetch(`${base}${path}${search.size > 0 ? `?${search}` : ''}`, {
      method,
      headers,
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
    });
    const text = await response.text();
    let body: unknown = undefined;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!response.ok) throw new PayBridgeError(response.status, body, response.headers);
    return body as T;
  };
}

const id = (value: string) => ({ id: value });

// ---- the client --------------------------------------------------------------------------

/** A client: one method per route, grouped by resource. */
export type PayBridgeClient = {
  /** A client like this one with other credentials or mode, e.g. after `auth.login`. */
  with(changes: Partial<ClientOptions>): PayBridgeClient;
} & ReturnType<typeof methods>;

export function createClient(options: ClientOptions): PayBridgeClient {
  return {
    with: (changes: Partial<ClientOptions>) => createClient({ ...options, ...changes }),
    ...methods(transport(options)),
  };
}

function methods(call: ReturnType<typeof transport>) {
  return {
    health: () => call<Health>('GET /health'),

    auth: {
      register: (body: RegisterInput) => call<Registration>('POST /v1/auth/register', { body }),
      login: (body: LoginInput) => call<Tokens>('POST /v1/auth/login', { body }),
      /** Rotates the refresh token: keep the new one from the answer. */
      refresh: (refreshToken: string) =>
        call<Tokens>('POST /v1/auth/refresh', { body: { refreshToken } satisfies RefreshInput }),
      logout: () => call<void>('POST /v1/auth/logout'),
      logoutEverywhere: () => call<void>('POST /v1/auth/logout-everywhere'),
      /** Every session ends, this one included: sign in again with the new password. */
      changePassword: (body: ChangePasswordInput) => call<void>('POST /v1/auth/password', { body }),
      /** Opens the emailed verification link (its `#token=`): live mode opens to the account. */
      verifyEmail: (body: VerifyEmailInput) =>
        call<EmailVerification>('POST /v1/auth/verify-email', { body }),
      /** Emails the signed-in user a new verification link. */
      resendVerification: () => call<VerificationSent>('POST /v1/auth/verify-email/resend'),
      /** Always accepted, whether or not an account uses the address; a link is emailed if one does. */
      requestPasswordReset: (body: RequestPasswordResetInput) =>
        call<PasswordResetAccepted>('POST /v1/auth/password-reset', { body }),
      /** Sets the new password with the emailed link's token; every session of the user ends. */
      confirmPasswordReset: (body: ConfirmPasswordResetInput) =>
        call<void>('POST /v1/auth/password-reset/confirm', { body }),
    },

    me: {
      get: (query?: MeQuery) => call<Me>('GET /v1/me', { query }),
      update: (body: UpdateMeInput) => call<MeUpdate>('PATCH /v1/me', { body }),
    },

    apiKeys: {
      /** The answer's `key` is the secret, shown this once. */
      create: (body: CreateApiKeyInput) => call<ApiKeyWithSecret>('POST /v1/api-keys', { body }),
      list: (query?: PageQuery) => call<Page<ApiKey>>('GET /v1/api-keys', { query }),
      revoke: (keyId: string) => call<ApiKey>('POST /v1/api-keys/{id}/revoke', { params: id(keyId) }),
    },

    auditLogs: {
      list: (query?: AuditQuery) => call<Page<AuditEntry>>('GET /v1/audit-logs', { query }),
    },

    securityEvents: {
      list: (query?: SecurityEventsQuery) => call<Page<SecurityEvent>>('GET /v1/security-events', { query }),
    },

    providers: {
      /** Stores credentials for one provider and mode; paste the answer's `webhookUrl` into its dashboard. */
      configure: (provider: string, body: ConfigureProviderInput) =>
        call<ProviderConfig>('PUT /v1/providers/{provider}', { params: { provider }, body }),
      list: (query?: ListProvidersQuery) => call<Page<ProviderConfig>>('GET /v1/providers', { query }),
      remove: (provider: string, query?: RemoveProviderQuery) =>
        call<void>('DELETE /v1/providers/{provider}', { params: { provider }, query }),
    },

    payments: {
      /**
       * Starts a checkout. `idempotencyKey` is required (e.g. your order id): a retry from
       * anywhere with the same key can never create a second payment. A random key made
       * here would protect nothing, so the client does not invent one.
       */
      create: (body: CreatePaymentInput, opts: { idempotencyKey: string }) =>
        call<Payment>('POST /v1/payments', {
          body,
          headers: { 'idempotency-key': opts.idempotencyKey },
        }),
      get: (paymentId: string) => call<Payment>('GET /v1/payments/{id}', { params: id(paymentId) }),
      list: (query?: ListPaymentsQuery) => call<Page<Payment>>('GET /v1/payments', { query }),
      /** Asks the provider now: moves the payment forward if it has, and syncs its open refunds. */
      verify: (paymentId: string) =>
        call<Payment>('POST /v1/payments/{id}/verify', { params: id(paymentId) }),
      /** Provider webhooks received (with their signature result) and verify calls, oldest first. */
      activity: (paymentId: string) =>
        call<Page<PaymentActivity>>('GET /v1/payments/{id}/activity', { params: id(paymentId) }),
    },

    refunds: {
      /**
       * Refunds `amount` (minor units; omitted = everything still refundable) of a succeeded
       * payment. `idempotencyKey` is required, as for payments: a retry never refunds twice.
       */
      create: (paymentId: string, body: CreateRefundInput, opts: { idempotencyKey: string }) =>
        call<Refund>('POST /v1/payments/{id}/refunds', {
          params: id(paymentId),
          body,
          headers: { 'idempotency-key': opts.idempotencyKey },
        }),
      get: (refundId: string) => call<Refund>('GET /v1/refunds/{id}', { params: id(refundId) }),
      list: (query?: ListRefundsQuery) => call<Page<Refund>>('GET /v1/refunds', { query }),
      ofPayment: (paymentId: string) =>
        call<Page<Refund>>('GET /v1/payments/{id}/refunds', { params: id(paymentId) }),
    },

    balance: {
      /** What the ledger says sits at each provider, per currency. */
      get: () => call<Balance>('GET /v1/balance'),
      /** Ledger postings, newest first, each with the payment or refund that caused it. */
      transactions: (query?: ListBalanceTransactionsQuery) =>
        call<Page<BalanceTransaction>>('GET /v1/balance-transactions', { query }),
      /** The same page as CSV text, for a spreadsheet. */
      transactionsCsv: (query?: ListBalanceTransactionsQuery) =>
        call<string>('GET /v1/balance-transactions', { query: { ...query, format: 'csv' } }),
    },

    webhookEndpoints: {
      /** The answer's `secret` (`whsec_…`) is shown this once: keep it for `verifyWebhook`. */
      create: (body: CreateWebhookEndpointInput) =>
        call<WebhookEndpointWithSecret>('POST /v1/webhook-endpoints', { body }),
      list: () => call<Page<WebhookEndpoint>>('GET /v1/webhook-endpoints'),
      get: (endpointId: string) =>
        call<WebhookEndpoint>('GET /v1/webhook-endpoints/{id}', { params: id(endpointId) }),
      update: (endpointId: string, body: UpdateWebhookEndpointInput) =>
        call<WebhookEndpoint>('PATCH /v1/webhook-endpoints/{id}', { params: id(endpointId), body }),
      remove: (endpointId: string) =>
        call<void>('DELETE /v1/webhook-endpoints/{id}', { params: id(endpointId) }),
      /** A new secret; the old one keeps signing beside it for 24 h. */
      rotateSecret: (endpointId: string) =>
        call<WebhookEndpointWithSecret>('POST /v1/webhook-endpoints/{id}/rotate-secret', {
          params: id(endpointId),
        }),
      test: (endpointId: string) =>
        call<Event>('POST /v1/webhook-endpoints/{id}/test', { params: id(endpointId) }),
      /** Sends again every delivery to the endpoint that failed since `since`. */
      recover: (endpointId: string, body: RecoverInput) =>
        call<Recovered>('POST /v1/webhook-endpoints/{id}/recover', {
          params: id(endpointId),
          body,
        }),
    },

    events: {
      list: (query?: ListEventsQuery) => call<Page<Event>>('GET /v1/events', { query }),
      get: (eventId: string) => call<Event>('GET /v1/events/{id}', { params: id(eventId) }),
      attempts: (eventId: string) =>
        call<DeliveryAttemptList>('GET /v1/events/{id}/attempts', { params: id(eventId) }),
      resend: (eventId: string, body: ResendInput = {}) =>
        call<Resent>('POST /v1/events/{id}/resend', { params: id(eventId), body }),
    },

    paymentLinks: {
      /** A hosted payment page: share the answer's `url`, or print its QR code (`qrCodeUrl`). */
      create: (body: CreatePaymentLinkInput) => call<PaymentLink>('POST /v1/payment-links', { body }),
      list: (query?: PageQuery) => call<Page<PaymentLink>>('GET /v1/payment-links', { query }),
      get: (linkId: string) => call<PaymentLink>('GET /v1/payment-links/{id}', { params: id(linkId) }),
      /** `active: false` turns the page off; title and description change what it shows. */
      update: (linkId: string, body: UpdatePaymentLinkInput) =>
        call<PaymentLink>('PATCH /v1/payment-links/{id}', { params: id(linkId), body }),
      payments: (linkId: string, query?: PageQuery) =>
        call<Page<Payment>>('GET /v1/payment-links/{id}/payments', { params: id(linkId), query }),
    },
  };
}

// ---- webhooks ----------------------------------------------------------------------------

/** A delivery whose signature or timestamp does not check out; `reason` says which. */
export class WebhookVerificationError extends Error {
  readonly reason: Extract<VerificationResult, { valid: false }>['reason'] | 'invalid_body';
  constructor(reason: WebhookVerificationError['reason']) {
    super(`PayBridge webhook rejected: ${reason}`);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

/**
 * Verifies a PayBridge webhook delivery (Standard Webhooks: `webhook-id`,
 * `webhook-timestamp` within 5 minutes, `webhook-signature` by the endpoint's
 * `whsec_` secret, compared in constant time) and returns its event. `rawBody`
 * must be the bytes as received: re-serialised JSON does not verify. Throws
 * `WebhookVerificationError` otherwise. De-duplicate on the `webhook-id` header.
 */
export function verifyWebhook(
  secret: string | readonly string[],
  rawBody: string | Uint8Array,
  headers: WebhookHeaders | Headers,
  options: { now?: number; toleranceSeconds?: number } = {},
): WebhookPayload {
  const body = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
  const plain: Record<string, string> = {};
  if (headers instanceof Headers) headers.forEach((value, name) => (plain[name] = value));
  const result = verifyWebhookSignature({
    body,
    headers: headers instanceof Headers ? plain : headers,
    secrets: secret,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.toleranceSeconds === undefined ? {} : { toleranceSeconds: options.toleranceSeconds }),
  });
  if (!result.valid) throw new WebhookVerificationError(result.reason);
  try {
    return JSON.parse(body) as WebhookPayload;
  } catch {
    throw new WebhookVerificationError('invalid_body');
  }
}

// ---- money and events ----------------------------------------------------------------------

export { currencyCodes, currencyExponent, isCurrency, type CurrencyCode } from './money.ts';

/** Every event type an endpoint can subscribe to (besides `*`). */
export { eventTypes } from './tables.ts';
