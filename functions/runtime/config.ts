import * as z from 'zod/mini';
import { defaultRetrySchedule } from '#core/webhooks';

/**
 * Typed configuration, read from the environment once per cold start.
 * In the cloud every value comes from the stack (lib/paybridge-function.ts);
 * the local stack sets them before it loads a handler. No secret has a default.
 */
const schema = z.object({
  TABLE_NAME: z.string().check(z.minLength(1)),
  /** Every function the stack grants a queue gets its URL; code that needs one asks `queueUrl()`. */
  PROVIDER_EVENTS_QUEUE_URL: z.optional(z.string().check(z.minLength(1))),
  DELIVERIES_QUEUE_URL: z.optional(z.string().check(z.minLength(1))),
  /** Where a delivery goes when its retry schedule is spent (resendable from the API). */
  DELIVERIES_DLQ_URL: z.optional(z.string().check(z.minLength(1))),
  /** Seconds before each delivery attempt, comma-separated (default: immediately, 5 s, 5 min, … 24 h). */
  WEBHOOK_RETRY_SCHEDULE: z.optional(z.string().check(z.regex(/^\d+(,\d+)*$/))),
  /** Seconds between the sweeper's checks of one payment, comma-separated; the last repeats. */
  RECONCILE_SCHEDULE: z.optional(z.string().check(z.regex(/^\d+(,\d+)*$/))),
  /** How long after expiry a payment is still checked for late money (seconds). */
  RECONCILE_LATE_WINDOW_SECONDS: z._default(z.coerce.number().check(z.int(), z.nonnegative()), 86_400),
  /** Merchant endpoints on loopback (developing against localhost). Default: allowed locally, never in the cloud. */
  ALLOW_LOOPBACK_WEBHOOKS: z.optional(z.enum(['true', 'false'])),
  /** Per-attempt timeout for merchant endpoints, ms. */
  WEBHOOK_TIMEOUT_MS: z._default(z.coerce.number().check(z.int(), z.positive()), 15_000),
  /** `local` relaxes what only makes sense on a laptop (loopback webhook receivers). */
  PAYBRIDGE_STAGE: z._default(z.enum(['local', 'cloud']), 'cloud'),
  PAYBRIDGE_VERSION: z._default(z.string(), '0.0.0'),
  /** The sender of PayBridge's emails (verification, password reset) through Amazon SES; unset = none sent (cloud). */
  MAIL_FROM: z.optional(z.string().check(z.email())),
  /** Where merchants and providers reach this API (webhook URLs are built from it). */
  PUBLIC_BASE_URL: z.optional(z.string().check(z.url())),
  /** Provider API base URLs; unset = the real provider (the local stack points them at its sandboxes). */
  PAYSTACK_BASE_URL: z.optional(z.string().check(z.url())),
  FLUTTERWAVE_BASE_URL: z.optional(z.string().check(z.url())),
  STRIPE_BASE_URL: z.optional(z.string().check(z.url())),
  CHAPA_BASE_URL: z.optional(z.string().check(z.url())),
  /** Provider request timeout (ms): well under fetch's 300 s default; four failovers fit in 29 s. */
  PROVIDER_TIMEOUT_MS: z._default(z.coerce.number().check(z.int(), z.positive()), 6_000),
  /** KMS key for envelope encryption of merchant secrets (cloud). */
  SECRETS_KEY_ID: z.optional(z.string()),
  /** Local stand-in for the KMS key: 32 bytes, base64 (local stack and tests only). */
  LOCAL_MASTER_KEY: z.optional(z.string()),
  /** Sign-up/sign-in requests allowed per source IP per minute. */
  AUTH_RATE_LIMIT_PER_MINUTE: z._default(z.coerce.number().check(z.int(), z.positive()), 20),
  /** Security events stored per merchant per minute (the rest are only logged). */
  SECURITY_EVENTS_PER_MINUTE: z._default(z.coerce.number().check(z.int(), z.positive()), 60),
  /** Requests per minute one API key (or one dashboard user) may make to `standard` routes. */
  CALLER_RATE_LIMIT_PER_MINUTE: z._default(z.coerce.number().check(z.int(), z.positive()), 600),
  /** Requests per minute one source IP may make to `standard` routes, before authentication. */
  IP_RATE_LIMIT_PER_MINUTE: z._default(z.coerce.number().check(z.int(), z.positive()), 1200),
  /**
   * `standard` and `webhook` rate limits: hits a container counts before it adds them to the shared
   * counter (one write per this many requests). A window may admit up to containers × (this − 1) more
   * than its limit (edge/rate-limit.ts). 1 = a write per request, exact.
   */
  RATE_LIMIT_FLUSH_EVERY: z._default(z.coerce.number().check(z.int(), z.positive()), 10),
  /** Provider webhooks per minute from one source IP (providers send from a few addresses: generous). */
  WEBHOOK_RATE_LIMIT_PER_MINUTE: z._default(z.coerce.number().check(z.int(), z.positive()), 3000),
  /** Dashboard JWT signing keys as a JWK set with private keys (local stack, tests). */
  JWT_KEYS: z.optional(z.string()),
  /** …or the Secrets Manager secret holding it (cloud: register, login and refresh only). */
  JWT_KEYS_SECRET_ARN: z.optional(z.string()),
  /** The verification set (public keys only); unset locally: the signing set's public half. */
  JWT_PUBLIC_KEYS: z.optional(z.string()),
  /** …or the Secrets Manager secret holding it (cloud: every function that checks a dashboard token). */
  JWT_PUBLIC_KEYS_SECRET_ARN: z.optional(z.string()),
  /**
   * The webhook-token keys, JSON `{"current":"1","k1":"…"}` (a key per version `k<n>`; the current one
   * signs new webhook URLs, every one listed verifies): local stack and tests.
   */
  WEBHOOK_TOKEN_KEYS: z.optional(z.string()),
  /** …or the Secrets Manager secret holding it (cloud: configure-provider and the webhook ingest only). */
  WEBHOOK_TOKEN_KEYS_SECRET_ARN: z.optional(z.string()),
  /** How long a container keeps a JWT key set before reading it again (rotation reaches warm containers). */
  JWT_KEYS_TTL_SECONDS: z._default(z.coerce.number().check(z.int(), z.positive()), 60),
});

