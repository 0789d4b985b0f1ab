import * as z from 'zod/mini';
import type { MerchantActor } from '#core/actor';
import { type IdPrefix, idPattern } from '#core/ids';
import { providerNames } from '#core/provider-adapter';
import type {
  Merchant,
  Tokens,
  User,
  passwordResetAccepted as PasswordResetAccepted,
  publicApiKey,
  resendVerification,
  verifyEmail,
} from '#core/identity';
import { paymentStatuses, type publicPayment } from '#core/payments';
import type { PaymentActivity } from '#core/payment-activity';
import type { publicPaymentLink } from '#core/payment-links';
import type { providerView } from '#core/providers';
import { type publicRefund, refundReasons, refundStatuses } from '#core/refunds';
import type { Delivery, DeliveryAttempt, EventType, OutboundEvent, publicEndpoint } from '#core/webhooks';
import { eventTypes } from '#core/webhooks';
import { mode } from '#edge/schemas';
import type { AuditEntry } from '#store/audit';
import type { SecurityEvent } from '#store/security-events';

/**
 * What the API answers, as zod schemas: the OpenAPI document's response
 * components (functions/openapi.ts) and the typed client's return types
 * (client/). Handlers do not use them; they return domain objects. Two guards
 * keep the two in step: the type checks at the bottom of this file (every field a
 * handler returns is documented, with a compatible type), and the integration
 * test of the client, which validates every real answer against the document.
 */

const isoTime = z.iso.datetime();
const nullableTime = z.nullable(isoTime);
const id = (prefix: IdPrefix) => z.string().check(z.regex(idPattern(prefix)));
const providerName = z.enum(providerNames);
export const paymentStatus = z.enum(paymentStatuses);
export const eventType = z.enum(eventTypes);

/** Components of the document: each is named once and referenced (`#/components/schemas/<id>`). */
export const components = z.registry<{ id: string; description?: string; examples?: unknown[] }>();

const named = <T extends z.ZodMiniType>(
  schema: T,
  name: string,
  description: string,
  example?: unknown,
): T => {
  components.add(schema, {
    id: name,
    description,
    ...(example === undefined ? {} : { examples: [example] }),
  });
  return schema;
};

export const errorBody = named(
  z.object({
    error: z.object({
      type: z.enum(['invalid_request', 'authentication', 'permission', 'rate_limit', 'provider', 'api']),
      code: z.string(),
      message: z.string(),
      param: z.optional(z.string()),
      requestId: z.string(),
    }),
  }),
  'Error',
  'Every 4xx and 5xx answer. `type` is the class of error, `code` the precise reason (stable, for programs), `message` is for humans, `param` names the offending field or header.',
  {
    error: {
      type: 'invalid_request',
      code: 'missing_field',
      message: '`currency` is required.',
      param: 'currency',
      requestId: 'Xj3aQhR8joEEJ4g=',
    },
  },
);

export const paymentExample = {
  id: 'pay_01JXAMPLE0000000000000000P',
  mode: 'test',
  status: 'pending',
  amount: 1075000,
  currency: 'NGN',
  provider: 'paystack',
  providerReference: 'ref-01JXAMPLE0000000000000000R',
  checkoutUrl: 'https://checkout.paystack.com/abc123',
  reference: 'order-1042',
  customer: { email: 'ada@example.com', name: 'Ada Lovelace' },
  description: 'Order #1042',
  redirectUrl: 'https://shop.example/orders/1042',
  metadata: { order: '1042' },
  paymentLinkId: null,
  attempts: [
    {
      provider: 'paystack',
      reference: 'ref_01JXAMPLE0000000000000000R',
      outcome: 'initialized',
      at: '2026-11-23T09:00:00.000Z',
    },
  ],
  failureReason: null,
  expiresAt: '2026-11-24T09:00:00.000Z',
  acceptOverpayment: false,
  lastCheckedAt: null,
  nextCheckAt: '2026-11-23T09:01:00.000Z',
  settledBy: null,
  lateSettlement: false,
  amountMismatch: null,
  createdAt: '2026-11-23T09:00:00.000Z',
  updatedAt: '2026-11-23T09:00:00.000Z',
};

const money = z.object({ amount: z.int(), currency: z.string() });

