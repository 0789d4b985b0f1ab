import {
  readSignedWebhookToken,
  signedTokenVersion,
  signWebhookToken,
  type WebhookTarget,
  type WebhookTokenKeys,
} from '#core/providers';
import type { ProviderName } from '#core/provider-adapter';
import { config } from '#runtime/config';
import { logger } from '#runtime/logger';
import { readSecretFromExtension } from '#runtime/secrets-extension';

/**
 * The server's webhook-token keys (core/providers.ts `signWebhookToken`): read once per cold start and
 * again every five minutes, or sooner when a token names a version this container does not know
 * (at most once per ten seconds), so a rotation reaches warm containers. Locally from
 * `WEBHOOK_TOKEN_KEYS`; in the cloud from the Secrets Manager secret through the Parameters and
 * Secrets extension (a localhost call: no SDK client in the ingest bundle). Never logged.
 */
const reloadAfterMs = 5 * 60 * 1000;
const unknownVersionReloadMs = 10_000;

let cached: { keys: Promise<WebhookTokenKeys | undefined>; at: number } | undefined;

/** `{"current":"1","k1":"…","k2":"…"}` → the key set; undefined when absent or unusable. */
export function parseWebhookTokenKeys(text: string | undefined): WebhookTokenKeys | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const keys = new Map<string, Buffer>();
    for (const [name, value] of Object.entries(parsed)) {
      const version = /^k(\d{1,4})$/.exec(name)?.[1];
      if (version && typeof value === 'string' && value.length >= 32) keys.set(version, Buffer.from(value));
    }
    const current = typeof parsed.current === 'string' ? parsed.current : undefined;
    return current && keys.has(current) ? { current, keys } : undefined;
  } catch {
    return undefined;
  }
}

async function load(): Promise<WebhookTokenKeys | undefined> {
  const c = config();
  try {
    const text =
      c.WEBHOOK_TOKEN_KEYS ||
      (c.WEBHOOK_TOKEN_KEYS_SECRET_ARN
        ? await readSecretFromExtension(c.WEBHOOK_TOKEN_KEYS_SECRET_ARN)
        : undefined);
    const keys = parseWebhookTokenKeys(text);
    if (!keys && (c.WEBHOOK_TOKEN_KEYS || c.WEBHOOK_TOKEN_KEYS_SECRET_ARN)) {
      logger.warn('webhook token keys unusable: new webhook URLs fall back to random tokens');
    }
    return keys;
  } catch (error) {
    logger.warn('webhook token keys unavailable', { error: error instanceof Error ? error.name : 'unknown' });
    return undefined;
  }
}

function keys(fresh = false): Promise<WebhookTokenKeys | undefined> {
  const now = Date.now();
  if (!cached || now - cached.at > reloadAfterMs || (fresh && now - cached.at > unknownVersionReloadMs)) {
    cached = { keys: load(), at: now };
  }
  return cached.keys;
}

export const webhookTokens = {
  /** A new configuration's token, signed under the current key; undefined when no key is configured. */
  async mint(target: WebhookTarget): Promise<string | undefined> {
    const k = await keys();
    return k ? signWebhookToken(k, target) : undefined;
  },
  /**
   * Whom a signed token names, verified without a read; undefined for a token of the first form
   * or one that does not verify (the caller then looks it up).
   */
  async read(token: string, provider: ProviderName): Promise<WebhookTarget | undefined> {
    const version = signedTokenVersion(token);
    if (version === undefined) return undefined;
    let k = await keys();
    if (!k?.keys.has(version)) k = await keys(true);
    return k ? readSignedWebhookToken(k, token, provider) : undefined;
  },
};
