import type * as z from 'zod/mini';
import type * as getMe from '../functions/api/get-me.ts';
import type * as listApiKeys from '../functions/api/list-api-keys.ts';
import type * as listAuditLogs from '../functions/api/list-audit-logs.ts';
import type * as listEvents from '../functions/api/list-events.ts';
import type * as listPayments from '../functions/api/list-payments.ts';
import type * as listRefunds from '../functions/api/list-refunds.ts';
import type * as listBalanceTransactions from '../functions/api/list-balance-transactions.ts';
import type { createRefundBody } from '../functions/api/create-refund.ts';
import type * as listProviders from '../functions/api/list-providers.ts';
import type * as listSecurityEvents from '../functions/api/list-security-events.ts';
import type * as deleteProvider from '../functions/api/delete-provider.ts';
import type { changePasswordBody } from '../functions/api/change-password.ts';
import type { configureProviderBody } from '../functions/api/configure-provider.ts';
import type { createApiKeyBody } from '../functions/api/create-api-key.ts';
import type { createPaymentBody } from '../functions/api/create-payment.ts';
import type { createWebhookEndpointBody } from '../functions/api/create-webhook-endpoint.ts';
import type { loginBody } from '../functions/api/login.ts';
import type { recoverBody } from '../functions/api/recover-webhook-endpoint.ts';
import type { refreshBody } from '../functions/api/refresh-session.ts';
import type { registerBody } from '../functions/api/register.ts';
import type { resendBody } from '../functions/api/resend-event.ts';
import type * as responses from '../functions/api/responses.ts';
import type { updateMeBody } from '../functions/api/update-me.ts';
import type { verifyEmailBody } from '../functions/api/verify-email.ts';
import type { requestPasswordResetBody } from '../functions/api/request-password-reset.ts';
import type { confirmPasswordResetBody } from '../functions/api/confirm-password-reset.ts';
import type { updateWebhookEndpointBody } from '../functions/api/update-webhook-endpoint.ts';
import type { createPaymentLinkBody } from '../functions/api/create-payment-link.ts';
import type { updatePaymentLinkBody } from '../functions/api/update-payment-link.ts';
import {
  type VerificationResult,
  type WebhookHeaders,
  verifyWebhookSignature,
} from '../functions/core/webhook-signature.ts';
import type { ErrorBody } from '../functions/platform/errors.ts';
import type { HttpSpec } from '../functions/platform/http.ts';
import { type Credential, routeFor } from '../functions/routes.ts';

/**
 * The PayBridge client: one typed method per route. Request types come from the
 * very zod schemas the handlers validate with, answer types from the schemas the
 * OpenAPI document is made of (functions/api/responses.ts); which credential a
 * call sends is read from the route table. Errors are thrown as `PayBridgeError`
 * carrying our error body.
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

type Out<S extends z.ZodMiniType> = z.output<S>;

export type Mode = 'test' | 'live';
export type Payment = Out<typeof responses.payment>;
export type PaymentLink = Out<typeof responses.paymentLink>;
export type Refund = Out<typeof responses.refund>;
export type Balance = Out<typeof responses.balance>;
export type BalanceTransaction = Out<typeof responses.balanceTransaction>;
export type ProviderConfig = Out<typeof responses.providerConfig>;
export type WebhookEndpoint = Out<typeof responses.webhookEndpoint>;
export type WebhookEndpointWithSecret = Out<typeof responses.webhookEndpointWithSecret>;
export type Event = Out<typeof responses.event>;
export type Delivery = Out<typeof responses.delivery>;
export type DeliveryAttemptList = Out<typeof responses.attemptList>;
export type ApiKey = Out<typeof responses.apiKey>;
export type ApiKeyWithSecret = Out<typeof responses.apiKeyWithSecret>;
export type Merchant = Out<typeof responses.merchant>;
export type User = Out<typeof responses.user>;
export type Me = Out<typeof responses.me>;
export type MeUpdate = Out<typeof responses.meUpdate>;
export type Tokens = Out<typeof responses.tokens>;
export type Registration = Out<typeof responses.registration>;
export type EmailVerification = Out<typeof responses.emailVerification>;
export type VerificationSent = Out<typeof responses.verificationSent>;
export type PasswordResetAccepted = Out<typeof responses.passwordResetAccepted>;
export type AuditEntry = Out<typeof responses.auditEntry>;
export type SecurityEvent = Out<typeof responses.securityEvent>;
export type Health = Out<typeof responses.health>;
export type WebhookPayload = Out<typeof responses.webhookPayload>;
export type ApiErrorBody = ErrorBody['error'];
export interface Page<T> {
  data: T[];
  hasMore: boolean;
  nextCursor: string | null;
}

export type CreatePaymentInput = z.input<typeof createPaymentBody>;
export type CreatePaymentLinkInput = z.input<typeof createPaymentLinkBody>;
export type UpdatePaymentLinkInput = z.input<typeof updatePaymentLinkBody>;
export type CreateRefundInput = z.input<typeof createRefundBody>;
export type ConfigureProviderInput = z.input<typeof configureProviderBody>;
export type CreateWebhookEndpointInput = z.input<typeof createWebhookEndpointBody>;
export type UpdateWebhookEndpointInput = z.input<typeof updateWebhookEndpointBody>;
export type RecoverInput = z.input<typeof recoverBody>;
export type ResendInput = z.input<typeof resendBody>;
export type RegisterInput = z.input<typeof registerBody>;
export type LoginInput = z.input<typeof loginBody>;
export type ChangePasswordInput = z.input<typeof changePasswordBody>;
export type RefreshInput = z.input<typeof refreshBody>;
export type VerifyEmailInput = z.input<typeof verifyEmailBody>;
export type RequestPasswordResetInput = z.input<typeof requestPasswordResetBody>;
export type ConfirmPasswordResetInput = z.input<typeof confirmPasswordResetBody>;
export type CreateApiKeyInput = z.input<typeof createApiKeyBody>;
export type UpdateMeInput = z.input<typeof updateMeBody>;

/** The query a handler validates (its `handler.spec.query`), with `limit` as a number. */
type QueryOf<H> = H extends { readonly spec: HttpSpec<infer _B, infer Q, infer _P> }
  ? { [K in keyof Q]?: (K extends 'limit' ? number : NonNullable<Q[K]>) | undefined }
  : never;

