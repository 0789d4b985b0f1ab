import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as EnvelopeModule from '#runtime/envelope';

const baseEnv = {
  TABLE_NAME: 'unit',
  PROVIDER_EVENTS_QUEUE_URL: 'http://127.0.0.1/events',
  DELIVERIES_QUEUE_URL: 'http://127.0.0.1/deliveries',
};

const secret = 'sk_live_4f1c2e8b9a7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b';
const context = { purpose: 'provider-credentials', merchantId: 'mer_A', mode: 'live', provider: 'paystack' };

/** A fresh copy of the module (its config and cache are per module instance) under `env`. */
async function load(env: Record<string, string | undefined>): Promise<typeof EnvelopeModule> {
  vi.resetModules();
  for (const [name, value] of Object.entries({ ...baseEnv, ...env })) vi.stubEnv(name, value);
  return import('#runtime/envelope');
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.doUnmock('@aws-sdk/client-kms');
  vi.useRealTimers();
});

describe('envelope encryption with the local master key', () => {
  let envelope: typeof EnvelopeModule;
  beforeEach(async () => {
    envelope = await load({
      LOCAL_MASTER_KEY: randomBytes(32).toString('base64'),
      SECRETS_KEY_ID: undefined,
    });
  });

  it('opens what it sealed, with the same context in any key order', async () => {
    const sealed = await envelope.sealSecret(secret, context);
    expect(sealed).toMatchObject({ v: 1, kek: 'local' });
    expect(JSON.stringify(sealed)).not.toContain(secret);
    const reordered = {
      provider: 'paystack',
      mode: 'live',
      merchantId: 'mer_A',
      purpose: 'provider-credentials',
    };
    expect(await envelope.openSecret(sealed, reordered)).toBe(secret);
  });

  it('seals the same secret differently each time (fresh data key and nonce)', async () => {
    const a = await envelope.sealSecret(secret, context);
    const b = await envelope.sealSecret(secret, context);
    expect(a.wrappedKey).not.toBe(b.wrappedKey);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it.each(['ciphertext', 'tag', 'iv', 'wrappedKey'] as const)(
    'refuses an envelope whose %s was altered',
    async (field) => {
      const sealed = await envelope.sealSecret(secret, context);
      const bytes = Buffer.from(sealed[field], 'base64');
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01;
      const tampered = { ...sealed, [field]: bytes.toString('base64') };
      await expect(envelope.openSecret(tampered, context)).rejects.toBeInstanceOf(envelope.EnvelopeError);
    },
  );

  it('refuses a data key swapped in from another envelope', async () => {
    const a = await envelope.sealSecret(secret, context);
    const b = await envelope.sealSecret('another secret', context);
    await expect(envelope.openSecret({ ...a, wrappedKey: b.wrappedKey }, context)).rejects.toBeInstanceOf(
      envelope.EnvelopeError,
    );
  });

  it.each([
    ['another merchant', { ...context, merchantId: 'mer_B' }],
    ['another mode', { ...context, mode: 'test' }],
    ['an extra entry', { ...context, field: 'webhookSecret' }],
    ['a missing entry', { merchantId: 'mer_A', mode: 'live', provider: 'paystack' }],
  ])('refuses to open with the context of %s', async (_what, other) => {
    const sealed = await envelope.sealSecret(secret, context);
    await expect(envelope.openSecret(sealed, other)).rejects.toBeInstanceOf(envelope.EnvelopeError);
  });

  it('refuses a wrong context even after the right one was opened and cached', async () => {
    const sealed = await envelope.sealSecret(secret, context);
    expect(await envelope.openSecret(sealed, context)).toBe(secret);
    await expect(envelope.openSecret(sealed, { ...context, merchantId: 'mer_B' })).rejects.toBeInstanceOf(
      envelope.EnvelopeError,
    );
  });

  it('never puts the secret in an error', async () => {
    const sealed = await envelope.sealSecret(secret, context);
    const error = await envelope.openSecret(sealed, { ...context, mode: 'test' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(envelope.EnvelopeError);
    const text = JSON.stringify(error, Object.getOwnPropertyNames(error)) + String(error);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(-8));
  });

  it('refuses an envelope sealed by KMS when no KMS key is configured', async () => {
    const sealed = await envelope.sealSecret(secret, context);
    await expect(envelope.openSecret({ ...sealed, kek: 'kms' }, context)).rejects.toThrow(/SECRETS_KEY_ID/);
  });

  it('refuses to seal under a master key that is not 32 bytes', async () => {
    const short = await load({
      LOCAL_MASTER_KEY: randomBytes(16).toString('base64'),
      SECRETS_KEY_ID: undefined,
    });
    await expect(short.sealSecret(secret, context)).rejects.toThrow(/32 bytes/);
  });

  it('cannot open with another master key', async () => {
    const sealed = await envelope.sealSecret(secret, context);
    const other = await load({
      LOCAL_MASTER_KEY: randomBytes(32).toString('base64'),
      SECRETS_KEY_ID: undefined,
    });
    await expect(other.openSecret(sealed, context)).rejects.toBeInstanceOf(other.EnvelopeError);
  });
});

describe('envelope encryption with KMS', () => {
  /**
   * A stand-in for KMS that keeps its own key and enforces the encryption
   * context like KMS does, counting calls.
   */
  function fakeKms() {
    const kmsKey = randomBytes(32);
    const calls = { generate: 0, decrypt: 0, contexts: [] as unknown[] };
    const bind = (ctx: Record<string, string>) =>
      Buffer.from(JSON.stringify(Object.entries(ctx).sort(([a], [b]) => a.localeCompare(b))));
    class GenerateDataKeyCommand {
      readonly input: { KeyId: string; KeySpec: string; EncryptionContext: Record<string, string> };
      constructor(input: GenerateDataKeyCommand['input']) {
        this.input = input;
      }
    }
    class DecryptCommand {
      readonly input: {
        KeyId: string;
        CiphertextBlob: Uint8Array;
        EncryptionContext: Record<string, string>;
      };
      constructor(input: DecryptCommand['input']) {
        this.input = input;
      }
    }
    class KMSClient {
      async send(command: GenerateDataKeyCommand | DecryptCommand) {
        if (command instanceof GenerateDataKeyCommand) {
          calls.generate++;
          calls.contexts.push(command.input);
          const plaintext = randomBytes(32);
          const iv = randomBytes(12);
          const cipher = createCipheriv('aes-256-gcm', kmsKey, iv);
          cipher.setAAD(bind(command.input.EncryptionContext));
          const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
          return {
            Plaintext: new Uint8Array(plaintext),
            CiphertextBlob: new Uint8Array(Buffer.concat([iv, cipher.getAuthTag(), ct])),
          };
        }
        calls.decrypt++;
        calls.contexts.push({ ...command.input, CiphertextBlob: undefined });
        const blob = Buffer.from(command.input.CiphertextBlob);
        const decipher = createDecipheriv('aes-256-gcm', kmsKey, blob.subarray(0, 12));
        decipher.setAAD(bind(command.input.EncryptionContext));
        decipher.setAuthTag(blob.subarray(12, 28));
        try {
          return {
            Plaintext: new Uint8Array(Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()])),
          };
        } catch {
          throw Object.assign(new Error('InvalidCiphertextException'), {
            name: 'InvalidCiphertextException',
          });
        }
      }
    }
    return { calls, module: { KMSClient, GenerateDataKeyCommand, DecryptCommand } };
  }

  it('wraps the data key with KMS under the context, and caches opened secrets for 5 minutes', async () => {
    const kms = fakeKms();
    vi.doMock('@aws-sdk/client-kms', () => kms.module);
    const envelope = await load({
      SECRETS_KEY_ID: 'arn:aws:kms:eu-west-1:1:key/k',
      LOCAL_MASTER_KEY: undefined,
    });

    const sealed = await envelope.sealSecret(secret, context);
    expect(sealed.kek).toBe('kms');
    expect(kms.calls.contexts[0]).toMatchObject({
      KeyId: 'arn:aws:kms:eu-west-1:1:key/k',
      KeySpec: 'AES_256',
      EncryptionContext: context,
    });

    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z'), toFake: ['Date'] });
    expect(await envelope.openSecret(sealed, context)).toBe(secret);
    expect(await envelope.openSecret(sealed, context)).toBe(secret);
    expect(kms.calls.decrypt).toBe(1);
    expect(kms.calls.contexts[1]).toMatchObject({
      KeyId: 'arn:aws:kms:eu-west-1:1:key/k',
      EncryptionContext: context,
    });

    vi.setSystemTime(new Date(Date.now() + envelope.openCacheMs + 1));
    expect(await envelope.openSecret(sealed, context)).toBe(secret);
    expect(kms.calls.decrypt).toBe(2);
  });

  it('refuses another context at KMS, and says nothing of the secret', async () => {
    const kms = fakeKms();
    vi.doMock('@aws-sdk/client-kms', () => kms.module);
    const envelope = await load({ SECRETS_KEY_ID: 'key', LOCAL_MASTER_KEY: undefined });
    const sealed = await envelope.sealSecret(secret, context);
    const error = await envelope
      .openSecret(sealed, { ...context, merchantId: 'mer_B' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(envelope.EnvelopeError);
    expect(String(error)).not.toContain(secret);
  });
});