export const payment = named(
  z.object({
    id: id('pay'),
    mode,
    status: paymentStatus,
    /** Integer in the currency's minor unit. */
    amount: z.int(),
    currency: z.string(),
    provider: providerName,
    /**
     * What the provider knows the checkout by: our `ref_…` (Flutterwave, Chapa), the Checkout Session id
     * (Stripe), or `ref-…` (Paystack allows no underscore in a reference, so it carries our `ref_…` as
     * `ref-…`; `attempts[].reference` keeps `ref_…`).
     */
    providerReference: z.string(),
    checkoutUrl: z.string(),
    reference: z.nullable(z.string()),
    customer: z.object({
      email: z.string(),
      name: z.optional(z.string()),
      phone: z.optional(z.string()),
    }),
    description: z.nullable(z.string()),
    redirectUrl: z.nullable(z.string()),
    metadata: z.record(z.string(), z.string()),
    /** The payment link the customer paid through (`plink_…`), or null (absent on payments made before links existed). */
    paymentLinkId: z.optional(z.nullable(id('plink'))),
    attempts: z.array(
      z.object({
        provider: providerName,
        reference: z.string(),
        outcome: z.enum(['initialized', 'failed']),
        error: z.optional(z.object({ code: z.string(), message: z.string() })),
        at: isoTime,
      }),
    ),
    failureReason: z.nullable(z.string()),
    /** When our own expiry closes the payment if it is still unpaid. */
    expiresAt: isoTime,
    acceptOverpayment: z.boolean(),
    /** The last time PayBridge asked the provider (the sweeper, or a settlement). */
    lastCheckedAt: nullableTime,
    /** When the reconciliation sweeper asks the provider next; null once nothing is left to check. */
    nextCheckAt: nullableTime,
    /** What settled it: a provider webhook, `POST /verify`, or the reconciliation sweeper. */
    settledBy: z.nullable(z.enum(['webhook', 'verify', 'reconciliation'])),
    /** Paid after PayBridge had expired it: the one exception to forward-only states. */
    lateSettlement: z.boolean(),
    /** Set when the provider reported another amount or currency than initiated. */
    amountMismatch: z.nullable(
      z.object({
        expected: money,
        reported: z.object({ amount: z.nullable(z.int()), currency: z.nullable(z.string()) }),
      }),
    ),
    createdAt: isoTime,
    updatedAt: isoTime,
  }),
  'Payment',
  'A checkout with one provider. `status` only moves forward: pending → processing → succeeded | failed | cancelled | expired | requires_review; succeeded → partially_refunded → refunded. One exception: an `expired` payment that proves paid becomes `succeeded` with `lateSettlement: true`. A provider reporting another amount or currency puts it in `requires_review` (`failureReason: amount_mismatch`, both amounts in `amountMismatch`). `attempts` lists every provider tried, in order, with our reference (`ref_…`). `providerReference` is what the provider knows the checkout by: our `ref_…` for Flutterwave and Chapa, the Checkout Session id (`cs_…`) for Stripe, and `ref-…` for Paystack, which allows no underscore in a reference and so carries our `ref_…` as `ref-…`.',
  paymentExample,
);

export const providerHealth = named(
  z.object({
    /** When a webhook whose signature was accepted last arrived (updated at most every 5 minutes). */
    lastWebhookAt: nullableTime,
    /** Webhooks refused for their signature in the last 24 hours. */
    signatureFailures24h: z.number(),
    /** Among your latest payment events: settled by this provider's webhook. */
    settledByWebhook: z.number(),
    /** Among your latest payment events: settled by the reconciliation sweeper where a webhook should have. */
    settledByReconciliation: z.number(),
  }),
  'ProviderHealth',
  'How the provider’s webhooks are doing: the last one accepted, the signatures refused in the last 24 hours (each is a `webhook_signature_rejected` security event; counted among your latest 200 security events), and how your latest 20 payment events were settled. Settlements only by reconciliation mean the webhook URL or secret at the provider is probably wrong.',
  {
    lastWebhookAt: '2026-11-23T09:00:00.000Z',
    signatureFailures24h: 0,
    settledByWebhook: 12,
    settledByReconciliation: 1,
  },
);

