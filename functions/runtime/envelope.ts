import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type * as KmsSdk from '@aws-sdk/client-kms';
import { config } from '#runtime/config';

/**
 * Envelope encryption of merchant secrets (provider API keys, webhook secrets).
 *
 * Each secret gets its own 256-bit data key; the secret is encrypted with
 * AES-256-GCM under that key, and only the data key's wrapped form is kept
 * beside it. In the cloud AWS KMS wraps the data key (`GenerateDataKey` /
 * `Decrypt`), so the plaintext key never leaves KMS unencrypted at rest and
 * every unwrap is authorised by IAM and recorded in CloudTrail. Locally (local
 * stack, tests) `LOCAL_MASTER_KEY` stands in for the KMS key, with the same
 * envelope shape.
 *
 * The encryption context (merchant, mode, provider, field …) is bound to both
 * layers: it is KMS's EncryptionContext (or the AAD of the local wrap) and the
 * AAD of the secret itself. A sealed value copied to another merchant's item,
 * or opened for another purpose, fails to open.
 */
export interface Envelope {
  readonly v: 1;
  /** Who wrapped the data key: AWS KMS (`kms`) or the local master key (`local`). */
  readonly kek: 'kms' | 'local';
  /** The wrapped data key, base64: KMS's CiphertextBlob, or iv ‖ tag ‖ ciphertext under the local key. */
  readonly wrappedKey: string;
  /** AES-256-GCM nonce (12 bytes), tag (16 bytes) and ciphertext of the secret, base64. */
  readonly iv: string;
  readonly tag: string;
  readonly ciphertext: string;
}

export type EncryptionContext = Readonly<Record<string, string>>;

/** Never carries the plaintext, the data key, or the reason a decryption failed beyond a word. */
export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

/** Opened secrets are kept this long per container: one KMS call per secret per 5 minutes at most. */
export const openCacheMs = 5 * 60_000;
const openCacheMax = 500;
const openCache = new Map<string, { plaintext: string; until: number }>();

const algorithm = 'aes-256-gcm';

/**
 * The context as a canonical string: sorted keys, so `{a, b}` and `{b, a}` are
 * the same context (KMS treats them as the same too).
 */
function canonical(context: EncryptionContext): string {
  const entries = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(['paybridge-envelope/v1', entries]);
}

function gcmSeal(key: Uint8Array, plaintext: Buffer, aad: string) {
  const iv = randomBytes(12);
  const cipher = createCipheriv(algorithm, key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), ciphertext };
}

function gcmOpen(key: Uint8Array, iv: Buffer, tag: Buffer, ciphertext: Buffer, aad: string): Buffer {
  if (iv.length !== 12 || tag.length !== 16) throw new EnvelopeError('The sealed secret is malformed.');
  const decipher = createDecipheriv(algorithm, key, iv, { authTagLength: 16 });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

let kmsClient: Promise<{ client: KmsSdk.KMSClient; sdk: typeof KmsSdk }> | undefined;

/**
 * The KMS client, loaded on first use: functions that never seal or open a
 * secret never evaluate the KMS SDK at cold start.
 */
function kms() {
  kmsClient ??= import('@aws-sdk/client-kms').then((sdk) => ({ client: new sdk.KMSClient({}), sdk }));
  return kmsClient;
}

function localMasterKey(): Buffer {
  const encoded = config().LOCAL_MASTER_KEY;
  if (!encoded) throw new EnvelopeError('No secrets key is configured (SECRETS_KEY_ID or LOCAL_MASTER_KEY).');
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 32) throw new EnvelopeError('LOCAL_MASTER_KEY must be 32 bytes, base64-encoded.');
  return key;
}

interface DataKey {
  readonly plaintext: Uint8Array;
  readonly wrapped: Buffer;
  readonly kek: Envelope['kek'];
}

async function newDataKey(context: EncryptionContext): Promise<DataKey> {
  const keyId = config().SECRETS_KEY_ID;
  if (keyId) {
    const { client, sdk } = await kms();
    const out = await client.send(
      new sdk.GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { ...context } }),
    );
    if (!out.Plaintext || !out.CiphertextBlob || out.Plaintext.length !== 32) {
      throw new EnvelopeError('KMS returned no data key.');
    }
    return { plaintext: out.Plaintext, wrapped: Buffer.from(out.CiphertextBlob), kek: 'kms' };
  }
  const plaintext = randomBytes(32);
  const wrap = gcmSeal(localMasterKey(), plaintext, canonical(context));
  return { plaintext, wrapped: Buffer.concat([wrap.iv, wrap.tag, wrap.ciphertext]), kek: 'local' };
}

