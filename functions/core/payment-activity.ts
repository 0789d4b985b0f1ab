import type { Mode } from './actor.ts';
import type { PaymentStatus } from './payments.ts';
import type { ProviderName } from './provider-adapter.ts';

/**
 * Payment activity: what happened to a payment between PayBridge and its
 * provider that the payment item itself does not keep — each provider webhook
 * received (with its signature result and what we did with it) and each verify
 * call (from the API's "verify with provider" or from reconciliation). The
 * dashboard's payment timeline reads it (issue #16).
 *
 * The log is best effort and append-only: a failed `record` must never fail the
 * payment path that called it — the wired log (app/payment-activity.ts) never
 * rejects, it logs the failure — and entries expire after a retention period
 * (store/payment-activity.ts). Callers await it (no write left in flight). Nothing secret goes in: no
 * signature, header, body or credential — `reason` is a short machine word.
 */

/** What the webhook path did with a provider webhook. */
export type ProviderWebhookOutcome =
  /** Signature valid and the event moved the payment (or its attempt) forward. */
  | 'applied'
  /** Signature valid, but the event was already applied (same provider event or state). */
  | 'duplicate'
  /** Signature valid, but the event type or state does not move the payment. */
  | 'ignored'
  /** Accepted but not finished; the queue will try again. */
  | 'retry'
  /** Signature rejected: nothing was applied. */
  | 'rejected';

/** Who asked for a verify call. */
export type VerifySource = 'api' | 'reconciliation';

interface ActivityBase {
  readonly merchantId: string;
  readonly mode: Mode;
  /** The payment (`pay_…`) the entry belongs to. */
  readonly paymentId: string;
  /** When it happened, ISO 8601 UTC (`new Date().toISOString()`). */
  readonly at: string;
  /** The provider that sent the webhook or answered the verify call. */
  readonly provider: ProviderName;
}

/** One provider webhook received for the payment. */
export interface ProviderWebhookActivity extends ActivityBase {
  readonly kind: 'provider_webhook';
  readonly signature: 'valid' | 'rejected';
  /** Why the signature was rejected or the event not applied, as a short machine word (`signature_mismatch`, `unknown_event_type`). */
  readonly reason?: string;
  readonly outcome: ProviderWebhookOutcome;
  /** The provider's event id when its webhook carries one (Stripe `evt_…`, Flutterwave's numeric id). */
  readonly providerEventId?: string;
}

/** One verify call to the provider for the payment. */
export interface VerifyActivity extends ActivityBase {
  readonly kind: 'verify';
  readonly source: VerifySource;
  /** The payment's status after the call, when the call answered. */
  readonly status?: PaymentStatus;
  /** Our error code when the call failed (`provider_unavailable`, `provider_timeout`, …). */
  readonly errorCode?: string;
}

/** What callers record: exactly one of the two kinds. */
export type PaymentActivityEntry = ProviderWebhookActivity | VerifyActivity;

export type PaymentActivityKind = PaymentActivityEntry['kind'];

/** The port the webhook and verify paths write to (app/payment-activity.ts wires it). */
export interface PaymentActivityLog {
  /** Appends one entry to the payment's timeline. Never fails the caller's payment path (see above). */
  record(entry: PaymentActivityEntry): Promise<void>;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The read side: one timeline entry as the API returns it (the tenancy keys are implied by the request). */
export type PaymentActivity = DistributiveOmit<PaymentActivityEntry, 'merchantId' | 'mode' | 'paymentId'>;

/** Reads a payment's activity, oldest first; empty when there is none (or the payment is another merchant's). */
export interface PaymentActivityReader {
  list(merchantId: string, mode: Mode, paymentId: string): Promise<readonly PaymentActivity[]>;
}