export const providerConfig = named(
  z.object({
    provider: providerName,
    mode,
    enabled: z.boolean(),
    currencies: z.array(z.string()),
    /** Paste into the provider's dashboard. */
    webhookUrl: z.string(),
    secretKeyLast4: z.string(),
    updatedAt: isoTime,
    /** In the list (GET /v1/providers) only. */
    health: z.optional(providerHealth),
  }),
  'ProviderConfig',
  "A merchant's credentials for one provider in one mode. Secrets are never returned; `webhookUrl` is the URL to set in the provider's dashboard and stays the same across key updates.",
  {
    provider: 'paystack',
    mode: 'test',
    enabled: true,
    currencies: ['NGN', 'GHS'],
    webhookUrl: 'https://api.paybridge.example/hooks/paystack/3q2-R7x…',
    secretKeyLast4: '4567',
    updatedAt: '2026-11-23T09:00:00.000Z',
  },
);

const endpointShape = {
  id: id('we'),
  mode,
  url: z.string(),
  /** Event types, or `["*"]` for all. */
  events: z.array(z.string()),
  description: z.nullable(z.string()),
  enabled: z.boolean(),
  failingSince: nullableTime,
  disabledReason: z.nullable(z.string()),
  createdAt: isoTime,
  updatedAt: isoTime,
  /** While a rotated-out secret still signs beside the new one. */
  secretRotatedUntil: nullableTime,
};
const endpointExample = {
  id: 'we_01JXAMPLE0000000000000000W',
  mode: 'test',
  url: 'https://shop.example/webhooks/paybridge',
  events: ['payment.succeeded', 'payment.failed'],
  description: 'Order service',
  enabled: true,
  failingSince: null,
  disabledReason: null,
  createdAt: '2026-11-23T09:00:00.000Z',
  updatedAt: '2026-11-23T09:00:00.000Z',
  secretRotatedUntil: null,
};

export const webhookEndpoint = named(
  z.object(endpointShape),
  'WebhookEndpoint',
  'Where PayBridge POSTs events, signed per Standard Webhooks. Never shows the secret.',
  endpointExample,
);

