import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { commonPasswords } from './common-passwords.ts';

/**
 * Passwords are hashed with scrypt (Node's crypto, no native addon) with a
 * per-user salt; the parameters are stored with the hash so they can be raised
 * later without breaking existing users. N=2^15, r=8, p=1 follows OWASP's
 * minimum for scrypt and costs ~50 ms / 32 MiB on a Lambda vCPU.
 */
const params = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 } as const;
const maxmem = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, N: number, r: number, p: number, keyLength: number) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, { N, r, p, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$<salt b64>$<hash b64>` */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, params.N, params.r, params.p, params.keyLength);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Constant-time check of a password against a stored hash; false for any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(
    password,
    Buffer.from(salt, 'base64'),
    Number(n),
    Number(r),
    Number(p),
    expected.length,
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * A hash of a random password, verified against when the email is unknown so
 * that an unknown email and a wrong password take the same time.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(24).toString('base64'));
  return decoy;
}

export const minPasswordLength = 12;
export const maxPasswordLength = 256;

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, email?: string): string | undefined {
  if (password.length < minPasswordLength) return `Use at least ${minPasswordLength} characters.`;
  if (password.length > maxPasswordLength) return `Use at most ${maxPasswordLength} characters.`;
  const folded = password.toLowerCase();
  if (commonPasswords.has(folded)) return 'This password is too common; choose another.';
  if (/^(.)\1+$/.test(password)) return 'This password repeats one character; choose another.';
  if (email && folded.includes(email.toLowerCase().split('@')[0] ?? '\u0000') && folded.length < 20) {
    return 'This password contains your email name; choose another.';
  }
  return undefined;
}
