import { randomBytes } from 'node:crypto';
import { SECRET_PREFIX } from '../../client/src/webhook-signature.ts';

/**
 * Standard Webhooks signing and verification (https://www.standardwebhooks.com). The HMAC code
 * lives in the client package (client/src/webhook-signature.ts), so the API signs with exactly
 * what merchants verify with; this module adds what only the API does: minting secrets.
 */
export {
  SIGNATURE_TOLERANCE_SECONDS,
  signWebhook,
  type VerificationResult,
  verifyWebhookSignature,
  type WebhookHeaders,
  type WebhookToSign,
  type WebhookToVerify,
} from '../../client/src/webhook-signature.ts';

/** Inside the spec's 24–64 bytes, and no shorter than the HMAC-SHA256 output, as RFC 2104 advises. */
const SECRET_BYTES = 32;

/** A new endpoint signing secret: `whsec_` + base64 of 32 random bytes. */
export function newEndpointSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}
