/**
 * The one interface every payment provider adapter implements. The domain
 * (functions/core) speaks only these types: integer minor units plus an ISO 4217
 * code, and our own status vocabulary. Each adapter converts to and from its
 * provider's units and shapes, and cites the provider's documentation at its top.
 */

/**
 * Every provider PayBridge speaks to: the one place the list is written. The type, the
 * API's enums (edge/schemas.ts `providerName`), the registry (providers/index.ts, which
 * `satisfies Record<ProviderName, …>`) and the local sandboxes derive from it, so a fifth
 * provider is one name here, one adapter module and one registry line; the compiler
 * points at every table that still lacks it.
 */
export const providerNames = ['paystack', 'flutterwave', 'stripe', 'chapa'] as const;

export type ProviderName = (typeof providerNames)[number];

/** A merchant's credentials for one provider and mode, decrypted only in memory. */
export interface ProviderCredentials {
  /** API secret key (Paystack `sk_…`, Flutterwave `FLWSECK…`, Stripe `sk_…`, Chapa `CHASECK…`). */
  readonly secretKey: string;
  readonly publicKey?: string;
  /**
   * Webhook signing secret where the provider has one apart from the API key:
   * Flutterwave's and Chapa's dashboard "secret hash", Stripe's `whsec_…`.
   * Paystack signs with the API secret key and needs none.
   */
  readonly webhookSecret?: string;
}

/** How to reach the provider: base URL (real API or local sandbox) and a timeout. */
export interface ProviderContext {
  readonly baseUrl: string;
  readonly credentials: ProviderCredentials;
  /** Per-request timeout; well under fetch's 300 s default. */
  readonly timeoutMs: number;
}

export interface InitializeInput {
  /** Our id for the attempt (`ref_…`), sent as the provider's reference / tx_ref / client_reference_id. */
  readonly reference: string;
  /** Integer amount in the currency's minor unit (core/money.ts). */
  readonly amount: number;
  /** Upper-case ISO 4217. */
  readonly currency: string;
  readonly customer: { readonly email: string; readonly name?: string; readonly phone?: string };
  readonly description?: string;
  /** Where the provider sends the customer after checkout. */
  readonly redirectUrl?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** When our own expiry closes the payment; adapters pass it on where the provider has a lifetime. */
  readonly expiresAt?: Date;
}

export interface InitializeResult {
  /** The provider's id for the transaction (Stripe `cs_…`; others echo our reference). */
  readonly providerReference: string;
  readonly checkoutUrl: string;
}

/** Our view of a provider transaction's state. */
export type ProviderStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled' | 'expired';

export interface VerifyInput {
  readonly reference: string;
  readonly providerReference: string;
}

export interface VerifyResult {
  readonly status: ProviderStatus;
  /** Minor units, converted from the provider's; undefined when the provider did not say. */
  readonly amount: number | undefined;
  /** Upper-case ISO 4217; undefined when the provider did not say. */
  readonly currency: string | undefined;
  /** The provider's own status word, for the attempt log. */
  readonly providerStatus: string;
  /** Why the provider failed it, in its words (Paystack's `gateway_response`), when it says. */
  readonly failureReason?: string;
  /**
   * The provider's id for the captured charge, as its refund API needs it, once paid:
   * Stripe the PaymentIntent `pi_…` (null on a Checkout Session until paid), Flutterwave the
   * numeric transaction id (`data.id`, not `tx_ref`), Chapa its own `reference` (not our
   * `tx_ref`), Paystack the transaction reference it echoes. Stored on the payment at settlement.
   */
  readonly chargeId?: string;
  /** The provider's fee on this charge in minor units, where the verify answer reports it. */
  readonly fee?: number;
}

export interface ExpireInput {
  readonly reference: string;
  readonly providerReference: string;
}

/** Our view of a provider refund's state. */
export type ProviderRefundStatus = 'pending' | 'succeeded' | 'failed' | 'requires_action';

export type RefundReason = 'requested_by_customer' | 'duplicate' | 'fraudulent' | 'other';

/** The payment a refund is for, as the provider knows it. */
export interface RefundTarget {
  /** Our reference for the attempt that was paid (`ref_…`). */
  readonly reference: string;
  /** What `initialize` returned (Stripe `cs_…`; the others echo our reference). */
  readonly providerReference: string;
  /** `VerifyResult.chargeId` stored at settlement (see there); adapters that need it refuse without it. */
  readonly chargeId: string | undefined;
}

export interface RefundInput {
  /**
   * Our refund id (`re_…`): the provider's idempotency key or unique reference where it has one
   * (Stripe `Idempotency-Key`, Chapa `reference`), and in the metadata/notes elsewhere.
   */
  readonly refundId: string;
  readonly payment: RefundTarget;
  /** Integer minor units; always given (core resolves "the whole remainder"). */
  readonly amount: number;
  readonly currency: string;
  readonly reason?: RefundReason;
}