export type Config = z.infer<typeof schema>;

let cached: Config | undefined;

/** The validated configuration; throws once, at first use, naming the missing variables. */
export function config(): Config {
  if (cached) return cached;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new Error(`PayBridge configuration is invalid or missing: ${names}`);
  }
  cached = parsed.data;
  return cached;
}

/**
 * The delivery schedule in seconds: core's `defaultRetrySchedule`, or `WEBHOOK_RETRY_SCHEDULE`
 * (so tests and the local stack can run it in seconds).
 */
export function retrySchedule(): number[] {
  const raw = config().WEBHOOK_RETRY_SCHEDULE;
  return raw ? raw.split(',').map(Number) : [...defaultRetrySchedule];
}

/** Loopback webhook receivers: on by default in the local stack only; the cloud never allows them. */
export function allowLoopbackWebhooks(): boolean {
  const c = config();
  if (c.PAYBRIDGE_STAGE === 'cloud') return false;
  return c.ALLOW_LOOPBACK_WEBHOOKS !== 'false';
}

/** The sweeper's check schedule in seconds (`RECONCILE_SCHEDULE`; the last delay repeats). */
export function reconcileSettings(): { schedule: number[]; lateWindowSeconds: number } {
  const c = config();
  const schedule = c.RECONCILE_SCHEDULE
    ? c.RECONCILE_SCHEDULE.split(',').map(Number)
    : [60, 300, 900, 3600, 21600];
  return { schedule, lateWindowSeconds: c.RECONCILE_LATE_WINDOW_SECONDS };
}

/**
 * Bounds on a payment's `expiresInSeconds`: up to 24 h; at least Stripe's 30 minutes
 * in the cloud, a few seconds in the local stack so tests and the demo can expire payments.
 */
export function expiryBounds(): { min: number; max: number } {
  return { min: config().PAYBRIDGE_STAGE === 'local' ? 2 : 1800, max: 24 * 3600 };
}
