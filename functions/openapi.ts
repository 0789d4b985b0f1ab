import * as z from 'zod/mini';
import type { HttpSpec } from '#edge/http';
import configureProviderEvent from '../events/configure-provider.json' with { type: 'json' };
import createApiKeyEvent from '../events/create-api-key.json' with { type: 'json' };
import createPaymentEvent from '../events/create-payment.json' with { type: 'json' };
import createPaymentLinkEvent from '../events/create-payment-link.json' with { type: 'json' };
import updatePaymentLinkEvent from '../events/update-payment-link.json' with { type: 'json' };
import createRefundEvent from '../events/create-refund.json' with { type: 'json' };
import createWebhookEndpointEvent from '../events/create-webhook-endpoint.json' with { type: 'json' };
import loginEvent from '../events/login.json' with { type: 'json' };
import changePasswordEvent from '../events/change-password.json' with { type: 'json' };
import receiveProviderWebhookEvent from '../events/receive-provider-webhook.json' with { type: 'json' };
import recoverWebhookEndpointEvent from '../events/recover-webhook-endpoint.json' with { type: 'json' };
import registerEvent from '../events/register.json' with { type: 'json' };
import verifyEmailEvent from '../events/verify-email.json' with { type: 'json' };
import confirmPasswordResetEvent from '../events/confirm-password-reset.json' with { type: 'json' };
import resendEventEvent from '../events/resend-event.json' with { type: 'json' };
import updateMeEvent from '../events/update-me.json' with { type: 'json' };
import updateWebhookEndpointEvent from '../events/update-webhook-endpoint.json' with { type: 'json' };
import * as r from './edge/responses.ts';
import { idPattern } from './core/ids.ts';
import { eventTypes, type EventType } from './core/webhooks.ts';
import { type Credential, functionName, type Route, routeKey, routes } from './routes.ts';

/**
 * The OpenAPI 3.1 document, built from the route table (paths, methods,
 * credentials), the request schemas each handler validates with (carried on the
 * handler as `handler.spec`, see edge/http.ts), the response schemas of
 * edge/responses.ts, and the per-route prose below. Served at `GET /openapi.json`
 * and written by `npm run openapi`. A route without an entry in `operations`, or
 * an entry without a route, fails test/unit/openapi.test.ts.
 */

export type JsonObject = Record<string, unknown>;

type Tag =
  | 'Health'
  | 'Auth'
  | 'Account'
  | 'API keys'
  | 'Audit'
  | 'Admin'
  | 'Providers'
  | 'Payments'
  | 'Payment links'
  | 'Refunds'
  | 'Balance'
  | 'Webhook endpoints'
  | 'Events'
  | 'Provider webhooks'
  | 'Docs';

const tags: { name: Tag; description: string }[] = [
  { name: 'Payments', description: 'Checkouts through Paystack, Flutterwave, Stripe or Chapa.' },
  {
    name: 'Payment links',
    description:
      'A hosted payment page per link (`/pay/{slug}`, with a QR code), where the customer picks how to pay among your providers: for selling on Instagram, WhatsApp or at a market stall without a website. The pages are HTML for customers, not JSON.',
  },
  {
    name: 'Refunds',
    description:
      'Money back through the provider that took the payment; the refunds of a payment never add up to more than was captured.',
  },
  {
    name: 'Balance',
    description:
      'The ledger: a double-entry shadow of what sits at each provider for you (PayBridge holds no funds), to reconcile with the providers’ settlement reports.',
  },
  { name: 'Providers', description: 'Your credentials for each provider, per mode.' },
  {
    name: 'Webhook endpoints',
    description: 'Where PayBridge sends events (see the webhooks section for the payloads).',
  },
  { name: 'Events', description: 'What happened, and every delivery attempt of it.' },
  { name: 'Auth', description: 'Dashboard sign-up, sign-in and sessions.' },
  { name: 'Account', description: 'The caller’s merchant and user.' },
  { name: 'API keys', description: 'Secret keys for your servers, one mode each.' },
  { name: 'Audit', description: 'Who did what on your account.' },
  { name: 'Admin', description: 'PayBridge operators only.' },
  { name: 'Provider webhooks', description: 'Called by the payment providers, not by merchants.' },
  { name: 'Health', description: 'Liveness of the API and its dependencies.' },
  { name: 'Docs', description: 'This document and its reference page.' },
];

/** A success answer: a registered response component, or no body. */
interface Success {
  readonly description: string;
  readonly schema?: z.ZodMiniType;
  readonly contentType?: string;
  readonly headers?: Record<string, JsonObject>;
}

interface Operation {
  readonly tag: Tag;
  readonly summary: string;
  readonly description?: string;
  readonly responses: Readonly<Record<number, Success>>;
  /** Error statuses this route answers beyond those every route of its kind answers. */
  readonly errors?: readonly number[];
  readonly requestExample?: unknown;
  /** Takes an `Idempotency-Key` header. */
  readonly idempotent?: boolean;
}

const bodyOf = (event: { body?: string | null }): unknown => JSON.parse(event.body ?? '{}');

const ok = (description: string, schema: z.ZodMiniType): Success => ({ description, schema });
const noContent: Success = { description: 'Done; no body.' };