export interface RefundResult {
  readonly status: ProviderRefundStatus;
  /** The provider's id for the refund (Paystack numeric id as a string, Flutterwave's, Stripe `re_…`, Chapa `ref_id`). */
  readonly providerRefundId: string;
  /** Minor units when the provider says; undefined when it did not. */
  readonly amount: number | undefined;
  /** The provider's own status word, for the log and the API. */
  readonly providerStatus: string;
  /** Why it failed, in the provider's words. */
  readonly failureReason?: string;
  /** What is needed when `requires_action` (Paystack `needs-attention`, Stripe `requires_action`), in words. */
  readonly nextAction?: string;
}

export interface RefundLookup {
  readonly refundId: string;
  /** Known once the create answered; absent when the create's answer was lost (timeout, crash). */
  readonly providerRefundId: string | undefined;
  readonly payment: RefundTarget;
  readonly amount: number;
  readonly currency: string;
}

export type SignatureCheck =
  | {
      readonly ok: true;
      /**
       * Set by adapters whose provider has two signing generations (Flutterwave):
       * `body` = an HMAC over the raw body; `static` = the secret itself echoed in a
       * header, which binds nothing. The verify worker refuses `static` from an
       * endpoint that has been seen sending `body` signatures (a downgrade).
       */
      readonly scheme?: 'body' | 'static';
    }
  | {
      readonly ok: false;
      readonly reason:
        'missing_signature' | 'bad_signature' | 'stale_timestamp' | 'no_secret' | 'legacy_signature_refused';
    };

/** A provider webhook reduced to what the verify worker needs. It is a claim, never trusted alone. */
export type ParsedWebhook =
  | {
      readonly kind: 'payment';
      /** Provider event identity for de-duplication (derived where the provider has none). */
      readonly eventId: string;
      /** The provider event type, e.g. `charge.success`. */
      readonly type: string;
      /** Our reference (`ref_…`) as echoed by the provider. */
      readonly reference: string;
      readonly providerReference: string | undefined;
      readonly claimedStatus: ProviderStatus;
    }
  | {
      /**
       * A refund changed at the provider: a hint only. The worker re-reads the payment's open
       * refunds from the provider's refund lookup; nothing in this body is trusted.
       */
      readonly kind: 'refund';
      readonly eventId: string;
      readonly type: string;
      /** Our payment reference (`ref_…`) as the provider echoes it, when the body carries it. */
      readonly reference: string | undefined;
      /** The provider's payment reference (Stripe `pi_…`/`ch_…`, Flutterwave/Chapa ids), when ours is absent. */
      readonly providerReference: string | undefined;
      readonly providerRefundId: string | undefined;
      /** Our refund id (`re_…`) where the provider echoes it (Stripe refund metadata `paybridge_refund_id`). */
      readonly refundId: string | undefined;
    }
  | { readonly kind: 'ignored'; readonly type: string };

/** Lower-cased header names → values, as API Gateway v2 delivers them. */
export type Headers = Readonly<Record<string, string | undefined>>;

export interface ProviderAdapter {
  readonly name: ProviderName;
  /** The provider's production API; configuration may point elsewhere (the local sandboxes). */
  readonly baseUrl: string;
  /** Currencies this adapter can charge in (upper-case ISO 4217). */
  readonly currencies: readonly string[];
  /** Minor units → the provider's wire amount (number or decimal string), with integer arithmetic. */
  toProviderAmount(amount: number, currency: string): number | string;
  /** The provider's wire amount → minor units; throws on a value that is not exact. */
  fromProviderAmount(amount: number | string, currency: string): number;
  /** Creates a checkout. Throws ProviderFailed (retryable for timeouts, network, 429, 5xx). */
  initialize(ctx: ProviderContext, input: InitializeInput): Promise<InitializeResult>;
  /** Asks the provider for the transaction's state. Throws ProviderFailed. */
  verify(ctx: ProviderContext, input: VerifyInput): Promise<VerifyResult>;
  /** Ends an open checkout where the provider has an API for it (Stripe); absent elsewhere. */
  expire?(ctx: ProviderContext, input: ExpireInput): Promise<void>;
  /**
   * Asks the provider to refund. Idempotent on `input.refundId` where the provider allows it.
   * Throws ProviderFailed: retryable (timeout, network, 429, 5xx) when the outcome is unknown —
   * the caller then looks the refund up before any retry — and not retryable when the provider
   * refused it (a 4xx such as insufficient balance), with the provider's words as the message.
   */
  refund(ctx: ProviderContext, input: RefundInput): Promise<RefundResult>;
  /**
   * The refund's state at the provider: by `providerRefundId` when known, else found by our
   * `refundId` (Stripe lists by PaymentIntent, Paystack by transaction, Chapa by our reference,
   * Flutterwave by the transaction's refunds). Undefined when the provider has no such refund
   * (the create never arrived: the caller may submit it again). Throws ProviderFailed.
   */
  lookupRefund(ctx: ProviderContext, input: RefundLookup): Promise<RefundResult | undefined>;
  /** Checks the webhook signature over the raw bytes received, timing-safely. */
  verifyWebhookSignature(
    rawBody: Buffer,
    headers: Headers,
    credentials: ProviderCredentials,
    now: Date,
  ): SignatureCheck;
  /** Reduces a (signature-checked) webhook body to a ParsedWebhook; unknown types are `ignored`. */
  parseWebhook(rawBody: Buffer): ParsedWebhook;
}
