import { argon2, randomBytes, scrypt } from 'node:crypto';
import { sameBytes } from './credentials.ts';
import { commonPasswords } from './common-passwords.ts';

/**
 * Passwords are hashed with Argon2id (Node's built-in `crypto.argon2`, no
 * native addon) with a per-user salt, at OWASP's recommended parameters
 * (m=19 MiB, t=2, p=1: ~35 ms on one core). The parameters are stored with the
 * hash, so hashes made with other parameters (or with the scrypt we used
 * before) still verify, and `needsRehash` tells sign-in to replace them.
 *
 * `argon2id$v=19$m=19456,t=2,p=1$<salt b64>$<hash b64>` (the PHC string format,
 * with `$`-separated fields, no leading `$`); legacy: `scrypt$N$r$p$<salt>$<hash>`.
 */
export interface HashParams {
  /** Memory cost in KiB. */
  readonly memoryKiB: number;
  readonly passes: number;
  readonly parallelism: number;
}

/** OWASP Password Storage Cheat Sheet, Argon2id: m=19 MiB, t=2, p=1. */
export const owaspArgon2id: HashParams = { memoryKiB: 19 * 1024, passes: 2, parallelism: 1 };

const keyLength = 32;
/** Upper bound on what a stored hash may ask us to spend (a tampered item must not exhaust memory). */
const maxMemoryKiB = 256 * 1024;
const scryptMaxmem = 256 * 1024 * 1024;

function deriveArgon2(password: string, salt: Buffer, p: HashParams, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message: password.normalize('NFKC'),
        nonce: salt,
        parallelism: p.parallelism,
        tagLength: length,
        memory: p.memoryKiB,
        passes: p.passes,
      },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

function deriveScrypt(password: string, salt: Buffer, N: number, r: number, p: number, length: number) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, length, { N, r, p, maxmem: scryptMaxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Hashes a new password with Argon2id at `params` (OWASP's by default). */
export async function hashPassword(password: string, params: HashParams = owaspArgon2id): Promise<string> {
  const salt = randomBytes(16);
  const hash = await deriveArgon2(password, salt, params, keyLength);
  return [
    'argon2id',
    'v=19',
    `m=${params.memoryKiB},t=${params.passes},p=${params.parallelism}`,
    salt.toString('base64'),
    hash.toString('base64'),
  ].join('$');
}

type Parsed =
  | { scheme: 'argon2id'; params: HashParams; salt: Buffer; hash: Buffer }
  | { scheme: 'scrypt'; N: number; r: number; p: number; salt: Buffer; hash: Buffer };

function parse(stored: string): Parsed | undefined {
  const parts = stored.split('$');
  if (parts[0] === 'argon2id' && parts.length === 5 && parts[1] === 'v=19') {
    const m = /^m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})$/.exec(parts[2] ?? '');
    if (!m) return undefined;
    const params = { memoryKiB: Number(m[1]), passes: Number(m[2]), parallelism: Number(m[3]) };
    if (params.memoryKiB > maxMemoryKiB || params.passes < 1 || params.parallelism < 1) return undefined;
    return {
      scheme: 'argon2id',
      params,
      salt: Buffer.from(parts[3] ?? '', 'base64'),
      hash: Buffer.from(parts[4] ?? '', 'base64'),
    };
  }
  if (parts[0] === 'scrypt' && parts.length === 6) {
    const [, n, r, p, salt, hash] = parts;
    const N = Number(n);
    if (!Number.isInteger(N) || N < 2 || N > 2 ** 20 || !r || !p || !salt || !hash) return undefined;
    return {
      scheme: 'scrypt',
      N,
      r: Number(r),
      p: Number(p),
      salt: Buffer.from(salt, 'base64'),
      hash: Buffer.from(hash, 'base64'),
    };
  }
  return undefined;
}

/** Constant-time check of a password against a stored hash; false for any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed || parsed.hash.length < 16) return false;
  let actual: Buffer;
  try {
    actual =
      parsed.scheme === 'argon2id'
        ? await deriveArgon2(password, parsed.salt, parsed.params, parsed.hash.length)
        : await deriveScrypt(password, parsed.salt, parsed.N, parsed.r, parsed.p, parsed.hash.length);
  } catch {
    return false;
  }
  return sameBytes(actual, parsed.hash);
}

/**
 * Whether a stored hash should be replaced at the next successful sign-in:
 * anything that is not Argon2id at `params` (scrypt, or older parameters).
 */
export function needsRehash(stored: string, params: HashParams = owaspArgon2id): boolean {
  const parsed = parse(stored);
  if (!parsed || parsed.scheme !== 'argon2id') return true;
  const p = parsed.params;
  return (
    p.memoryKiB !== params.memoryKiB || p.passes !== params.passes || p.parallelism !== params.parallelism
  );
}

/**
 * A hash of a random password, verified against when the email is unknown so
 * that an unknown email and a wrong password take the same time.
 */
const decoys = new Map<string, Promise<string>>();
export function decoyHash(params: HashParams = owaspArgon2id): Promise<string> {
  const key = `${params.memoryKiB},${params.passes},${params.parallelism}`;
  let decoy = decoys.get(key);
  if (!decoy) {
    decoy = hashPassword(randomBytes(24).toString('base64'), params);
    decoys.set(key, decoy);
  }
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