/** The prose and answers of every route, by route key. */
export const operations: Readonly<Record<string, Operation>> = {
  'GET /health': {
    tag: 'Health',
    summary: 'Check health',
    description: '200 when the table and both queues answer, 503 (same body, `degraded`) otherwise.',
    responses: { 200: ok('Healthy.', r.health), 503: ok('A dependency is unavailable.', r.health) },
  },
  'GET /openapi.json': {
    tag: 'Docs',
    summary: 'This OpenAPI document',
    responses: { 200: ok('The OpenAPI 3.1 document.', z.record(z.string(), z.unknown())) },
  },
  'GET /docs': {
    tag: 'Docs',
    summary: 'API reference page',
    description: 'An HTML page rendering this document, served with its assets from the API itself.',
    responses: { 200: { description: 'The page.', contentType: 'text/html' } },
  },
  'GET /docs/assets/{file}': {
    tag: 'Docs',
    summary: 'A script or stylesheet of the reference page',
    responses: { 200: { description: 'The file.', contentType: 'text/javascript' } },
  },
  'POST /v1/auth/register': {
    tag: 'Auth',
    summary: 'Sign up',
    description:
      'Creates a merchant and its owner, signs the owner in, and emails a verification link (`POST /v1/auth/verify-email`): until it is opened the account works in test mode only. The password must be at least 10 characters and not a common one (422 `weak_password`).',
    responses: { 201: ok('The merchant, its owner and a session.', r.registration) },
    errors: [409, 422, 429, 503],
    requestExample: bodyOf(registerEvent),
  },
  'POST /v1/auth/login': {
    tag: 'Auth',
    summary: 'Sign in',
    description:
      'An unknown email and a wrong password get the same 401. Five failures in 15 minutes lock the login for 15 minutes (429 `account_locked`). The dashboard sends `PayBridge-Refresh-Cookie: 1`: the refresh token is then set as an `HttpOnly; Secure; SameSite=Strict` cookie on `/v1/auth/refresh` and left out of the answer; from another origin that header is refused (403 `cross_origin_refused`).',
    responses: { 200: ok('A session.', r.tokens) },
    errors: [403, 429, 503],
    requestExample: bodyOf(loginEvent),
  },
  'POST /v1/auth/refresh': {
    tag: 'Auth',
    summary: 'Refresh a session',
    description:
      'Rotates the refresh token: the answer holds a new one. Presenting an already used refresh token revokes the whole session. With `PayBridge-Refresh-Cookie: 1` (the dashboard, same origin only: `Origin` of this host, or `Sec-Fetch-Site: same-origin`; else 403 `cross_origin_refused`) the token is read from `refreshToken` if given, else from the refresh cookie, and the new one is set in the cookie only, not the answer. A request carrying the cookie but neither the header nor `refreshToken` is refused (403 `refresh_cookie_header_required`).',
    responses: { 200: ok('A new access token and refresh token.', r.tokens) },
    errors: [403, 429, 503],
  },
  'POST /v1/auth/logout': {
    tag: 'Auth',
    summary: 'Sign out',
    description:
      'Revokes the session the access token belongs to. Its access token stays valid until it expires (5 minutes at most). With `PayBridge-Refresh-Cookie: 1` the answer also removes the dashboard’s refresh cookie.',
    responses: { 204: noContent },
  },
  'POST /v1/auth/logout-everywhere': {
    tag: 'Auth',
    summary: 'Sign out everywhere',
    description:
      'Ends every session of the signed-in user: this one at once, every other one at its next refresh; their access tokens expire within 5 minutes. Recorded as a `sessions_revoked` security event.',
    responses: { 204: noContent },
  },
  'POST /v1/auth/password': {
    tag: 'Auth',
    summary: 'Change the password',
    description:
      'Checks `currentPassword` under the sign-in lockout (five tries per 15 minutes, then 429) and sets `newPassword` (the sign-up rules apply). Every session of the user ends, this one included: sign in again with the new password. Recorded as a `password_changed` security event.',
    responses: { 204: noContent },
    errors: [409, 422, 429],
    requestExample: bodyOf(changePasswordEvent),
  },
  'POST /v1/auth/verify-email': {
    tag: 'Auth',
    summary: 'Verify the email address',
    description:
      'Takes the `token` of the link emailed at sign-up (or by resend): the address is verified and live mode opens to the account (live API keys, `PayBridge-Mode: live`). Until then the account works in test mode only. Each link works once and for 24 hours: a used (400 `token_used`), expired (400 `token_expired`) or unknown (400 `invalid_token`) link is refused; a fresh link of an already verified address succeeds and changes nothing. Recorded as an `email_verified` security event.',
    responses: { 200: ok('The address is verified.', r.emailVerification) },
    errors: [429],
    requestExample: bodyOf(verifyEmailEvent),
  },
  'POST /v1/auth/verify-email/resend': {
    tag: 'Auth',
    summary: 'Send a new verification link',
    description:
      'Emails the signed-in user a new verification link (24 hours, single use). At most 5 an hour per user (429 `too_many_emails`); 409 `already_verified` once the address is verified.',
    responses: { 202: ok('The link was sent.', r.verificationSent) },
    errors: [409, 429, 503],
  },
  'POST /v1/auth/password-reset': {
    tag: 'Auth',
    summary: 'Ask for a password-reset link',
    description:
      'Always 202 with the same answer, whether or not an account uses the address, so it says nothing about who has an account. If one does, a link valid for one hour and one use is emailed to it. Limited per source address (429) and, silently, to 3 emails an hour per address.',
    responses: {
      202: ok('Accepted; a link was sent if an account uses the address.', r.passwordResetAccepted),
    },
    requestExample: { email: 'ada@example.com' },
  },
  'POST /v1/auth/password-reset/confirm': {
    tag: 'Auth',
    summary: 'Set a new password with a reset link',
    description:
      'Takes the `token` of the emailed link and the new `password` (the sign-up rules apply: 422 `weak_password`). The link is spent, every session of the user ends, the sign-in lockout is cleared and a `password_reset` security event is recorded; the address counts as verified. A used, expired or unknown link is a 400 (`token_used`, `token_expired`, `invalid_token`); so is a link sent before a later password change or "sign out everywhere".',
    responses: { 204: noContent },
    errors: [422],
    requestExample: bodyOf(confirmPasswordResetEvent),
  },
  'GET /v1/me': {
    tag: 'Account',
    summary: 'Who am I',
    responses: { 200: ok('The caller.', r.me) },
  },
  'PATCH /v1/me': {
    tag: 'Account',
    summary: 'Update the merchant',
    responses: { 200: ok('The updated merchant and the user.', r.meUpdate) },
    requestExample: bodyOf(updateMeEvent),
  },
  'POST /v1/api-keys': {
    tag: 'API keys',
    summary: 'Create an API key',
    description:
      'The secret (`key`) is in this answer only; PayBridge keeps a hash. `scope` is `server` unless `full` is asked for: a `server` key creates, reads and verifies payments and reads everything else; only a `full` key (or a dashboard session) may change provider credentials or webhook endpoints. Every key created or revoked is recorded as a security event.',
    responses: { 201: ok('The key with its secret.', r.apiKeyWithSecret) },
    // A live key for an account whose email address is not verified yet: 403 `email_unverified`.
    errors: [403],
    requestExample: bodyOf(createApiKeyEvent),
  },
  'GET /v1/api-keys': {
    tag: 'API keys',
    summary: 'List API keys',
    responses: { 200: ok('A page of keys, newest first.', r.apiKeyList) },
  },
  'POST /v1/api-keys/{id}/revoke': {
    tag: 'API keys',
    summary: 'Revoke an API key',
    description: 'The key stops working within 5 seconds. Revoking twice is harmless.',
    responses: { 200: ok('The revoked key.', r.apiKey) },
  },
  'GET /v1/audit-logs': {
    tag: 'Audit',
    summary: 'List the audit log',
    responses: { 200: ok('A page of entries, newest first.', r.auditEntryList) },
  },
  'GET /v1/security-events': {
    tag: 'Audit',
    summary: 'List security events',
    responses: { 200: ok('A page of security events, newest first.', r.securityEventList) },
  },
  'GET /v1/admin/merchants': {
    tag: 'Admin',
    summary: 'List every merchant',
    responses: { 200: ok('A page of merchants, newest first.', r.merchantList) },
  },
  'GET /v1/admin/audit-logs': {
    tag: 'Admin',
    summary: 'List every merchant’s audit log for a month',
    responses: { 200: ok('A page of entries, newest first.', r.auditEntryList) },
  },
  'PUT /v1/providers/{provider}': {
    tag: 'Providers',
    summary: 'Configure a provider',
    description:
      'Stores (or replaces) your credentials for one provider in one mode; secrets are envelope-encrypted and never returned. Paste the answer’s `webhookUrl` into the provider’s dashboard: it stays the same when you rotate keys. Paystack signs webhooks with the secret key; Flutterwave, Stripe and Chapa need `webhookSecret`. An API key configures its own mode only (403 `mode_mismatch` otherwise).',
    responses: { 200: ok('The configuration, without secrets.', r.providerConfig) },
    errors: [409, 422],
    requestExample: bodyOf(configureProviderEvent),
  },
  'GET /v1/providers': {
    tag: 'Providers',
    summary: 'List configured providers',
    responses: { 200: ok('The configurations in the mode (one page).', r.providerConfigList) },
  },
  'DELETE /v1/providers/{provider}': {
    tag: 'Providers',
    summary: 'Remove a provider',
    description: 'Forgets the credentials for one mode; the provider’s webhook URL stops working.',
    responses: { 204: noContent },
  },
  'POST /hooks/{provider}/{token}': {
    tag: 'Provider webhooks',
    summary: 'Receive a provider webhook',
    description:
      'Called by Paystack, Flutterwave, Stripe or Chapa at the `webhookUrl` of a provider configuration. The untouched body and headers are queued and 200 is answered at once; the signature is verified, the event de-duplicated and reconciled with the provider by a worker. Bodies over 256 KB get 413.',
    responses: { 200: ok('Queued.', r.received) },
    requestExample: bodyOf(receiveProviderWebhookEvent),
  },
  'POST /v1/webhook-endpoints': {
    tag: 'Webhook endpoints',
    summary: 'Create a webhook endpoint',
    description:
      'The `whsec_` signing secret is in this answer only. Live-mode URLs must be https; private, loopback, link-local and metadata addresses are refused (422). At most 20 endpoints per mode (409).',
    responses: { 201: ok('The endpoint with its secret.', r.webhookEndpointWithSecret) },
    errors: [409, 422],
    requestExample: bodyOf(createWebhookEndpointEvent),
  },
  'GET /v1/webhook-endpoints': {
    tag: 'Webhook endpoints',
    summary: 'List webhook endpoints',
    responses: { 200: ok('Every endpoint in the mode (one page), newest first.', r.webhookEndpointList) },
  },
  'GET /v1/webhook-endpoints/{id}': {
    tag: 'Webhook endpoints',
    summary: 'Get a webhook endpoint',
    responses: { 200: ok('The endpoint.', r.webhookEndpoint) },
  },
  'PATCH /v1/webhook-endpoints/{id}': {
    tag: 'Webhook endpoints',
    summary: 'Update a webhook endpoint',
    description: 'Re-enabling (`enabled: true`) clears a disable.',
    responses: { 200: ok('The endpoint.', r.webhookEndpoint) },
    errors: [409, 422],
    requestExample: bodyOf(updateWebhookEndpointEvent),
  },
  'DELETE /v1/webhook-endpoints/{id}': {
    tag: 'Webhook endpoints',
    summary: 'Delete a webhook endpoint',
    responses: { 204: noContent },
  },
  'POST /v1/webhook-endpoints/{id}/rotate-secret': {
    tag: 'Webhook endpoints',
    summary: 'Rotate the signing secret',
    description:
      'A new secret signs from now; the previous one keeps signing beside it for 24 hours (`secretRotatedUntil`), so receivers can switch without losing deliveries.',
    responses: { 200: ok('The endpoint with its new secret.', r.webhookEndpointWithSecret) },
    errors: [409],
  },
  'POST /v1/webhook-endpoints/{id}/test': {
    tag: 'Webhook endpoints',
    summary: 'Send a test event',
    description: 'Queues a `webhook_endpoint.test` event to this endpoint only.',
    responses: { 202: ok('The queued event.', r.event) },
  },
  'POST /v1/webhook-endpoints/{id}/recover': {
    tag: 'Webhook endpoints',
    summary: 'Resend failed deliveries',
    description:
      'Sends again every delivery to this endpoint that failed since `since`: the first 100 at once (`resent`), the rest from a background job (`more`).',
    responses: { 202: ok('How many deliveries were queued again.', r.recovered) },
    requestExample: bodyOf(recoverWebhookEndpointEvent),
  },
  'GET /v1/events': {
    tag: 'Events',
    summary: 'List events',
    responses: { 200: ok('A page of events, newest first.', r.eventList) },
  },
  'GET /v1/events/{id}': {
    tag: 'Events',
    summary: 'Get an event',
    responses: { 200: ok('The event.', r.event) },
  },
  'GET /v1/events/{id}/attempts': {
    tag: 'Events',
    summary: 'List delivery attempts of an event',
    description:
      'Every POST of the event to an endpoint: status, latency, the first 1 KB of the answer, error.',
    responses: { 200: ok('The attempts and the deliveries (one page).', r.attemptList) },
  },
  'POST /v1/events/{id}/resend': {
    tag: 'Events',
    summary: 'Resend an event',
    description:
      'To one endpoint (`endpointId`), or to every endpoint it was delivered to. The delivery keeps its `webhook-id`, so receivers can recognise the repeat.',
    responses: { 202: ok('The queued deliveries.', r.resent) },
    requestExample: bodyOf(resendEventEvent),
  },
  'POST /v1/payments': {
    tag: 'Payments',
    summary: 'Create a payment',
    description:
      'Starts a checkout with the first enabled provider that takes the currency (or the named `provider`); timeouts, network errors, 429 and 5xx fall back to the next, and every try is in `attempts`. Redirect your customer to `checkoutUrl`. `amount` is an integer in the minor unit (kobo, cents; whole units for JPY, UGX, RWF, XOF). `Idempotency-Key` is required from every caller (API key or dashboard): a replay within 24 h returns the first answer, the same key with another body is a 409.',
    responses: {
      201: {
        description: 'The payment, pending until the customer pays.',
        schema: r.payment,
        headers: {
          'Idempotency-Key': {
            description: 'The key the request was made with.',
            schema: { type: 'string' },
          },
          'Idempotent-Replayed': {
            description: '`true` when this is the stored answer to an earlier request with the same key.',
            schema: { type: 'string', enum: ['true'] },
          },
        },
      },
    },
    errors: [409, 422, 502],
    requestExample: bodyOf(createPaymentEvent),
    idempotent: true,
  },
  'GET /v1/payments': {
    tag: 'Payments',
    summary: 'List payments',
    responses: { 200: ok('A page of payments, newest first.', r.paymentList) },
  },
  'GET /v1/payments/{id}': {
    tag: 'Payments',
    summary: 'Get a payment',
    responses: { 200: ok('The payment.', r.payment) },
  },
  'POST /v1/payments/{id}/verify': {
    tag: 'Payments',
    summary: 'Verify a payment with its provider',
    description:
      'Asks the provider and moves the payment forward if it has (the same settle path as webhooks and the reconciliation sweeper); an amount or currency different from what was initiated puts it in `requires_review` (`failureReason: amount_mismatch`).',
    responses: { 200: ok('The payment, as it stands now.', r.payment) },
    errors: [502],
  },
  'POST /v1/payments/{id}/refunds': {
    tag: 'Refunds',
    summary: 'Refund a payment',
    description:
      'Refunds `amount` (minor units; omitted = everything still refundable) of a `succeeded` or `partially_refunded` payment through its provider. The check and the creation are one conditional write, so concurrent refunds can never add up to more than was captured: one that would answers 422 with what is left. Policy per account: within 365 days, at most 10 refunds per payment. `Idempotency-Key` is required. The refund starts `pending` (`refund.created`) and moves when the provider confirms it (`refund.succeeded`, `refund.failed`, `refund.requires_action`); a refund the provider refuses at once is answered as `failed` with its words in `failureReason`, and its amount can be refunded again.',
    responses: {
      201: {
        description: 'The refund, usually `pending` until the provider completes it.',
        schema: r.refund,
        headers: {
          'Idempotency-Key': {
            description: 'The key the request was made with.',
            schema: { type: 'string' },
          },
          'Idempotent-Replayed': {
            description:
              '`true` when this answers an earlier request with the same key (the refund as it is now).',
            schema: { type: 'string', enum: ['true'] },
          },
        },
      },
    },
    errors: [409, 422, 502],
    requestExample: bodyOf(createRefundEvent),
    idempotent: true,
  },
  'GET /v1/payments/{id}/refunds': {
    tag: 'Refunds',
    summary: 'List the refunds of a payment',
    responses: { 200: ok('Every refund of the payment, newest first (one page).', r.refundList) },
  },
  'GET /v1/payments/{id}/activity': {
    tag: 'Payments',
    summary: 'List the activity of a payment',
    description:
      'What passed between PayBridge and the provider for this payment: each provider webhook received (its signature result — `valid` or `rejected` — and what PayBridge did with it) and each verify call (from `POST /v1/payments/{id}/verify` or reconciliation, with the resulting status or error). The dashboard’s payment timeline shows them. Oldest first; the newest 100, kept 90 days.',
    responses: { 200: ok('The activity, oldest first (one page).', r.paymentActivityList) },
  },
  'GET /v1/refunds': {
    tag: 'Refunds',
    summary: 'List refunds',
    responses: { 200: ok('A page of refunds, newest first.', r.refundList) },
  },
  'GET /v1/refunds/{id}': {
    tag: 'Refunds',
    summary: 'Get a refund',
    responses: { 200: ok('The refund.', r.refund) },
  },
  'GET /v1/balance': {
    tag: 'Balance',
    summary: 'Get the balance',
    description:
      '`available` = succeeded sales − succeeded refunds − fees (where the provider reports them), and `pendingRefunds`, per provider and currency, from the ledger.',
    responses: { 200: ok('The balance now.', r.balance) },
  },
  'GET /v1/balance-transactions': {
    tag: 'Balance',
    summary: 'List balance transactions',
    description:
      'The ledger postings, newest first, each with the payment or refund that caused it. `?format=csv` answers the same page as CSV (`text/csv`; the next page’s cursor in the `PayBridge-Next-Cursor` header).',
    responses: { 200: ok('A page of postings, newest first.', r.balanceTransactionList) },
  },
  'POST /v1/payment-links': {
    tag: 'Payment links',
    summary: 'Create a payment link',
    description:
      'A hosted payment page for a fixed `amount`, or for an amount the customer chooses within `allowCustomerAmount` ({min, max}, minor units). The page offers one button per provider you have enabled for the currency (narrowed to `providers` when given), labelled for customers: “Pay with card” (Stripe), “Pay with Paystack”, “Mobile money” (Flutterwave), “telebirr / CBE Birr” (Chapa). Share `url`, or print the QR code at `qrCodeUrl`. `maxPayments` bounds how many payments the link starts (a conditional counter, never exceeded however many customers press at once); `expiresAt` ends it.',
    responses: { 201: ok('The link, with its page URL and QR code URL.', r.paymentLink) },
    errors: [422],
    requestExample: bodyOf(createPaymentLinkEvent),
  },
  'GET /v1/payment-links': {
    tag: 'Payment links',
    summary: 'List payment links',
    responses: { 200: ok('A page of links, newest first.', r.paymentLinkList) },
  },
  'GET /v1/payment-links/{id}': {
    tag: 'Payment links',
    summary: 'Get a payment link',
    responses: { 200: ok('The link.', r.paymentLink) },
  },
  'PATCH /v1/payment-links/{id}': {
    tag: 'Payment links',
    summary: 'Update a payment link',
    description:
      '`active: false` turns the page off (customers see that it is off; its payments are untouched); `true` turns it back on. `title` and `description` change what the page shows.',
    responses: { 200: ok('The link.', r.paymentLink) },
    requestExample: bodyOf(updatePaymentLinkEvent),
  },
  'GET /v1/payment-links/{id}/payments': {
    tag: 'Payment links',
    summary: 'List the payments of a payment link',
    description: 'The same as `GET /v1/payments?paymentLink={id}`.',
    responses: { 200: ok('A page of payments made through the link, newest first.', r.paymentList) },
  },
  'GET /pay/{slug}': {
    tag: 'Payment links',
    summary: 'The hosted payment page (HTML)',
    description:
      'For customers, not programs: the merchant’s name, the title, description and amount (or an “Amount” field), an “Email” field and one button per provider. No script, no third-party request (a strict Content-Security-Policy), readable on a 360 px phone. An unknown link answers a 404 page; an inactive, expired or sold-out one a 410 page; no provider for the currency a 503 page. Query parameters are ignored.',
    responses: { 200: { description: 'The page.', contentType: 'text/html' } },
    errors: [410, 503],
  },
  'POST /pay/{slug}': {
    tag: 'Payment links',
    summary: 'Submit the hosted payment page (HTML form)',
    description:
      'The page’s form, `application/x-www-form-urlencoded`: `token` (the page’s one-time token), `email`, `provider` and, for a customer-chosen amount, `amount` (major units). Creates the payment exactly as `POST /v1/payments` does, with `paymentLinkId` set and the token as its Idempotency-Key (sending the same form twice makes one payment), and answers 303 to the provider’s checkout. Refusals are HTML pages: 422 (the form again, saying what to fix: an amount outside the bounds, a missing email), 409 (the form was already sent with other choices), 410 (inactive, expired or sold out), 429 (too many attempts from the address or to the link), 502 (the provider failed).',
    responses: {
      200: {
        description:
          'The same form sent again after its payment settled: that payment’s status page (HTML), not a second payment.',
        contentType: 'text/html',
      },
      303: { description: 'To the provider’s checkout (for the same form sent again: the same checkout).' },
    },
    errors: [404, 409, 410, 413, 415, 422, 429, 502],
  },
  'GET /pay/{slug}/done': {
    tag: 'Payment links',
    summary: 'After paying (HTML)',
    description:
      'Where the provider returns the customer: the payment’s status; a pending payment’s page refreshes itself every 3 seconds until settled, a succeeded one links to the link’s `redirectUrl`. `?session=` (what the provider is given) answers 303 to `?payment=`.',
    responses: {
      200: { description: 'The status page.', contentType: 'text/html' },
      303: { description: 'To `?payment=pay_…`.' },
    },
  },
  'GET /pay/{slug}/qr.svg': {
    tag: 'Payment links',
    summary: 'The link’s QR code (SVG)',
    description: 'The page’s URL as a QR code. Cacheable for a day.',
    responses: { 200: { description: 'The QR code.', contentType: 'image/svg+xml' } },
  },
  'GET /pay/{slug}/qr.png': {
    tag: 'Payment links',
    summary: 'The link’s QR code (PNG)',
    description: 'The page’s URL as a QR code, 8 pixels a module. Cacheable for a day.',
    responses: { 200: { description: 'The QR code.', contentType: 'image/png' } },
  },
};

