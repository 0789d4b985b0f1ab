import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type ProviderCredentials, type ProviderName, providerNames } from '#core/provider-adapter';
import type { AuditInput } from './identity.ts';
import type { MerchantActor, Mode, RequestMeta } from './actor.ts';
import { Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed } from './errors.ts';

/**
 * A merchant's provider credentials, one configuration per provider and mode.
 * This module holds the rules (which providers exist, what their keys look like
 * in each mode, which need a webhook secret, which currencies they may charge);
 * `ProviderStore` (store/providers.ts) keeps the data, sealing the secrets.
 */

/** What PayBridge keeps about a configuration, apart from the secrets (sealed by the store). */
export interface ProviderConfig {
  merchantId: string;
  provider: ProviderName;
  mode: Mode;
  enabled: boolean;
  /** Upper-case ISO 4217 codes this merchant charges through this provider. */
  currencies: string[];
  /** Opaque, in the provider's webhook URL: `/hooks/{provider}/{webhookToken}`. */
  webhookToken: string;
  secretKeyLast4: string;
  publicKey?: string;
  createdAt: string;
  updatedAt: string;
  /**
   * When a webhook whose signature we accepted last arrived: written by the verify worker
   * at most once per 5 minutes per container, so it may lag by that much.
   */
  lastWebhookAt?: string;
}

/**
 * How a provider's webhooks are doing for a merchant in one mode: the last accepted
 * webhook, the signatures refused in the last 24 hours (`webhook_signature_rejected`
 * security events), and how the recent payment events were settled, by the provider's
 * webhook or by the reconciliation sweeper where a webhook should have done it.
 */
export interface ProviderHealth {
  lastWebhookAt: string | null;
  signatureFailures24h: number;
  settledByWebhook: number;
  settledByReconciliation: number;
}

/** Where a webhook token points. */
export interface WebhookTarget {
  merchantId: string;
  mode: Mode;
  provider: ProviderName;
}

export interface ProviderStore {
  get(merchantId: string, mode: Mode, provider: ProviderName): Promise<ProviderConfig | undefined>;
  list(merchantId: string, mode: Mode): Promise<ProviderConfig[]>;
  /**
   * Writes the configuration, its sealed credentials, the token lookup and the
   * audit item in one transaction. `previous` is what the caller read: the
   * write only happens if the stored item is still that one (or still absent),
   * else it returns false and nothing is written.
   */
  put(
    config: ProviderConfig,
    credentials: ProviderCredentials,
    previous: ProviderConfig | undefined,
    audit: AuditInput,
  ): Promise<boolean>;
  /** Deletes the configuration and its token lookup, audited; false if it was not there. */
  remove(config: ProviderConfig, audit: AuditInput): Promise<boolean>;
}

export interface ProviderDeps {
  readonly store: ProviderStore;
  /** The currencies each adapter can charge in (ProviderAdapter.currencies). */
  readonly currencies: (provider: ProviderName) => readonly string[];
  readonly now?: () => Date;
  /**
   * A new configuration's webhook token, self-authenticating (`signWebhookToken` under the server's
   * key); undefined (or absent) leaves it to a random one, which ingest finds by a lookup.
   */
  readonly newWebhookToken?: (target: WebhookTarget) => Promise<string | undefined>;
}

const clock = (deps: Pick<ProviderDeps, 'now'>) => (deps.now ?? (() => new Date()))();

interface KeyFormat {
  readonly test: RegExp;
  readonly live: RegExp;
  /** How the key starts in each mode, for messages. */
  readonly hint: { readonly test: string; readonly live: string };
}

interface ProviderRule {
  /** The provider's name as humans write it, for messages and pages. */
  readonly label: string;
  readonly secretKey: KeyFormat;
  readonly publicKey: KeyFormat;
  /**
   * What its secrets look like anywhere in a string (global): the logger masks every match
   * (runtime/logger.ts), whatever field or message carries it: at least every secret key the
   * formats above accept with 8 characters or more after its prefix (real keys are far longer).
   */
  readonly redact: RegExp;
  /**
   * The webhook signing secret: `none` when the provider signs with the API
   * secret key (Paystack), else the format the secret must have.
   */
  readonly webhookSecret:
    { readonly kind: 'none' } | { readonly kind: 'required'; readonly format: RegExp; readonly what: string };
}

// The alphabets are what the providers issue (hex or base62, Flutterwave's
// `-X` suffix); the local sandboxes accept the same shapes.

