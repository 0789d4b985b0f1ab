import * as z from 'zod/mini';

/**
 * Typed configuration, read from the environment once per cold start.
 * In the cloud every value comes from the stack (lib/paybridge-function.ts);
 * the local stack sets them before it loads a handler. No secret has a default.
 */
const schema = z.object({
  TABLE_NAME: z.string().check(z.minLength(1)),
  PROVIDER_EVENTS_QUEUE_URL: z.string().check(z.minLength(1)),
  DELIVERIES_QUEUE_URL: z.string().check(z.minLength(1)),
  /** `local` relaxes what only makes sense on a laptop (loopback webhook receivers). */
  PAYBRIDGE_STAGE: z._default(z.enum(['local', 'cloud']), 'cloud'),
  PAYBRIDGE_VERSION: z._default(z.string(), '0.0.0'),
  /** Where merchants and providers reach this API (webhook URLs are built from it). */
  PUBLIC_BASE_URL: z.optional(z.string().check(z.url())),
  /** Provider API base URLs; unset = the real provider (the local stack points them at its sandboxes). */
  PAYSTACK_BASE_URL: z.optional(z.string().check(z.url())),
  FLUTTERWAVE_BASE_URL: z.optional(z.string().check(z.url())),
  STRIPE_BASE_URL: z.optional(z.string().check(z.url())),
  CHAPA_BASE_URL: z.optional(z.string().check(z.url())),
  /** Provider request timeout (ms): well under fetch's 300 s default. */
  PROVIDER_TIMEOUT_MS: z._default(z.coerce.number().check(z.int(), z.positive()), 10_000),
  /** KMS key for envelope encryption of merchant secrets (cloud). */
  SECRETS_KEY_ID: z.optional(z.string()),
  /** Local stand-in for the KMS key: 32 bytes, base64 (local stack and tests only). */
  LOCAL_MASTER_KEY: z.optional(z.string()),
  /** Sign-up/sign-in requests allowed per source IP per minute. */
  AUTH_RATE_LIMIT_PER_MINUTE: z._default(z.coerce.number().check(z.int(), z.positive()), 20),
  /** Dashboard JWT keys as a JWK set (local stack, tests). */
  JWT_KEYS: z.optional(z.string()),
  /** …or the Secrets Manager secret holding that JWK set (cloud). */
  JWT_KEYS_SECRET_ARN: z.optional(z.string()),
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