const errorDescriptions: Record<number, string> = {
  400: 'The request is malformed: bad JSON, an unknown or wrongly typed field or query parameter.',
  401: 'Missing, malformed, expired or revoked credentials.',
  403: 'Authenticated, but not allowed (another mode’s objects, an admin route).',
  404: 'No such object in the caller’s merchant and mode.',
  409: 'Conflicts with the current state (a duplicate, a reused Idempotency-Key, a concurrent change).',
  410: 'Gone: the payment link is inactive, expired or sold out (an HTML page).',
  413: 'The body is too large.',
  415: 'The body is not `application/json`.',
  422: 'Well-formed but refused (e.g. a currency no enabled provider takes).',
  429: 'Too many requests; retry after `Retry-After` seconds.',
  500: 'Something went wrong on our side; retrying is safe.',
  502: 'The payment provider failed or refused.',
  503: 'A dependency of ours is unavailable.',
};

const paramDescriptions: Record<string, string> = {
  limit: 'Page size, 1–100 (default 20).',
  cursor: 'The `nextCursor` of the previous page.',
  mode: '`test` or `live`. An API key acts in its own mode only.',
  month: 'Month of the log, `yyyy-mm` (default: the current month).',
  status: 'Only objects in this status.',
  payment: 'Only those of this payment.',
  kind: 'Only postings of this kind: `charge`, `fee`, `refund_hold`, `refund`, `refund_void`.',
  currency: 'Only this currency (ISO 4217).',
  format: '`json` (default) or `csv`.',
  provider: 'A provider: `paystack`, `flutterwave`, `stripe` or `chapa`.',
  reference: 'Your own reference, as given at creation.',
  email: 'Only payments of the customer with this email (exact match, case-insensitive).',
  type: 'Only events of this type.',
  paymentId: 'Only events about this payment.',
  createdFrom: 'Created at or after (ISO 8601).',
  createdTo: 'Created at or before (ISO 8601).',
  id: 'The object’s id.',
  token: 'The opaque token of the provider configuration’s `webhookUrl`.',
  file: 'The asset’s file name.',
  slug: 'The random token of a payment link’s `url`.',
  paymentLink: 'Only payments made through this payment link (`plink_…`).',
  session: 'The one-time token of the form that started the payment.',
};