export const webhookEndpointWithSecret = named(
  z.object({ ...endpointShape, secret: z.string().check(z.regex(/^whsec_/)) }),
  'WebhookEndpointWithSecret',
  'A webhook endpoint with its `whsec_` signing secret: returned once, on creation and on rotation.',
  { ...endpointExample, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
);

export const event = named(
  z.object({
    id: id('evt'),
    type: eventType,
    createdAt: isoTime,
    mode,
    /** A payment for `payment.*`; see the webhooks section for each type's object. */
    data: z.object({ object: z.unknown() }),
    paymentId: z.nullable(z.string()),
  }),
  'Event',
  'Something that happened, as recorded. Delivered to endpoints without `paymentId` (see the webhooks section).',
);

export const delivery = named(
  z.object({
    /** `msg_…`: the `webhook-id` header, the same on every retry and resend. */
    id: id('msg'),
    mode,
    eventId: id('evt'),
    endpointId: id('we'),
    status: z.enum(['pending', 'delivered', 'failed']),
    attemptCount: z.int(),
    nextAttemptAt: nullableTime,
    lastAttemptAt: nullableTime,
    createdAt: isoTime,
    updatedAt: isoTime,
  }),
  'Delivery',
  'One event on its way to one endpoint.',
);

export const deliveryAttempt = named(
  z.object({
    id: id('att'),
    eventId: id('evt'),
    endpointId: id('we'),
    deliveryId: id('msg'),
    attempt: z.int(),
    at: isoTime,
    /** HTTP status, when an answer came. */
    status: z.nullable(z.int()),
    latencyMs: z.number(),
    /** The first 1 KB of the answer. */
    responseBody: z.nullable(z.string()),
    error: z.nullable(z.string()),
  }),
  'DeliveryAttempt',
  'One POST to an endpoint: status, latency, the first 1 KB of the answer or the error.',
);

const apiKeyShape = {
  id: id('key'),
  mode,
  name: z.string(),
  /**
   * `server`: payments and reads. `full`: also provider credentials and webhook
   * endpoints. Keys made before scopes existed are `full`.
   */
  scope: z.enum(['server', 'full']),
  /** The visible start of the key, for humans. */
  prefix: z.string(),
  createdAt: isoTime,
  lastUsedAt: nullableTime,
  revokedAt: nullableTime,
};
export const apiKey = named(z.object(apiKeyShape), 'ApiKey', 'An API key without its secret.');
export const apiKeyWithSecret = named(
  z.object({ ...apiKeyShape, key: z.string().check(z.regex(/^sk_(test|live)_/)) }),
  'ApiKeyWithSecret',
  'A new API key: `key` is the secret, shown in this answer only.',
);

export const merchant = named(
  z.object({
    id: id('mer'),
    businessName: z.string(),
    contactEmail: z.string(),
    defaultCurrency: z.nullable(z.string()),
    createdAt: isoTime,
    updatedAt: isoTime,
  }),
  'Merchant',
  'A business using PayBridge.',
);

export const user = named(
  z.object({
    id: id('usr'),
    merchantId: id('mer'),
    email: z.string(),
    role: z.enum(['owner', 'admin']),
    createdAt: isoTime,
    /** False from sign-up until the emailed link is opened: test mode only until then. */
    emailVerified: z.boolean(),
    emailVerifiedAt: nullableTime,
  }),
  'User',
  'A dashboard user of a merchant. Until `emailVerified`, the account works in test mode only (live-mode calls answer 403 `email_unverified`); accounts made before email verification existed are `emailVerified` with `emailVerifiedAt` null.',
);

export const me = named(
  z.object({ merchant, user: z.nullable(user), mode }),
  'Me',
  'The caller: its merchant, the dashboard user (null for an API key) and the mode it acts in.',
);

const tokenShape = {
  /** A dashboard JWT: `Authorization: Bearer …`. */
  accessToken: z.string(),
  /** Single use: each refresh returns a new one. */
  refreshToken: z.string(),
  tokenType: z.literal('Bearer'),
  /** Seconds until the access token expires. */
  expiresIn: z.int(),
};
export const tokens = named(z.object(tokenShape), 'Tokens', 'A dashboard session.');
export const registration = named(
  z.object({ merchant, user, ...tokenShape }),
  'Registration',
  'A new merchant, its owner, and the owner signed in.',
);

export const emailVerification = named(
  z.object({ emailVerified: z.literal(true), emailVerifiedAt: isoTime }),
  'EmailVerification',
  'The address is verified: live mode is open to the account.',
  { emailVerified: true, emailVerifiedAt: '2026-11-23T09:00:00.000Z' },
);
export const verificationSent = named(
  z.object({ sent: z.literal(true), expiresAt: isoTime }),
  'VerificationSent',
  'A new verification link was emailed; it works once, until `expiresAt`.',
  { sent: true, expiresAt: '2026-11-24T09:00:00.000Z' },
);
export const passwordResetAccepted = named(
  z.object({ accepted: z.literal(true), message: z.string() }),
  'PasswordResetAccepted',
  'The same answer whether or not an account uses the address.',
  {
    accepted: true,
    message:
      'If an account uses this address, we have sent it a link to choose a new password. The link works once, for an hour.',
  },
);

export const auditEntry = named(
  z.object({
    id: z.string(),
    merchantId: id('mer'),
    actor: z.object({ type: z.string(), id: z.string() }),
    action: z.string(),
    target: z.object({ type: z.string(), id: z.string() }),
    mode: z.optional(z.string()),
    ip: z.string(),
    userAgent: z.string(),
    requestId: z.string(),
    createdAt: isoTime,
    reason: z.optional(z.string()),
  }),
  'AuditEntry',
  'One mutating action, written in the same transaction as the action.',
);

export const securityEvent = named(
  z.object({
    id: z.string(),
    kind: z.enum([
      'login_failed',
      'account_locked',
      'refresh_token_reused',
      'api_key_rejected',
      'webhook_signature_rejected',
      'api_key_created',
      'api_key_revoked',
      'provider_credentials_changed',
      'provider_credentials_removed',
      'webhook_endpoint_created',
      'webhook_endpoint_changed',
      'webhook_endpoint_deleted',
      'webhook_secret_rotated',
      'sessions_revoked',
      'password_changed',
      'role_changed',
      'provider_webhooks_silent',
      'email_verified',
      'password_reset',
    ]),
    merchantId: z.nullable(z.string()),
    ip: z.string(),
    userAgent: z.string(),
    requestId: z.string(),
    detail: z.record(z.string(), z.string()),
    createdAt: isoTime,
  }),
  'SecurityEvent',
  'A failed sign-in, a lockout, a reused refresh token, a rejected webhook signature, or a change to what can move money or where events go (API keys, provider credentials, webhook endpoints, roles, sessions): `detail` says who (`byUser` or `byApiKey`) and what.',
);

export const health = named(
  z.object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    checks: z.object({ table: z.enum(['ok', 'unavailable']), queues: z.enum(['ok', 'unavailable']) }),
  }),
  'Health',
  'Whether the table and both queues answer.',
);

