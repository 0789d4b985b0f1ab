import { Logger } from '@aws-lambda-powertools/logger';
import { providerRules } from '#core/providers';

/**
 * Field names whose values never reach a log line, whatever their shape.
 * Matching is on the lower-cased key with separators removed.
 */
const secretKeys = new Set([
  'password',
  'newpassword',
  'secret',
  'secretkey',
  'webhooksecret',
  'apikey',
  'key',
  'token',
  'accesstoken',
  'refreshtoken',
  'authorization',
  'cookie',
  'setcookie',
  'xpaystacksignature',
  'flutterwavesignature',
  'verifhash',
  'stripesignature',
  'xchapasignature',
  'chapasignature',
  'webhooksignature',
]);

/**
 * Values that are secrets by their look, wherever they appear in a string: ours, and each
 * provider's as it declares them (core/providers.ts `providerRules[…].redact`).
 */
const secretPatterns: readonly RegExp[] = [
  /\bsk_(test|live)_[A-Za-z0-9]{8,}/g, // our API keys
  /\bwhsec_[A-Za-z0-9+/=]{8,}/g, // webhook signing secrets (ours, and Stripe's)
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, // JWTs
  /\brt_[A-Za-z0-9_-]{16,}/g, // our refresh tokens
  ...Object.values(providerRules).map((rule) => rule.redact),
];

/** Masks secrets in a string; exported for the tests and for error messages from providers. */
export function redactString(value: string): string {
  let out = value;
  for (const pattern of secretPatterns) out = out.replace(pattern, '[REDACTED]');
  return out;
}

function replacer(key: string, value: unknown): unknown {
  if (key !== '' && secretKeys.has(key.toLowerCase().replace(/[-_]/g, ''))) return '[REDACTED]';
  if (typeof value === 'string') return redactString(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** The one logger. Structured JSON with the request id; secrets redacted by key and by look. */
export const logger = new Logger({
  serviceName: 'paybridge',
  jsonReplacerFn: replacer,
});