/** OpenAPI security requirement for each credential kind (`[]` = none). */
export const securityFor: Readonly<Record<Credential, JsonObject[]>> = {
  none: [],
  providerSignature: [],
  dashboard: [{ dashboardToken: [] }],
  apiKeyOrDashboard: [{ apiKey: [] }, { dashboardToken: [] }],
  admin: [{ adminToken: [] }],
};

/**
 * A route's security requirement: its credential's, with the API-key scope it
 * needs as the requirement's role list (OpenAPI 3.1 allows roles for non-OAuth
 * schemes): `{ apiKey: ['full'] }` on routes a `server` key may not call.
 */
export function securityOf(route: Route): JsonObject[] {
  const base = securityFor[route.credential];
  if ((route.apiKeyScope ?? 'server') === 'server') return base;
  return base.map((requirement) => ('apiKey' in requirement ? { apiKey: [route.apiKeyScope] } : requirement));
}

const securitySchemes = {
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'sk_test_… or sk_live_…',
    description:
      'A secret API key from `POST /v1/api-keys`, for your servers. It acts in its own mode (test or live) only, within its scope: `server` keys (the default) create, read and verify payments and read everything else; routes whose requirement lists `full` (provider credentials, webhook endpoints) need a `full` key and answer 403 `insufficient_scope` to a `server` one.',
  },
  dashboardToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'A dashboard access token from sign-in (5 minutes; renew with `POST /v1/auth/refresh`). Picks its mode with the `PayBridge-Mode` header (test by default).',
  },
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A dashboard access token of a user with the admin role (granted by an operator).',
  },
};

