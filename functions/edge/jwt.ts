import { importJWK, type JWK, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import type { Role } from '#core/actor';
import { Unauthenticated, Unavailable } from '#core/errors';
import { newId } from '#core/ids';
import { config } from '#runtime/config';
import { logger } from '#runtime/logger';
import { readSecretFromExtension } from '#runtime/secrets-extension';

/**
 * Dashboard access tokens: JWTs signed with EdDSA (Ed25519) — one pinned
 * algorithm, so `alg: none`, HS256-with-the-public-key and friends are refused
 * by construction. Five minutes: what a revoked session or role keeps, at most.
 *
 * Two key sets. The signing set (private keys; the first one with `d` signs) is
 * read only by the functions that mint tokens: register, login, refresh. The
 * verification set (public keys only) is what every other function reads; it
 * cannot mint a token. Locally one set serves both: the verification set is the
 * signing set's public half.
 *
 * Both sets are reloaded every `JWT_KEYS_TTL_SECONDS` (60 s), and the
 * verification set also when a token names a `kid` it does not know (at most
 * once per `unknownKidReloadMs`), so a rotation (README, Deploy) reaches warm
 * containers without a redeploy: new tokens verify, a dropped key stops signing.
 */
export const accessTokenTtlSeconds = 5 * 60;
const algorithm = 'EdDSA';
const issuer = 'paybridge';
const audience = 'paybridge-dashboard';
/** A burst of tokens with made-up `kid`s costs one reload per this long, not one per token. */
export const unknownKidReloadMs = 10_000;

interface Signer {
  kid: string;
  key: CryptoKey;
}
type Verifiers = Map<string, CryptoKey>;

interface Cached<T> {
  value: Promise<T>;
  loadedAt: number;
}

const unavailable = () =>
  new Unavailable('signing_keys_missing', 'Dashboard sign-in is not configured on this deployment.');

/**
 * The configured text of a set: from configuration locally; in the cloud from
 * Secrets Manager through the AWS Parameters and Secrets Lambda Extension (a
 * localhost HTTP call with its own short cache, set by the stack), which keeps
 * the Secrets Manager SDK client out of every bundle.
 */
async function setText(which: 'signing' | 'verification'): Promise<string | undefined> {
  const c = config();
  if (which === 'signing') {
    if (c.JWT_KEYS) return c.JWT_KEYS;
    return c.JWT_KEYS_SECRET_ARN ? readSecretFromExtension(c.JWT_KEYS_SECRET_ARN) : undefined;
  }
  if (c.JWT_PUBLIC_KEYS) return c.JWT_PUBLIC_KEYS;
  if (c.JWT_PUBLIC_KEYS_SECRET_ARN) return readSecretFromExtension(c.JWT_PUBLIC_KEYS_SECRET_ARN);
  // No verification set configured (local stack, tests): the signing set's public half.
  return setText('signing');
}

function parseSet(raw: string | undefined): JWK[] {
  if (!raw) throw unavailable();
  try {
    const parsed = JSON.parse(raw) as { keys?: unknown };
    if (!Array.isArray(parsed.keys)) throw unavailable();
    return (parsed.keys as JWK[]).filter(
      (jwk) => typeof jwk.kid === 'string' && jwk.kty === 'OKP' && jwk.crv === 'Ed25519',
    );
  } catch {
    throw unavailable();
  }
}

async function loadSigner(): Promise<Signer> {
  for (const jwk of parseSet(await setText('signing'))) {
    if (jwk.d) return { kid: jwk.kid as string, key: (await importJWK(jwk, algorithm)) as CryptoKey };
  }
  throw unavailable();
}

async function loadVerifiers(): Promise<Verifiers> {
  const verifiers: Verifiers = new Map();
  // Only the public part is imported, whatever the set holds.
  for (const jwk of parseSet(await setText('verification'))) {
    const publicJwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string };
    verifiers.set(jwk.kid as string, (await importJWK(publicJwk, algorithm)) as CryptoKey);
  }
  if (verifiers.size === 0) throw unavailable();
  return verifiers;
}

