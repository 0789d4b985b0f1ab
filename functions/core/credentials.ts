import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
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
 * The one comparison of secrets, signatures and password hashes: equal bytes, in a time that
 * does not say where two of the same length differ (node's `timingSafeEqual`), and false, not a
 * throw, when the lengths differ (the length of a digest is public). Callers comparing values of
 * a secret length hash both sides first (Flutterwave's `verif-hash`).
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

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
  return refreshTokenOf(familyId, randomBytes(32).toString('base64url'));
}

const refreshTokenOf = (familyId: string, secret: string): RefreshToken => ({
  token: `rt_${familyId}.${secret}`,
  familyId,
  hash: sha256(secret),
});

/**
 * The secret that follows `secret` in a family: HMAC-SHA256 keyed by the
 * family's server-side seed. Deterministic, so two requests that race with the
 * same token (two tabs) are both answered with the same next token; unguessable
 * without the seed, which never leaves the table, so a stolen old secret does
 * not reveal later ones.
 */
export function nextRefreshToken(familyId: string, seed: string, secret: string): RefreshToken {
  return refreshTokenOf(familyId, createHmac('sha256', seed).update(secret, 'utf8').digest('base64url'));
}

/** A new family's rotation seed (32 random bytes). */
export const newRefreshSeed = (): string => randomBytes(32).toString('base64url');

export function parseRefreshToken(
  token: string,
): { familyId: string; secret: string; hash: string } | undefined {
  const match = /^rt_([A-Za-z0-9_]{10,40})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return undefined;
  const secret = match[2] as string;
  return { familyId: match[1] as string, secret, hash: sha256(secret) };
}

/** Lower-cased, trimmed: one account per mailbox. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();