const headerParameters = {
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: true,
    description:
      'Required from every caller. 1–255 printable ASCII characters, unique per payment you mean to create; a replay within 24 hours returns the first answer.',
    schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
  },
  PayBridgeMode: {
    name: 'PayBridge-Mode',
    in: 'header',
    required: false,
    description:
      'With a dashboard token: the mode to act in (default `test`). API keys ignore it. `live` needs a verified email address (else 403 `email_unverified`; `GET /v1/me` answers in either mode).',
    schema: { type: 'string', enum: ['test', 'live'] },
  },
  WebhookId: {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: 'The delivery’s id (`msg_…`): the same on every retry and resend. De-duplicate on it.',
    schema: { type: 'string', pattern: idPattern('msg').source },
  },
  WebhookTimestamp: {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description: 'Seconds since the epoch when this attempt was signed. Refuse one more than 5 minutes away.',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  WebhookSignature: {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      '`v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` keyed by the base64 part of the endpoint’s `whsec_` secret; space-separated signatures while a rotated secret still signs. Accept any one that matches.',
    schema: { type: 'string' },
  },
};

const description = `- **Authentication**: \`Authorization: Bearer <key>\` with an API key (\`sk_test_…\`, \`sk_live_…\`) from your server, or a dashboard access token.
- **Modes**: everything lives in \`test\` or \`live\`; an API key acts in its own mode, a dashboard token picks one with \`PayBridge-Mode\`. A new account works in test mode only until its owner opens the emailed verification link (\`POST /v1/auth/verify-email\`); live calls before that answer 403 \`email_unverified\`.
- **Money**: \`amount\` is an integer in the currency's minor unit, \`currency\` an ISO 4217 code.
- **Errors**: \`{"error": {"type", "code", "message", "param"?, "requestId"}}\` with the HTTP status. Unknown fields are refused.
- **Lists**: \`?limit=\` (1–100, default 20) and \`?cursor=\`; answer \`{"data", "hasMore", "nextCursor"}\`, newest first.
- **Idempotency**: \`POST /v1/payments\` requires \`Idempotency-Key\` from every caller.
- **Webhooks**: events are POSTed to your endpoints signed per [Standard Webhooks](https://www.standardwebhooks.com/); see the webhooks section.`;