/** A dashboard "secret hash" is the merchant's own choice: printable ASCII, no edge spaces. */
const anyHash = /^[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?$/;

/**
 * What PayBridge knows about each provider apart from its API: the label, the key formats per
 * mode, the webhook secret, and the look of its secrets for redaction. They live in core, not in
 * the adapter modules, because the floors below the adapters need them too: the logger
 * (runtime/) masks these secrets in every function, payment pages (core/payment-links.ts) name the
 * provider. The adapter module (providers/<name>.ts) declares the rest: API base URL, currencies,
 * units, calls and webhooks. Adding a provider is one entry here (the compiler asks for it).
 */
export const providerRules: Readonly<Record<ProviderName, ProviderRule>> = {
  // https://paystack.com/docs/api/authentication/ — webhooks are signed with the secret key.
  paystack: {
    label: 'Paystack',
    secretKey: {
      test: /^sk_test_[A-Za-z0-9]+$/,
      live: /^sk_live_[A-Za-z0-9]+$/,
      hint: { test: 'sk_test_', live: 'sk_live_' },
    },
    publicKey: {
      test: /^pk_test_[A-Za-z0-9]+$/,
      live: /^pk_live_[A-Za-z0-9]+$/,
      hint: { test: 'pk_test_', live: 'pk_live_' },
    },
    redact: /\b(sk|pk)_(test|live)_[A-Za-z0-9]{8,}/g,
    webhookSecret: { kind: 'none' },
  },
  // https://developer.flutterwave.com/docs/integration-guides/authentication — the webhook
  // "secret hash" is chosen by the merchant in the dashboard and sent back as `verif-hash`.
  flutterwave: {
    label: 'Flutterwave',
    secretKey: {
      test: /^FLWSECK_TEST-[A-Za-z0-9]+(-X)?$/,
      live: /^FLWSECK-[A-Za-z0-9]+(-X)?$/,
      hint: { test: 'FLWSECK_TEST-', live: 'FLWSECK-' },
    },
    publicKey: {
      test: /^FLWPUBK_TEST-[A-Za-z0-9]+(-X)?$/,
      live: /^FLWPUBK-[A-Za-z0-9]+(-X)?$/,
      hint: { test: 'FLWPUBK_TEST-', live: 'FLWPUBK-' },
    },
    redact: /\bFLWSECK(_TEST)?-[A-Za-z0-9-]{8,}/g,
    webhookSecret: {
      kind: 'required',
      format: anyHash,
      what: 'the secret hash set in your Flutterwave dashboard',
    },
  },
  // https://docs.stripe.com/keys — restricted keys (`rk_`) work too; webhook endpoints have a `whsec_` secret.
  stripe: {
    label: 'Stripe',
    secretKey: {
      test: /^(sk|rk)_test_[A-Za-z0-9]+$/,
      live: /^(sk|rk)_live_[A-Za-z0-9]+$/,
      hint: { test: 'sk_test_ or rk_test_', live: 'sk_live_ or rk_live_' },
    },
    publicKey: {
      test: /^pk_test_[A-Za-z0-9]+$/,
      live: /^pk_live_[A-Za-z0-9]+$/,
      hint: { test: 'pk_test_', live: 'pk_live_' },
    },
    // Its webhook secret is a `whsec_…`, masked by the logger as our own endpoint secrets are.
    redact: /\b(sk|pk|rk)_(test|live)_[A-Za-z0-9]{8,}/g,
    webhookSecret: {
      kind: 'required',
      format: /^whsec_[A-Za-z0-9+/=]+$/,
      what: "the webhook endpoint's signing secret (whsec_…)",
    },
  },
  // https://developer.chapa.co/integrations/webhooks — the secret hash set in the Chapa dashboard.
  chapa: {
    label: 'Chapa',
    secretKey: {
      test: /^CHASECK_TEST-[A-Za-z0-9]+$/,
      live: /^CHASECK-[A-Za-z0-9]+$/,
      hint: { test: 'CHASECK_TEST-', live: 'CHASECK-' },
    },
    publicKey: {
      test: /^CHAPUBK_TEST-[A-Za-z0-9]+$/,
      live: /^CHAPUBK-[A-Za-z0-9]+$/,
      hint: { test: 'CHAPUBK_TEST-', live: 'CHAPUBK-' },
    },
    redact: /\bCHASECK(_TEST)?-[A-Za-z0-9-]{8,}/g,
    webhookSecret: { kind: 'required', format: anyHash, what: 'the secret hash set in your Chapa dashboard' },
  },
};

/** The provider named by `name`, or NotFound `provider_not_found`. */
export function providerNamed(name: string): ProviderName {
  if (!(providerNames as readonly string[]).includes(name)) {
    throw new NotFound(
      'provider_not_found',
      `There is no provider named ${JSON.stringify(name.slice(0, 40))}; PayBridge supports ${providerNames.join(', ')}.`,
      'provider',
    );
  }
  return name as ProviderName;
}

const otherMode = (mode: Mode): Mode => (mode === 'test' ? 'live' : 'test');

/**
 * Checks a key against a provider's format for `mode`. A key of the other mode
 * is refused by name, never echoed: messages carry the expected prefix only.
 */
function checkKey(
  label: string,
  what: string,
  format: KeyFormat,
  mode: Mode,
  key: string,
  param: string,
): void {
  if (format[mode].test(key)) return;
  if (format[otherMode(mode)].test(key)) {
    throw new Unprocessable(
      'key_mode_mismatch',
      `That is a ${otherMode(mode)}-mode ${label} ${what}, but this configuration is for ${mode} mode: use a key starting with ${format.hint[mode]}.`,
      param,
    );
  }
  throw new Unprocessable(
    `invalid_${param === 'secretKey' ? 'secret_key' : 'public_key'}`,
    `That is not a ${label} ${what} for ${mode} mode: it should start with ${format.hint[mode]}.`,
    param,
  );
}

export interface CredentialsInput {
  secretKey: string;
  publicKey?: string | undefined;
  webhookSecret?: string | undefined;
  enabled?: boolean | undefined;
  currencies?: string[] | undefined;
}

/**
 * Validates credentials for a provider and mode and returns what to store:
 * the credentials to seal, and the currencies (the adapter's when none are given).
 */
export function validateCredentials(
  provider: ProviderName,
  mode: Mode,
  input: CredentialsInput,
  supported: readonly string[],
): { credentials: ProviderCredentials; currencies: string[] } {
  const rule = providerRules[provider];
  checkKey(rule.label, 'secret key', rule.secretKey, mode, input.secretKey, 'secretKey');
  // A public key is stored in clear: the format check also stops a secret pasted into it.
  if (input.publicKey !== undefined) {
    checkKey(rule.label, 'public key', rule.publicKey, mode, input.publicKey, 'publicKey');
  }
  const hook = rule.webhookSecret;
  if (hook.kind === 'none' && input.webhookSecret !== undefined) {
    throw new Unprocessable(
      'webhook_secret_not_used',
      `${rule.label} signs webhooks with your secret key: send no \`webhookSecret\`.`,
      'webhookSecret',
    );
  }
  if (hook.kind === 'required') {
    if (input.webhookSecret === undefined) {
      throw new Unprocessable(
        'webhook_secret_required',
        `${rule.label} needs \`webhookSecret\`: ${hook.what}.`,
        'webhookSecret',
      );
    }
    if (!hook.format.test(input.webhookSecret)) {
      throw new Unprocessable(
        'invalid_webhook_secret',
        `\`webhookSecret\` must be ${hook.what}.`,
        'webhookSecret',
      );
    }
  }
  let currencies = [...supported];
  if (input.currencies !== undefined) {
    const wanted = [...new Set(input.currencies)];
    const unsupported = wanted.filter((c) => !supported.includes(c));
    if (unsupported.length > 0) {
      throw new Unprocessable(
        'unsupported_currency',
        `${rule.label} cannot charge in ${unsupported.join(', ')}; it supports ${supported.join(', ')}.`,
        'currencies',
      );
    }
    if (wanted.length === 0) {
      throw new ValidationFailed(
        'invalid_field',
        '`currencies` must name at least one currency.',
        'currencies',
        422,
      );
    }
    currencies = wanted;
  }
  return {
    credentials: {
      secretKey: input.secretKey,
      ...(input.publicKey === undefined ? {} : { publicKey: input.publicKey }),
      ...(input.webhookSecret === undefined ? {} : { webhookSecret: input.webhookSecret }),
    },
    currencies,
  };
}

/**
 * The mode a request acts on. An API key acts on its own mode only: naming the
 * other one is a 403. A dashboard user names it (`required`), or, for reads,
 * falls back to the `PayBridge-Mode` header.
 */
export function resolveMode(actor: MerchantActor, requested: Mode | undefined, required: boolean): Mode {
  if (actor.kind === 'apiKey') {
    if (requested !== undefined && requested !== actor.mode) {
      throw new Forbidden(
        'mode_mismatch',
        `This is a ${actor.mode}-mode API key; it cannot act on ${requested}-mode providers.`,
        'mode',
      );
    }
    return actor.mode;
  }
  if (requested === undefined) {
    if (required)
      throw new ValidationFailed('missing_field', '`mode` is required: `test` or `live`.', 'mode');
    return actor.mode;
  }
  return requested;
}

/** 32 random bytes, base64url: unguessable, and says nothing about whose it is (the first form, kept working). */
export const newWebhookToken = (): string => randomBytes(32).toString('base64url');

/**
 * The server's webhook-token keys: which version signs new tokens, and every version that still
 * verifies (a rotation adds a version and makes it current; the old one stays until no URL uses it).
 */
export interface WebhookTokenKeys {
  current: string;
  keys: ReadonlyMap<string, Buffer>;
}

/**
 * A self-authenticating webhook token, as long as a random one (43 base64url characters):
 * `<version><t|l><merchant: its ULID's 16 bytes, 22 chars><nonce: 3 chars><mac: 16 chars>`, the MAC
 * the first 12 bytes of an HMAC-SHA256 under key `<version>` (a base64url digit, 1–63) over the
 * version, merchant, mode, provider and nonce. Ingest knows whom it names without a read; the nonce
 * makes a configuration made again after its removal get a new URL (the worker refuses the old one:
 * the configuration's stored token is no longer it). A random token of the first form fails the MAC
 * (2⁻⁹⁶) and is looked up as before.
 */
const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const signedToken = /^([B-Za-z0-9_-])([tl])([A-Za-z0-9_-]{22})([A-Za-z0-9_-]{3})([A-Za-z0-9_-]{16})$/;
const merchantPrefix = 'mer_';

/** A merchant id's ULID as its 16 bytes (base64url), or undefined when it is not a canonical ULID. */
function packMerchant(merchantId: string): string | undefined {
  const ulid = merchantId.slice(merchantPrefix.length);
  if (!merchantId.startsWith(merchantPrefix) || !/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/.test(ulid)) return undefined;
  let n = 0n;
  for (const c of ulid) n = (n << 5n) | BigInt(crockford.indexOf(c));
  return Buffer.from(n.toString(16).padStart(32, '0'), 'hex').toString('base64url');
}

function unpackMerchant(packed: string): string | undefined {
  const bytes = Buffer.from(packed, 'base64url');
  if (bytes.length !== 16 || bytes.toString('base64url') !== packed) return undefined;
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let ulid = '';
  for (let i = 0; i < 26; i++) {
    ulid = crockford.charAt(Number(n & 31n)) + ulid;
    n >>= 5n;
  }
  return `${merchantPrefix}${ulid}`;
}

function tokenMac(key: Buffer, version: string, target: WebhookTarget, nonce: string): string {
  return createHmac('sha256', key)
    .update(
      `paybridge-webhook-token\n${version}\n${target.merchantId}\n${target.mode}\n${target.provider}\n${nonce}`,
    )
    .digest()
    .subarray(0, 12)
    .toString('base64url');
}

/** A new signed token for a configuration, under the current key; undefined when it cannot be made. */
export function signWebhookToken(keys: WebhookTokenKeys, target: WebhookTarget): string | undefined {
  const key = keys.keys.get(keys.current);
  const version = Number(keys.current);
  const merchant = packMerchant(target.merchantId);
  if (!key || !merchant || !Number.isInteger(version) || version < 1 || version > 63) return undefined;
  const nonce = randomBytes(3).toString('base64url').slice(0, 3);
  const mode = target.mode === 'live' ? 'l' : 't';
  return `${digits.charAt(version)}${mode}${merchant}${nonce}${tokenMac(key, keys.current, target, nonce)}`;
}

/** The key version a token would be signed under, if it has the signed form (a random token may too). */
export function signedTokenVersion(token: string): string | undefined {
  const parts = signedToken.exec(token);
  return parts ? String(digits.indexOf(parts[1] ?? '')) : undefined;
}

/**
 * Whom a signed token names, for the provider of the URL it came to, when its MAC verifies under
 * the key it names; undefined otherwise (a random token, an unknown key version, a forgery).
 */
export function readSignedWebhookToken(
  keys: WebhookTokenKeys,
  token: string,
  provider: ProviderName,
): WebhookTarget | undefined {
  const parts = signedToken.exec(token);
  if (!parts) return undefined;
  const [, v = '', m, packed = '', nonce = '', mac = ''] = parts;
  const version = String(digits.indexOf(v));
  const key = keys.keys.get(version);
  const merchantId = unpackMerchant(packed);
  if (!key || !merchantId) return undefined;
  const target: WebhookTarget = { merchantId, mode: m === 'l' ? 'live' : 'test', provider };
  const expected = Buffer.from(tokenMac(key, version, target, nonce));
  const given = Buffer.from(mac);
  return expected.length === given.length && timingSafeEqual(expected, given) ? target : undefined;
}

/** The shape of a webhook token, random or signed (ingest refuses anything else before a read). */
export const isWebhookToken = (token: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(token);

/** The path providers post webhooks to. */
export const webhookPath = (provider: ProviderName, token: string): string => `/hooks/${provider}/${token}`;

/**
 * What the API shows of a configuration: never a secret, nor more of the key than its last 4.
 * The list adds the provider's `health`; the answer to a configuration change leaves it out.
 */
export function providerView(config: ProviderConfig, baseUrl: string, health?: ProviderHealth) {
  return {
    provider: config.provider,
    mode: config.mode,
    enabled: config.enabled,
    currencies: config.currencies,
    webhookUrl: `${baseUrl.replace(/\/+$/, '')}${webhookPath(config.provider, config.webhookToken)}`,
    secretKeyLast4: config.secretKeyLast4,
    updatedAt: config.updatedAt,
    ...(health ? { health } : {}),
  };
}

const audit = (
  actor: MerchantActor,
  action: string,
  provider: ProviderName,
  mode: Mode,
  meta: RequestMeta,
): AuditInput => ({
  merchantId: actor.merchantId,
  actor,
  action,
  target: { type: 'provider', id: provider },
  meta,
  mode,
});

/** Conditional writes lost to a concurrent change are retried this many times. */
const attempts = 3;

/**
 * Creates or replaces the caller's credentials for a provider and mode. The
 * webhook token is made once and kept on every later update, so the URL set in
 * the provider's dashboard keeps working when keys are rotated.
 */
export async function configureProvider(
  deps: ProviderDeps,
  actor: MerchantActor,
  providerName: string,
  input: CredentialsInput & { mode?: Mode | undefined },
  meta: RequestMeta,
): Promise<ProviderConfig> {
  const provider = providerNamed(providerName);
  const mode = resolveMode(actor, input.mode, true);
  const { credentials, currencies } = validateCredentials(provider, mode, input, deps.currencies(provider));
  let minted: string | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const previous = await deps.store.get(actor.merchantId, mode, provider);
    const at = clock(deps).toISOString();
    if (!previous && minted === undefined) {
      minted =
        (await deps.newWebhookToken?.({ merchantId: actor.merchantId, mode, provider })) ?? newWebhookToken();
    }
    const config: ProviderConfig = {
      merchantId: actor.merchantId,
      provider,
      mode,
      enabled: input.enabled ?? true,
      currencies,
      webhookToken: previous?.webhookToken ?? minted ?? newWebhookToken(),
      secretKeyLast4: input.secretKey.slice(-4),
      ...(input.publicKey === undefined ? {} : { publicKey: input.publicKey }),
      createdAt: previous?.createdAt ?? at,
      updatedAt: at,
      // New keys do not make the webhooks received so far unknown.
      ...(previous?.lastWebhookAt ? { lastWebhookAt: previous.lastWebhookAt } : {}),
    };
    const action = previous ? 'provider.updated' : 'provider.configured';
    if (await deps.store.put(config, credentials, previous, audit(actor, action, provider, mode, meta))) {
      return config;
    }
  }
  throw new Conflict(
    'concurrent_update',
    'These provider credentials were changed by another request at the same time; try again.',
  );
}

/** The caller's configurations in one mode, by provider name. */
export async function listProviders(
  deps: Pick<ProviderDeps, 'store'>,
  actor: MerchantActor,
  mode: Mode | undefined,
): Promise<ProviderConfig[]> {
  const configs = await deps.store.list(actor.merchantId, resolveMode(actor, mode, false));
  return configs.sort((a, b) => a.provider.localeCompare(b.provider));
}

/** Deletes the caller's credentials for a provider and mode; its webhook URL stops working. */
export async function removeProvider(
  deps: Pick<ProviderDeps, 'store'>,
  actor: MerchantActor,
  providerName: string,
  requestedMode: Mode | undefined,
  meta: RequestMeta,
): Promise<void> {
  const provider = providerNamed(providerName);
  const mode = resolveMode(actor, requestedMode, true);
  const missing = () =>
    new NotFound(
      'resource_missing',
      `No ${providerRules[provider].label} credentials in ${mode} mode.`,
      'provider',
    );
  const config = await deps.store.get(actor.merchantId, mode, provider);
  if (!config) throw missing();
  if (!(await deps.store.remove(config, audit(actor, 'provider.deleted', provider, mode, meta))))
    throw missing();
}
