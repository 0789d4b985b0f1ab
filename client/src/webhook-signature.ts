import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, spec "Signature scheme"):
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by the
 * base64-decoded part of the endpoint's `whsec_` secret. Several signatures, space-separated,
 * while a rotated secret is still honoured; a receiver accepts any one that matches.
 *
 * Cross-checked in the unit tests against the test vectors of the reference libraries and
 * against the `standardwebhooks` npm package, which is what merchants verify with.
 *
 * The one implementation: the API signs with it (functions/core/webhook-signature.ts re-exports
 * it) and the published client's `verifyWebhook` checks with it. It needs nothing but node:crypto.
 */

/** Every endpoint signing secret starts with this; the rest is base64. */
export const SECRET_PREFIX = 'whsec_';
/** The reference libraries refuse a timestamp more than five minutes either side of now (replay window). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What one delivery attempt signs: the exact bytes sent, its id and its epoch-second timestamp. */
export interface WebhookToSign {
  id: string;
  /** Seconds since the epoch; the same value goes out in `webhook-timestamp`. */
  timestamp: number;
  /** The exact body sent on the wire; re-serialising JSON would break the signature. */
  body: string;
  /** Current secret first, then any rotated secret still inside its grace period. */
  secrets: readonly string[];
}

/**
 * The `webhook-signature` header value: one `v1,<base64>` per secret, space-separated.
 * Throws on a malformed secret, id or timestamp: those are our bugs, never merchant input.
 */
export function signWebhook({ id, timestamp, body, secrets }: WebhookToSign): string {
  if (secrets.length === 0) throw new TypeError('signWebhook needs at least one secret');
  assertHeaderSafe(id, 'id');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError('signWebhook timestamp must be whole epoch seconds');
  }
  const content = signedContent(id, String(timestamp), body);
  return secrets.map((secret) => `v1,${hmac(secretKey(secret), content)}`).join(' ');
}

/** The three Standard Webhooks headers, as a receiver gets them (any case, possibly repeated). */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface WebhookToVerify {
  /** The raw request body, exactly as received. */
  body: string;
  headers: WebhookHeaders;
  /** The endpoint secret, or several while rotating (any one may match). */
  secrets: string | readonly string[];
  /** Seconds since the epoch; defaults to the clock. */
  now?: number;
  toleranceSeconds?: number;
}

export type VerificationResult =
  | { valid: true; id: string; timestamp: number }
  | {
      valid: false;
      reason:
        'missing_headers' | 'invalid_timestamp' | 'timestamp_out_of_tolerance' | 'no_matching_signature';
    };

/**
 * Checks a delivery the way a merchant should: the timestamp within the tolerance (300 s
 * either side, as the reference libraries do), then any `v1` signature matching any secret,
 * compared in constant time. Never throws for bad input; a malformed secret is a bug and throws.
 */
export function verifyWebhookSignature({
  body,
  headers,
  secrets,
  now = Math.floor(Date.now() / 1000),
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
}: WebhookToVerify): VerificationResult {
  const keys = (typeof secrets === 'string' ? [secrets] : secrets).map(secretKey);
  const id = header(headers, 'webhook-id');
  const timestampText = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestampText || !signatures) return { valid: false, reason: 'missing_headers' };
  if (!/^\d{1,15}$/.test(timestampText)) return { valid: false, reason: 'invalid_timestamp' };
  const timestamp = Number(timestampText);
  if (Math.abs(now - timestamp) > toleranceSeconds) {
    return { valid: false, reason: 'timestamp_out_of_tolerance' };
  }

  const content = signedContent(id, timestampText, body);
  const expected = keys.map((key) => Buffer.from(hmac(key, content)));
  let matched = false;
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    // Compare the base64 text, not decoded bytes: lenient decoders map several texts to one value.
    const candidate = Buffer.from(entry.slice(comma + 1));
    for (const wanted of expected) {
      // No early exit: every candidate is compared against every key.
      if (candidate.length === wanted.length && timingSafeEqual(candidate, wanted)) matched = true;
    }
  }
  return matched ? { valid: true, id, timestamp } : { valid: false, reason: 'no_matching_signature' };
}

function signedContent(id: string, timestamp: string, body: string): string {
  return `${id}.${timestamp}.${body}`;
}

function hmac(key: Buffer, content: string): string {
  return createHmac('sha256', key).update(content, 'utf8').digest('base64');
}

/** The HMAC key: the base64 part after `whsec_`, decoded. */
function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new TypeError('Webhook secrets start with whsec_');
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (encoded.length === 0 || !BASE64.test(encoded)) {
    throw new TypeError('Webhook secret is not base64 after whsec_');
  }
  return Buffer.from(encoded, 'base64');
}

function assertHeaderSafe(value: string, name: string): void {
  // Printable ASCII without spaces: the value travels in a header and inside the signed content.
  if (!/^[\x21-\x7e]{1,256}$/.test(value)) throw new TypeError(`signWebhook ${name} is not header-safe`);
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const text = typeof value === 'string' ? value : value?.join(' ');
    if (text) return text.trim();
  }
  return undefined;
}