export interface DocumentOptions {
  /** `info.version`. */
  readonly version: string;
  /** Where the API is; default `/` (the host serving the document). */
  readonly serverUrl?: string;
}

/** Every route's request spec, read from its handler module (imported, not run). */
export async function routeSpecs(): Promise<Map<string, HttpSpec<unknown, unknown, unknown>>> {
  const specs = new Map<string, HttpSpec<unknown, unknown, unknown>>();
  for (const route of routes) {
    const module = (await loadHandlerModule(route.handler)) as {
      handler?: { spec?: HttpSpec<unknown, unknown, unknown> };
    };
    const spec = module.handler?.spec;
    if (!spec) throw new Error(`${route.handler} has no handler.spec: build it with http() from #edge/http`);
    specs.set(routeKey(route), spec);
  }
  return specs;
}

/**
 * Imports a handler module by its route-table path. The two literal prefixes let
 * esbuild bundle every handler under api/ and hooks/ for the Lambda that serves
 * the document (its glob imports); vitest and tsx import them as usual.
 */
function loadHandlerModule(handler: string): Promise<unknown> {
  const [dir, file] = handler.split('/');
  const name = file?.replace(/\.ts$/, '');
  if (dir === 'api' && name) return import(`./api/${name}.ts`);
  if (dir === 'hooks' && name) return import(`./hooks/${name}.ts`);
  throw new Error(`Unexpected handler location ${handler}`);
}