export const meUpdate = named(
  z.object({ merchant, user }),
  'MeUpdate',
  'The updated merchant and the signed-in user.',
);

export const refundExample = {
  id: 're_01JXAMPLE0000000000000000F',
  paymentId: 'pay_01JXAMPLE0000000000000000P',
  mode: 'test',
  amount: 250000,
  currency: 'NGN',
  status: 'pending',
  reason: 'requested_by_customer',
  providerRefundId: '3018284',
  failureReason: null,
  nextAction: null,
  metadata: { ticket: 'T-88' },
  createdAt: '2026-11-24T10:00:00.000Z',
  updatedAt: '2026-11-24T10:00:01.000Z',
};

export const refund = named(
  z.object({
    id: id('re'),
    paymentId: id('pay'),
    mode,
    amount: z.int(),
    currency: z.string(),
    status: z.enum(refundStatuses),
    reason: z.nullable(z.enum(refundReasons)),
    providerRefundId: z.nullable(z.string()),
    failureReason: z.nullable(z.string()),
    nextAction: z.nullable(z.string()),
    metadata: z.record(z.string(), z.string()),
    createdAt: isoTime,
    updatedAt: isoTime,
  }),
  'Refund',
  'Money given back through the provider that took the payment. `status`: pending → succeeded | failed, or `requires_action` (with `nextAction` in words) where the provider needs something. The payment becomes `partially_refunded` / `refunded` only when a refund succeeds; a failed refund gives its amount back to what can be refunded.',
  refundExample,
);

export const balance = named(
  z.object({
    asOf: isoTime,
    balances: z.array(
      z.object({
        provider: providerName,
        currency: z.string(),
        /** Succeeded sales − succeeded refunds − fees, in minor units. */
        available: z.int(),
        /** Refunds created and not yet succeeded or failed, in minor units. */
        pendingRefunds: z.int(),
      }),
    ),
  }),
  'Balance',
  'What the ledger says sits at each provider for this merchant and mode (PayBridge holds no funds: your provider accounts do), per provider and currency.',
  {
    asOf: '2026-11-24T10:00:00.000Z',
    balances: [{ provider: 'paystack', currency: 'NGN', available: 825000, pendingRefunds: 250000 }],
  },
);

const ledgerAccount = z.enum(['provider_balance', 'sales', 'fees', 'refunds', 'pending_refunds']);

export const balanceTransaction = named(
  z.object({
    id: z.string(),
    kind: z.enum(['charge', 'fee', 'refund_hold', 'refund', 'refund_void']),
    amount: z.int(),
    currency: z.string(),
    provider: providerName,
    lines: z.array(z.object({ account: ledgerAccount, amount: z.int() })),
    source: z.object({ type: z.enum(['payment', 'refund']), id: z.string() }),
    paymentId: id('pay'),
    createdAt: isoTime,
  }),
  'BalanceTransaction',
  'One immutable, balanced ledger posting (debits positive, credits negative), with the payment or refund that caused it: what you export to reconcile with the provider’s settlement report.',
);

export const paymentLinkExample = {
  id: 'plink_01JXAMPLE0000000000000000L',
  mode: 'test',
  url: 'https://api.paybridge.example/pay/q3Yx8v0bKp2LmZ7a1c9dEw',
  qrCodeUrl: 'https://api.paybridge.example/pay/q3Yx8v0bKp2LmZ7a1c9dEw/qr.svg',
  active: true,
  title: 'Ankara tote bag',
  description: 'Hand-made in Lagos. Delivery in 3 days.',
  amount: 1500000,
  allowCustomerAmount: null,
  currency: 'NGN',
  providers: null,
  expiresAt: null,
  maxPayments: 50,
  paymentsCount: 3,
  redirectUrl: 'https://instagram.com/ankara.shop',
  metadata: { sku: 'TOTE-1' },
  createdAt: '2026-11-23T09:00:00.000Z',
  updatedAt: '2026-11-23T09:00:00.000Z',
};