async function unwrapDataKey(envelope: Envelope, context: EncryptionContext): Promise<Uint8Array> {
  const wrapped = Buffer.from(envelope.wrappedKey, 'base64');
  if (envelope.kek === 'kms') {
    const keyId = config().SECRETS_KEY_ID;
    if (!keyId) throw new EnvelopeError('This secret was sealed with KMS, and no SECRETS_KEY_ID is set.');
    const { client, sdk } = await kms();
    try {
      const out = await client.send(
        // KeyId pins the key: a blob wrapped by any other KMS key is refused.
        new sdk.DecryptCommand({ KeyId: keyId, CiphertextBlob: wrapped, EncryptionContext: { ...context } }),
      );
      if (!out.Plaintext || out.Plaintext.length !== 32) throw new EnvelopeError('KMS returned no data key.');
      return out.Plaintext;
    } catch (error) {
      if (error instanceof EnvelopeError) throw error;
      // KMS error messages name the key and the failure, never the plaintext.
      throw new EnvelopeError('KMS could not unwrap the data key.', { cause: error });
    }
  }
  if (envelope.kek === 'local') {
    try {
      return gcmOpen(
        localMasterKey(),
        wrapped.subarray(0, 12),
        wrapped.subarray(12, 28),
        wrapped.subarray(28),
        canonical(context),
      );
    } catch (error) {
      if (error instanceof EnvelopeError) throw error;
      throw new EnvelopeError('The data key could not be unwrapped (tampered, or another context or key).');
    }
  }
  throw new EnvelopeError('The sealed secret names an unknown key wrapping.');
}

/** Encrypts `plaintext` for `context`; the same context is needed to open it. */
export async function sealSecret(plaintext: string, context: EncryptionContext): Promise<Envelope> {
  const dataKey = await newDataKey(context);
  try {
    const sealed = gcmSeal(dataKey.plaintext, Buffer.from(plaintext, 'utf8'), canonical(context));
    return {
      v: 1,
      kek: dataKey.kek,
      wrappedKey: dataKey.wrapped.toString('base64'),
      iv: sealed.iv.toString('base64'),
      tag: sealed.tag.toString('base64'),
      ciphertext: sealed.ciphertext.toString('base64'),
    };
  } finally {
    dataKey.plaintext.fill(0);
  }
}

/**
 * The cache key covers the envelope and the context: a cached secret is only
 * ever returned for the exact context it was opened with.
 */
function cacheKey(envelope: Envelope, context: EncryptionContext): string {
  const { v, kek, wrappedKey, iv, tag, ciphertext } = envelope;
  return createHash('sha256')
    .update(JSON.stringify([v, kek, wrappedKey, iv, tag, ciphertext, canonical(context)]))
    .digest('base64url');
}

/**
 * Decrypts an envelope made by `sealSecret` with the same context. Results are
 * cached in memory per container for `openCacheMs`. Any failure is an
 * EnvelopeError that says nothing of the secret.
 */
export async function openSecret(envelope: Envelope, context: EncryptionContext): Promise<string> {
  if (envelope.v !== 1) throw new EnvelopeError('The sealed secret has an unknown version.');
  const key = cacheKey(envelope, context);
  const now = Date.now();
  const hit = openCache.get(key);
  if (hit && hit.until > now) return hit.plaintext;
  if (hit) openCache.delete(key);

  const dataKey = await unwrapDataKey(envelope, context);
  let plaintext: string;
  try {
    plaintext = gcmOpen(
      dataKey,
      Buffer.from(envelope.iv, 'base64'),
      Buffer.from(envelope.tag, 'base64'),
      Buffer.from(envelope.ciphertext, 'base64'),
      canonical(context),
    ).toString('utf8');
  } catch (error) {
    if (error instanceof EnvelopeError) throw error;
    throw new EnvelopeError('The sealed secret could not be opened (tampered, or another context).');
  } finally {
    dataKey.fill(0);
  }

  if (openCache.size >= openCacheMax) {
    // Maps iterate in insertion order: drop the oldest entry.
    const oldest = openCache.keys().next();
    if (!oldest.done) openCache.delete(oldest.value);
  }
  openCache.set(key, { plaintext, until: now + openCacheMs });
  return plaintext;
}

/** Forgets every opened secret (tests; and a hook should a key ever need to be dropped at once). */
export function clearOpenedSecrets(): void {
  openCache.clear();
}