/** `format: date-time` says it all: zod's long date-time regex only makes the document harder to read. */
const override = ({ jsonSchema }: { jsonSchema: JsonObject }): void => {
  if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
};

/** A zod schema as a JSON Schema (2020-12, as OpenAPI 3.1 uses) for requests: what is accepted. */
function requestSchema(schema: z.ZodMiniType): JsonObject {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    override,
  }) as JsonObject;
  return rest;
}

function componentName(schema: z.ZodMiniType): string {
  const name = r.components.get(schema)?.id;
  if (!name) throw new Error('a response schema is not registered in responses.ts `components`');
  return name;
}

const ref = (name: string, kind = 'schemas') => ({ $ref: `#/components/${kind}/${name}` });

function componentSchemas(): JsonObject {
  const converted = z.toJSONSchema(r.components, {
    target: 'draft-2020-12',
    metadata: r.components,
    io: 'output',
    unrepresentable: 'any',
    override,
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, JsonObject> };
  const out: JsonObject = {};
  for (const [name, schema] of Object.entries(converted.schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema;
    out[name] = rest;
  }
  return out;
}

/** Query or path parameters from a strict object schema. */
function parameters(schema: z.ZodMiniType | undefined, where: 'query' | 'path', path: string): JsonObject[] {
  if (where === 'path' && !schema) {
    return [...path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      ...(name && paramDescriptions[name] ? { description: paramDescriptions[name] } : {}),
      schema: { type: 'string' },
    }));
  }
  if (!schema) return [];
  const json = requestSchema(schema) as { properties?: Record<string, JsonObject>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    ...(paramDescriptions[name] ? { description: paramDescriptions[name] } : {}),
    schema: property,
  }));
}

/** The error answers of a route: what every route of its kind may answer, plus its own. */
export function errorStatuses(route: Route, spec: HttpSpec<unknown, unknown, unknown>): number[] {
  const statuses = new Set<number>([400, 500, ...(operations[routeKey(route)]?.errors ?? [])]);
  if (route.credential !== 'none' && route.credential !== 'providerSignature') statuses.add(401);
  if (route.credential === 'admin' || route.credential === 'apiKeyOrDashboard') statuses.add(403);
  if (route.path.includes('{')) statuses.add(404);
  if (spec.body || route.credential === 'providerSignature') statuses.add(413);
  if (spec.body) statuses.add(415);
  if (route.rateLimit === 'auth') statuses.add(429);
  return [...statuses].sort((a, b) => a - b);
}