export type ListPaymentsQuery = QueryOf<typeof listPayments.handler>;
export type ListRefundsQuery = QueryOf<typeof listRefunds.handler>;
export type ListBalanceTransactionsQuery = Omit<QueryOf<typeof listBalanceTransactions.handler>, 'format'>;
export type ListEventsQuery = QueryOf<typeof listEvents.handler>;
export type ListProvidersQuery = QueryOf<typeof listProviders.handler>;
export type RemoveProviderQuery = QueryOf<typeof deleteProvider.handler>;
export type PageQuery = QueryOf<typeof listApiKeys.handler>;
type AuditQuery = QueryOf<typeof listAuditLogs.handler>;
type SecurityEventsQuery = QueryOf<typeof listSecurityEvents.handler>;
type MeQuery = QueryOf<typeof getMe.handler>;

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

function isErrorBody(body: unknown): body is ErrorBody {
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
    case 'apiKey':
      return options.apiKey;
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
  return async function call<T>(key: string, call: Call = {}): Promise<T> {
    const route = routeFor(key);
    if (!route) throw new TypeError(`${key} is not a PayBridge route`);
    const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const value = call.params?.[name];
      if (value === undefined || value === '') throw new TypeError(`${key} needs \`${name}\``);
      return encodeURIComponent(value);
    });
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) search.set(name, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
    const token = credentialFor(route.credential, options);
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.mode && token && token === options.accessToken) headers['paybridge-mode'] = options.mode;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    const response = await doFetch(`${base}${path}${search.size > 0 ? `?${search}` : ''}`, {
      method: route.method,
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

export function createClient(options: ClientOptions) {
  const call = transport(options);
  return {
    /** A client like this one with other credentials or mode, e.g. after `auth.login`. */
    with: (changes: Partial<ClientOptions>) => createClient({ ...options, ...changes }),

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
        call<{ resent: number; more: boolean }>('POST /v1/webhook-endpoints/{id}/recover', {
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
        call<{ deliveries: Delivery[] }>('POST /v1/events/{id}/resend', { params: id(eventId), body }),
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

export type PayBridgeClient = ReturnType<typeof createClient>;

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

// ---- money -------------------------------------------------------------------------------

/**
 * The ISO 4217 minor-unit exponent of each currency PayBridge handles (2 for NGN, 0 for UGX),
 * from the one table the API uses, for formatting `amount` exactly.
 */
export { currencyCodes, exponent as currencyExponent, isCurrency } from '../functions/core/money.ts';

/** Every event type an endpoint can subscribe to (besides `*`). */
export { eventTypes } from '../functions/core/webhooks.ts';
