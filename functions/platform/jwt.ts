import { importJWK, type JWK, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import type { Role } from '#core/actor';
import { Unauthenticated, Unavailable } from '#core/errors';
import { newId } from '#core/ids';
import { config } from './config.ts';

/**
 * Dashboard access tokens: JWTs signed with EdDSA (Ed25519) — one pinned
 * algorithm, so `alg: none`, HS256-with-the-public-key and friends are refused
 * by construction. Keys are a JWK set: the first signs, all verify, so a key is
 * rotated by prepending a new one and dropping the old after 15 minutes.
 */
export const accessTokenTtlSeconds = 15 * 60;
const algorithm = 'EdDSA';
const issuer = 'paybridge';
const audience = 'paybridge-dashboard';

interface KeyRing {
  signer: { kid: string; key: CryptoKey };
  verifiers: Map<string, CryptoKey>;
}

let ring: Promise<KeyRing> | undefined;

/**
 * The JWK set: from configuration locally; in the cloud from Secrets Manager
 * through the AWS Parameters and Secrets Lambda Extension (a localhost HTTP call
 * with its own cache), which keeps the Secrets Manager SDK client out of every
 * bundle. Read once per cold start.
 */
async function jwkSetText(): Promise<string | undefined> {
  const { JWT_KEYS, JWT_KEYS_SECRET_ARN } = config();
  if (JWT_KEYS) return JWT_KEYS;
  if (!JWT_KEYS_SECRET_ARN) return undefined;
  return readSecretFromExtension(JWT_KEYS_SECRET_ARN);
}

/** GET /secretsmanager/get on the extension, authenticated with the function's session token. */
export async function readSecretFromExtension(secretId: string): Promise<string | undefined> {
  const port = process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? '2773';
  const res = await fetch(
    `http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`,
    {
      headers: { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN ?? '' },
      signal: AbortSignal.timeout(3000),
    },
  );
  if (!res.ok) return undefined;
  return ((await res.json()) as { SecretString?: string }).SecretString;
}

async function loadRing(): Promise<KeyRing> {
  const raw = await jwkSetText();
  if (!raw)
    throw new Unavailable('signing_keys_missing', 'Dashboard sign-in is not configured on this deployment.');
  let jwks: JWK[];
  try {
    const parsed = JSON.parse(raw) as { keys?: JWK[] };
    jwks = parsed.keys ?? [];
  } catch {
    throw new Unavailable('signing_keys_missing', 'Dashboard sign-in is not configured on this deployment.');
  }
  const verifiers = new Map<string, CryptoKey>();
  let signer: KeyRing['signer'] | undefined;
  for (const jwk of jwks) {
    if (!jwk.kid || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') continue;
    const publicJwk: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x as string };
    verifiers.set(jwk.kid, (await importJWK(publicJwk, algorithm)) as CryptoKey);
    if (!signer && jwk.d) signer = { kid: jwk.kid, key: (await importJWK(jwk, algorithm)) as CryptoKey };
  }
  if (!signer)
    throw new Unavailable('signing_keys_missing', 'Dashboard sign-in is not configured on this deployment.');
  return { signer, verifiers };
}

function keyRing(): Promise<KeyRing> {
  ring ??= loadRing().catch((error: unknown) => {
    ring = undefined;
    throw error;
  });
  return ring;
}

export interface AccessClaims {
  readonly userId: string;
  readonly merchantId: string;
  readonly email: string;
  readonly role: Role;
  readonly sessionId: string;
}

/** Mints a 15-minute access token. */
export async function signAccessToken(claims: AccessClaims, now = new Date()): Promise<string> {
  const { signer } = await keyRing();
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({
    mer: claims.merchantId,
    email: claims.email,
    role: claims.role,
    sid: claims.sessionId,
  })
    .setProtectedHeader({ alg: algorithm, kid: signer.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(claims.userId)
    .setJti(newId('aud'))
    .setIssuedAt(iat)
    .setExpirationTime(iat + accessTokenTtlSeconds)
    .sign(signer.key);
}

/** Verifies signature (by `kid`), algorithm, issuer, audience, expiry and claim shapes. */
export async function verifyAccessToken(token: string): Promise<AccessClaims> {
  const { verifiers } = await keyRing();
  const invalid = () => new Unauthenticated('invalid_token', 'The access token is invalid or expired.');
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = header.kid ? verifiers.get(header.kid) : undefined;
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
    const { sub, mer, email, role, sid } = payload as Record<string, unknown>;
    if (
      typeof sub !== 'string' ||
      typeof mer !== 'string' ||
      typeof email !== 'string' ||
      (role !== 'owner' && role !== 'admin') ||
      typeof sid !== 'string'
    ) {
      throw invalid();
    }
    return { userId: sub, merchantId: mer, email, role, sessionId: sid };
  } catch {
    throw invalid();
  }
}