const ttlMs = () => config().JWT_KEYS_TTL_SECONDS * 1000;

/** A value loaded on first use and again once older than the TTL; a failed load is retried next time. */
function reloading<T>(load: () => Promise<T>) {
  let cached: Cached<T> | undefined;
  return {
    get(now = Date.now()): Promise<T> {
      if (!cached || now - cached.loadedAt >= ttlMs()) {
        const entry: Cached<T> = { value: load(), loadedAt: now };
        const previous = cached;
        cached = entry;
        entry.value.catch((error: unknown) => {
          // Keep serving the last good set through a failed reload (and try again after
          // another TTL); forget a failed first load.
          if (cached === entry) cached = previous ? { value: previous.value, loadedAt: now } : undefined;
          if (previous) logger.warn('could not reload the JWT key set', { error: error as Error });
        });
        return previous ? entry.value.catch(() => previous.value) : entry.value;
      }
      return cached.value;
    },
    loadedAt: () => cached?.loadedAt,
    forget(): void {
      cached = undefined;
    },
  };
}

const signer = reloading(loadSigner);
const verifiers = reloading(loadVerifiers);
let lastUnknownKidReload = -Infinity;

/** Verification key for `kid`, reloading the set once (rate-limited) when the kid is new to us. */
async function verifierFor(kid: string): Promise<CryptoKey | undefined> {
  const now = Date.now();
  const known = (await verifiers.get(now)).get(kid);
  if (known) return known;
  if (now - lastUnknownKidReload < unknownKidReloadMs) return undefined;
  lastUnknownKidReload = now;
  verifiers.forget();
  return (await verifiers.get(now)).get(kid);
}

/** Drops both cached sets (tests). */
export function forgetJwtKeys(): void {
  signer.forget();
  verifiers.forget();
  lastUnknownKidReload = -Infinity;
}

export interface AccessClaims {
  readonly userId: string;
  readonly merchantId: string;
  readonly email: string;
  readonly role: Role;
  readonly sessionId: string;
  /** The login's session version when the token was minted (admin routes compare it). */
  readonly sessionVersion: number;
}

/** Mints a five-minute access token with the current signing key. */
export async function signAccessToken(claims: AccessClaims, now = new Date()): Promise<string> {
  const { kid, key } = await signer.get();
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({
    mer: claims.merchantId,
    email: claims.email,
    role: claims.role,
    sid: claims.sessionId,
    ver: claims.sessionVersion,
  })
    .setProtectedHeader({ alg: algorithm, kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(claims.userId)
    .setJti(newId('aud'))
    .setIssuedAt(iat)
    .setExpirationTime(iat + accessTokenTtlSeconds)
    .sign(key);
}

/** Verifies signature (by `kid`), algorithm, issuer, audience, expiry and claim shapes. */
export async function verifyAccessToken(token: string): Promise<AccessClaims> {
  await verifiers.get(); // a deployment without keys is a 503, not a 401
  const invalid = () => new Unauthenticated('invalid_token', 'The access token is invalid or expired.');
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = header.kid ? await verifierFor(header.kid) : undefined;
        if (!key) throw invalid();
        return key;
      },
      {
        algorithms: [algorithm],
        issuer,
        audience,
        requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        clockTolerance: 5,
      },
    );
    const { sub, mer, email, role, sid, ver } = payload as Record<string, unknown>;
    if (
      typeof sub !== 'string' ||
      typeof mer !== 'string' ||
      typeof email !== 'string' ||
      (role !== 'owner' && role !== 'admin') ||
      typeof sid !== 'string' ||
      (ver !== undefined && !Number.isInteger(ver))
    ) {
      throw invalid();
    }
    return {
      userId: sub,
      merchantId: mer,
      email,
      role,
      sessionId: sid,
      sessionVersion: (ver as number | undefined) ?? 0,
    };
  } catch {
    throw invalid();
  }
}