function operationFor(route: Route, spec: HttpSpec<unknown, unknown, unknown>): JsonObject {
  const key = routeKey(route);
  const op = operations[key];
  if (!op) throw new Error(`No entry for ${key} in functions/openapi.ts operations`);
  const name = functionName(route.handler);
  const params: JsonObject[] = [
    ...parameters(spec.params, 'path', route.path),
    ...parameters(spec.query, 'query', route.path),
  ];
  if (op.idempotent) params.push(ref('IdempotencyKey', 'parameters'));
  if (route.credential === 'apiKeyOrDashboard') params.push(ref('PayBridgeMode', 'parameters'));

  const responses: JsonObject = {};
  for (const [status, success] of Object.entries(op.responses)) {
    const contentType = success.contentType ?? 'application/json';
    responses[status] = {
      description: success.description,
      ...(success.headers ? { headers: success.headers } : {}),
      ...(success.schema
        ? {
            content: {
              [contentType]: {
                schema: r.components.has(success.schema)
                  ? ref(componentName(success.schema))
                  : requestSchema(success.schema),
              },
            },
          }
        : contentType === 'application/json'
          ? {}
          : { content: { [contentType]: { schema: { type: 'string' } } } }),
    };
  }
  for (const status of errorStatuses(route, spec))
    responses[String(status)] = ref(`Error${status}`, 'responses');

  let requestBody: JsonObject | undefined;
  if (spec.body) {
    requestBody = {
      required: true,
      content: {
        'application/json': {
          schema: requestSchema(spec.body),
          ...(op.requestExample === undefined ? {} : { example: op.requestExample }),
        },
      },
    };
  } else if (route.credential === 'providerSignature') {
    requestBody = {
      required: true,
      description: 'The provider’s webhook, byte for byte as the provider sent it.',
      content: {
        'application/json': { schema: {}, ...(op.requestExample ? { example: op.requestExample } : {}) },
      },
    };
  }

  return {
    operationId: camel(name),
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    security: securityOf(route),
    'x-paybridge-credential': route.credential,
    ...(route.credential === 'apiKeyOrDashboard'
      ? { 'x-paybridge-api-key-scope': route.apiKeyScope ?? 'server' }
      : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses,
  };
}

const camel = (kebab: string) => kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function webhookOperation(type: EventType): JsonObject {
  const payment = type.startsWith('payment.');
  return {
    post: {
      operationId: camel(`webhook-${type.replace(/[._]/g, '-')}`),
      tags: ['Webhooks'],
      summary: type,
      description: `${webhookDescriptions[type]} Sent to every enabled endpoint subscribed to \`${type}\` or \`*\`, as a POST with the Standard Webhooks headers. Verify the signature over the raw body before trusting it (\`verifyWebhook\` in the PayBridge client, or any Standard Webhooks library), and de-duplicate on \`webhook-id\`.`,
      security: [],
      parameters: [
        ref('WebhookId', 'parameters'),
        ref('WebhookTimestamp', 'parameters'),
        ref('WebhookSignature', 'parameters'),
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: ref(componentName(r.webhookPayloads[type])),
            ...(payment
              ? {
                  example: {
                    id: 'evt_01JXAMPLE0000000000000000E',
                    type,
                    createdAt: '2026-11-23T09:05:00.000Z',
                    mode: 'test',
                    data: { object: paymentExampleFor(type) },
                  },
                }
              : {}),
          },
        },
      },
      responses: {
        '2XX': { description: 'Delivered.' },
        '410': { description: 'Gone: PayBridge disables the endpoint.' },
        default: {
          description:
            'Anything else, or no answer within 15 s, is retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h (±20 %; a longer `Retry-After` wins), then parked as failed. An endpoint failing everything for 5 days is disabled.',
        },
      },
    },
  };
}

/** The payment a `payment.*` event carries in the document's examples. */
function paymentExampleFor(type: EventType) {
  if (type === 'payment.amount_mismatch') {
    return {
      ...r.paymentExample,
      status: 'requires_review',
      failureReason: 'amount_mismatch',
      nextCheckAt: null,
      lastCheckedAt: '2026-11-23T09:05:00.000Z',
      settledBy: 'webhook',
      amountMismatch: {
        expected: { amount: r.paymentExample.amount, currency: r.paymentExample.currency },
        reported: { amount: 1000000, currency: r.paymentExample.currency },
      },
    };
  }
  return { ...r.paymentExample, status: type.slice('payment.'.length) };
}

const webhookDescriptions: Record<EventType, string> = {
  'payment.succeeded': 'A payment was paid, confirmed with the provider (amount and currency checked).',
  'payment.failed':
    'A payment failed (`failureReason` says why, in the provider’s words where it gave them).',
  'payment.cancelled': 'The customer or the provider cancelled a payment.',
  'payment.expired':
    'A checkout reached `expiresAt` unpaid (the provider confirmed it once more; a Stripe session is ended too).',
  'payment.amount_mismatch':
    'The provider reported another amount or currency than initiated (lower, higher, or another currency): the payment is in `requires_review`, `amountMismatch` carries the expected and the reported money.',
  'refund.created': 'A refund was created (`pending`): its amount is held from what can be refunded.',
  'refund.succeeded':
    'The provider confirmed a refund (its refund lookup, never a webhook alone): the payment is now `partially_refunded` or `refunded`.',
  'refund.failed':
    'The provider failed or refused a refund (`failureReason` in its words): its amount can be refunded again.',
  'refund.requires_action':
    'The provider needs something before it can refund (`nextAction` says what: Paystack’s customer bank details, Stripe’s `requires_action`).',
  'webhook_endpoint.test': 'Sent by `POST /v1/webhook-endpoints/{id}/test` to that endpoint only.',
  'webhook_endpoint.disabled':
    'An endpoint was disabled (it failed every delivery for 5 days, or answered 410). Recorded in `GET /v1/events`; not yet POSTed to endpoints.',
};

/** Builds the OpenAPI 3.1 document. */
export async function buildOpenApiDocument(options: DocumentOptions): Promise<JsonObject> {
  const specs = await routeSpecs();
  const paths: Record<string, JsonObject> = {};
  for (const route of routes) {
    const spec = specs.get(routeKey(route)) as HttpSpec<unknown, unknown, unknown>;
    paths[route.path] ??= {};
    (paths[route.path] as JsonObject)[route.method.toLowerCase()] = operationFor(route, spec);
  }
  const errorResponses: JsonObject = {};
  for (const [status, text] of Object.entries(errorDescriptions)) {
    errorResponses[`Error${status}`] = {
      description: text,
      headers: {
        'X-Request-Id': { description: 'Quote it when you contact us.', schema: { type: 'string' } },
        ...(status === '429'
          ? { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } }
          : {}),
      },
      content: { 'application/json': { schema: ref('Error') } },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'PayBridge API',
      version: options.version,
      summary: 'One API, one key, one webhook format for Paystack, Flutterwave, Stripe and Chapa.',
      description,
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: options.serverUrl ?? '/' }],
    security: [],
    tags: [...tags, { name: 'Webhooks', description: 'What PayBridge POSTs to your webhook endpoints.' }],
    paths,
    webhooks: Object.fromEntries(eventTypes.map((type) => [type, webhookOperation(type)])),
    components: {
      schemas: componentSchemas(),
      responses: errorResponses,
      parameters: headerParameters,
      securitySchemes,
    },
  };
}