export const paymentLink = named(
  z.object({
    id: id('plink'),
    mode,
    /** The hosted payment page: share it (Instagram, WhatsApp) or print its QR code. */
    url: z.string(),
    /** The page's URL as a QR code (SVG; `qr.png` beside it for a PNG). */
    qrCodeUrl: z.string(),
    active: z.boolean(),
    title: z.string(),
    description: z.nullable(z.string()),
    /** A fixed price in minor units, or null when the customer chooses within `allowCustomerAmount`. */
    amount: z.nullable(z.int()),
    allowCustomerAmount: z.nullable(z.object({ min: z.int(), max: z.int() })),
    currency: z.string(),
    /** The providers offered; null = every provider enabled for the currency. */
    providers: z.nullable(z.array(providerName)),
    expiresAt: nullableTime,
    maxPayments: z.nullable(z.int()),
    /** Payments started through the link (checkouts opened); `maxPayments` bounds it. */
    paymentsCount: z.int(),
    redirectUrl: z.nullable(z.string()),
    metadata: z.record(z.string(), z.string()),
    createdAt: isoTime,
    updatedAt: isoTime,
  }),
  'PaymentLink',
  'A hosted payment page at `url`, with its QR code at `qrCodeUrl`: the customer enters an email (and the amount, within `allowCustomerAmount`), picks how to pay among your providers that take the currency, and is sent to that provider’s checkout. Payments made through it carry `paymentLinkId`. An inactive, expired or sold-out link (`paymentsCount` reached `maxPayments`) answers a page saying so.',
  paymentLinkExample,
);

/** `{ data, hasMore, nextCursor }` (ARCHITECTURE.md, Conventions: Lists): newest first, `?limit=` 1–100 and `?cursor=`. */
const list = <T extends z.ZodMiniType>(item: T, name: string) =>
  named(
    z.object({ data: z.array(item), hasMore: z.boolean(), nextCursor: z.nullable(z.string()) }),
    `${name}List`,
    `A page of ${name} objects: pass \`nextCursor\` as \`?cursor=\` for the next one while \`hasMore\`.`,
  );

export const paymentList = list(payment, 'Payment');
export const paymentLinkList = list(paymentLink, 'PaymentLink');
export const refundList = list(refund, 'Refund');
export const balanceTransactionList = list(balanceTransaction, 'BalanceTransaction');
export const providerConfigList = list(providerConfig, 'ProviderConfig');
export const webhookEndpointList = list(webhookEndpoint, 'WebhookEndpoint');
export const eventList = list(event, 'Event');
export const apiKeyList = list(apiKey, 'ApiKey');
export const merchantList = list(merchant, 'Merchant');
export const auditEntryList = list(auditEntry, 'AuditEntry');
export const securityEventList = list(securityEvent, 'SecurityEvent');

export const attemptList = named(
  z.object({
    data: z.array(deliveryAttempt),
    deliveries: z.array(delivery),
    hasMore: z.boolean(),
    nextCursor: z.nullable(z.string()),
  }),
  'DeliveryAttemptList',
  'Every attempt of an event, and its deliveries (one per endpoint).',
);

/** One entry of a payment's activity (core/payment-activity.ts): a provider webhook received, or a verify call. */
export const paymentActivity = named(
  z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('provider_webhook'),
      at: isoTime,
      provider: providerName,
      signature: z.enum(['valid', 'rejected']),
      outcome: z.enum(['applied', 'duplicate', 'ignored', 'retry', 'rejected']),
      /** Why the signature was rejected or the event not applied (`signature_mismatch`, …). */
      reason: z.optional(z.string()),
      providerEventId: z.optional(z.string()),
    }),
    z.object({
      kind: z.literal('verify'),
      at: isoTime,
      provider: providerName,
      source: z.enum(['api', 'reconciliation']),
      /** The payment's status after the call, when the provider answered. */
      status: z.optional(paymentStatus),
      /** Our error code when the call failed. */
      errorCode: z.optional(z.string()),
    }),
  ]),
  'PaymentActivity',
  'A provider webhook received for the payment (its signature result and what PayBridge did with it) or a verify call to the provider (from `POST /v1/payments/{id}/verify` or reconciliation).',
);

