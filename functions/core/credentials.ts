import { createHash, randomBytes } from 'node:crypto';
import type { Mode } from './actor.ts';

/**
 * Merchant API keys: `sk_test_` / `sk_live_` + 43 base64url characters (32
 * random bytes). Only the SHA-256 of the whole key is stored; a fast hash is
 * right here because the key has 256 bits of entropy (no dictionary to guess
 * from). `prefix` (first 12 characters) helps humans tell keys apart.
 */
export interface NewApiKey {
  readonly secret: string;
  readonly hash: string;
  readonly prefix: string;
}

export function generateApiKey(mode: Mode): NewApiKey {
  const secret = `sk_${mode}_${randomBytes(32).toString('base64url')}`;
  return { secret, hash: sha256(secret), prefix: secret.slice(0, 12) };
}

/** The mode an API key claims by its form, or undefined if it is not one of ours. */
export function apiKeyMode(secret: string): Mode | undefined {
  const match = /^sk_(test|live)_[A-Za-z0-9_-]{43}$/.exec(secret);
  return match ? (match[1] as Mode) : undefined;
}

export const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/**
 * Refresh tokens: `rt_<family>.<secret>`. A family is one login; each refresh
 * rotates the secret, and only the current secret's hash is stored. Presenting
 * an older secret of a live family means the token was copied: the family is
 * revoked (reuse detection, OAuth 2.0 Security BCP §4.14).
 */
export interface RefreshToken {
  readonly token: string;
  readonly familyId: string;
  readonly hash: string;
}

export function newRefreshToken(familyId: string): RefreshToken {
  const secret = randomBytes(32).toString('base64url');
  return { token: `rt_${familyId}.${secret}`, familyId, hash: sha256(secret) };
}

export function parseRefreshToken(token: string): { familyId: string; hash: string } | undefined {
  const match = /^rt_([A-Za-z0-9_]{10,40})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return undefined;
  return { familyId: match[1] as string, hash: sha256(match[2] as string) };
}

/** Lower-cased, trimmed: one account per mailbox. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();