export const paymentActivityList = named(
  z.object({ data: z.array(paymentActivity), hasMore: z.boolean(), nextCursor: z.nullable(z.string()) }),
  'PaymentActivityList',
  'The newest 100 activity entries of a payment, oldest first; `hasMore` when older ones are left out. Entries are kept 90 days.',
);

export const resent = named(
  z.object({ deliveries: z.array(delivery) }),
  'Resent',
  'The deliveries queued again.',
);
export const recovered = named(
  z.object({ resent: z.int(), more: z.boolean() }),
  'Recovered',
  'How many failed deliveries were queued again now; with `more`, the rest follow from a background job.',
);
export const received = named(
  z.object({ received: z.literal(true) }),
  'Received',
  'The webhook is queued for verification.',
);

// Outbound events, as merchants receive them: exactly the body that is signed.

const eventEnvelope = <T extends z.ZodMiniType>(type: z.ZodMiniType<string>, object: T) =>
  z.object({ id: id('evt'), type, createdAt: isoTime, mode, data: z.object({ object }) });

const endpointRef = { endpointId: id('we') };

/** The `data.object` of each outbound event type. */
const eventObjects = {
  'payment.succeeded': payment,
  'payment.failed': payment,
  'payment.cancelled': payment,
  'payment.expired': payment,
  'payment.amount_mismatch': payment,
  'refund.created': refund,
  'refund.succeeded': refund,
  'refund.failed': refund,
  'refund.requires_action': refund,
  'webhook_endpoint.test': z.object({ ...endpointRef, message: z.string() }),
  'webhook_endpoint.disabled': z.object({ ...endpointRef, url: z.string(), reason: z.string() }),
} satisfies Record<EventType, z.ZodMiniType>;

const pascal = (type: string) =>
  type
    .split(/[._]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/** The body of each outbound event type (component `PaymentSucceededWebhook`, …). */
export const webhookPayloads = {} as Record<EventType, z.ZodMiniType>;
for (const type of eventTypes) {
  webhookPayloads[type] = named(
    eventEnvelope(z.literal(type), eventObjects[type]),
    `${pascal(type)}Webhook`,
    `The body of a \`${type}\` delivery.`,
  );
}

/** Any outbound event body: what `verifyWebhook` hands back. */
export const webhookPayload = eventEnvelope(eventType, z.unknown());

// Compile-time guards: what handlers return has exactly the documented top-level fields, with compatible types.

type Documented<D, S extends z.ZodMiniType> = [Exclude<keyof D, keyof z.infer<S>>] extends [never]
  ? [Exclude<keyof z.infer<S>, keyof D>] extends [never]
    ? D extends z.infer<S>
      ? true
      : { notAssignable: D }
    : { documentedButNotReturned: Exclude<keyof z.infer<S>, keyof D> }
  : { returnedButNotDocumented: Exclude<keyof D, keyof z.infer<S>> };

const guards: [
  Documented<ReturnType<typeof publicPayment>, typeof payment>,
  Documented<ReturnType<typeof publicRefund>, typeof refund>,
  Documented<ReturnType<typeof publicPaymentLink>, typeof paymentLink>,
  Documented<ReturnType<typeof providerView>, typeof providerConfig>,
  Documented<ReturnType<typeof publicEndpoint>, typeof webhookEndpoint>,
  Documented<ReturnType<typeof publicApiKey>, typeof apiKey>,
  Documented<OutboundEvent, typeof event>,
  Documented<Omit<Delivery, 'merchantId'>, typeof delivery>,
  Documented<DeliveryAttempt, typeof deliveryAttempt>,
  Documented<Merchant, typeof merchant>,
  Documented<User, typeof user>,
  Documented<Tokens, typeof tokens>,
  Documented<{ merchant: Merchant; user: User | null; mode: MerchantActor['mode'] }, typeof me>,
  Documented<AuditEntry, typeof auditEntry>,
  Documented<SecurityEvent, typeof securityEvent>,
  Documented<Awaited<ReturnType<typeof verifyEmail>>, typeof emailVerification>,
  Documented<Awaited<ReturnType<typeof resendVerification>>, typeof verificationSent>,
  Documented<typeof PasswordResetAccepted, typeof passwordResetAccepted>,
  Documented<PaymentActivity, typeof paymentActivity>,
] = [
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
];
void guards;
