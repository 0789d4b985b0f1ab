/**
 * Plumbing shared by the four provider faces of the sandbox server: the face
 * contract, request parsing (JSON and Stripe-style bracket forms), routing,
 * signing, ids, money formatting, the per-key ledger and the webhook sender.
 * A face holds only what is specific to its provider: paths, shapes, units,
 * error texts and signature headers.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type ProviderName, providerNames } from '#core/provider-adapter';
import type { Knobs } from './runtime.ts';

// The sandboxes imitate the providers PayBridge speaks to: the same list, never a copy of it.
export { type ProviderName, providerNames };

export function isProviderName(value: string): value is ProviderName {
  return (providerNames as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------
// The face contract
// ---------------------------------------------------------------------------

/** What a merchant pastes into the provider's dashboard. */
export interface Account {
  readonly secretKey: string;
  readonly webhookUrl?: string;
  /** Flutterwave's and Chapa's "secret hash", Stripe's `whsec_…`; Paystack signs with the secret key. */
  readonly webhookSecret?: string;
}

/** One authenticated call to a provider's REST API, with the path as the real provider has it. */
export interface ApiRequest {
  readonly method: string;
  /** e.g. `/transaction/initialize` for Paystack, `/v1/checkout/sessions` for Stripe. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly secretKey: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export function reply(
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): ApiResponse {
  return headers === undefined ? { status, body } : { status, body, headers };
}

/** What the customer clicks on the hosted checkout page. */
export type Outcome = 'success' | 'decline';

/** What the customer actually paid, when the control API says it differs from what was asked. */
export interface Paid {
  /** Minor units of `currency` (or of the asked currency when none is given). */
  readonly amount?: number;
  readonly currency?: string;
}

/** What the hosted checkout page shows. */
export interface CheckoutView {
  readonly reference: string;
  /** e.g. `NGN 5000.00`. */
  readonly amount: string;
  readonly customer: string | undefined;
  /** Whether the customer can still pay. */
  readonly open: boolean;
  /** The provider's own status word. */
  readonly status: string;
  /** A message from the last attempt, e.g. Stripe's "Your card was declined." */
  readonly notice: string | undefined;
}

export type Completion =
  | { readonly ok: true; readonly status: string; readonly redirectUrl: string | undefined }
  | { readonly ok: false; readonly status: string; readonly message: string };

/** One provider's API, as the sandbox server drives it. */
export interface Face {
  readonly name: ProviderName;
  /** Display name, e.g. `Paystack`. */
  readonly title: string;
  /** The test secret keys this provider issues; any other bearer token is refused with 401. */
  readonly keyPattern: RegExp;
  /** The dashboard's webhook signing secret, or undefined where the provider signs with the API key. */
  readonly webhookSecretPattern: RegExp | undefined;
  readonly webhookSecretHint: string;
  missingKey(): ApiResponse;
  invalidKey(): ApiResponse;
  /** The answer to a call the `failNext` knob fails. */
  unavailable(): ApiResponse;
  notFound(method: string, path: string): ApiResponse;
  /** Answers an authenticated API call, or undefined when no route matches. */
  handle(request: ApiRequest): ApiResponse | undefined;
  view(checkoutId: string): CheckoutView | undefined;
  /**
   * The customer finished on the checkout page; sends the provider's webhook where it has one.
   * `paid` (control API only) makes the customer pay another amount or currency than asked, in
   * that currency's minor units, as a misconfigured or tampered checkout would.
   */
  complete(checkoutId: string, outcome: Outcome, paid?: Paid): Completion | undefined;
  /** Lets an open checkout lapse as the provider does at its lifetime's end (Stripe); undefined elsewhere. */
  lapse?(checkoutId: string): Completion | undefined;
  /**
   * Finishes a refund the provider still holds (pending, or needing action) as `succeeded` or
   * `failed`, sending the provider's refund webhook where it has one (control API and timers).
   */
  settleRefund(refundId: string, outcome: 'succeeded' | 'failed'): Completion | undefined;
  /** Checkout ids of the transactions with this reference (the merchant's, or the provider's id). */
  checkoutIds(reference: string, secretKey?: string): string[];
  reset(): void;
}

/** What the server gives each face. */
export interface FaceContext {
  /** The face's public base URL, e.g. `http://127.0.0.1:4010/paystack`. */
  baseUrl(): string;
  account(secretKey: string): Account | undefined;
  readonly webhooks: WebhookSender;
  /** The knobs in force now (refund outcome and timing are read per refund). */
  knobs(): Knobs;
}

// ---------------------------------------------------------------------------
// Request parsing
// ---------------------------------------------------------------------------

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The media type of a request, lower-cased, without parameters. */
export function mediaType(headers: IncomingHttpHeaders): string {
  return (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** A JSON object body; an empty body is `{}`; anything else (arrays, bad JSON) is undefined. */
export function parseJsonObject(body: Buffer): Record<string, unknown> | undefined {
  if (body.length === 0) return {};
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export type FormValue = string | FormValue[] | { [key: string]: FormValue };

/**
 * Decodes `application/x-www-form-urlencoded` with the bracket notation Stripe
 * (and Rails/PHP) use: `a[b][c]=1`, `items[0][qty]=2`, `tags[]=x`. Objects whose
 * keys are all indices become arrays in index order. A key used both as a value
 * and as a container (`a=1&a[b]=2`) makes the whole body invalid (undefined).
 */
export function parseForm(text: string): Record<string, FormValue> | undefined {
  const root: Record<string, FormValue> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!match) return undefined;
    const path = [
      match[1] as string,
      ...[...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] ?? ''),
    ];
    if (!assign(root, path, value)) return undefined;
  }
  return toArrays(root) as Record<string, FormValue>;
}

/** Sets `value` at `path` below `container`; false when the path contradicts what is already there. */
function assign(container: Record<string, FormValue> | FormValue[], path: string[], value: string): boolean {
  const [head, ...rest] = path as [string, ...string[]];
  // `[]` appends to an array; a named key needs an object.
  if (Array.isArray(container) !== (head === '')) return false;
  const put = (child: FormValue) => {
    if (Array.isArray(container)) container.push(child);
    else container[head] = child;
  };
  const existing = Array.isArray(container) ? undefined : container[head];
  if (rest.length === 0) {
    if (existing !== undefined && typeof existing !== 'string') return false;
    put(value);
    return true;
  }
  let child = existing;
  if (child === undefined) {
    child = rest[0] === '' ? [] : {};
    put(child);
  }
  if (typeof child === 'string') return false;
  return assign(child, rest, value);
}

function toArrays(value: FormValue): FormValue {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(toArrays);
  const keys = Object.keys(value);
  const converted: Record<string, FormValue> = {};
  for (const key of keys) converted[key] = toArrays(value[key] as FormValue);
  if (keys.length > 0 && keys.every((key) => /^(0|[1-9]\d{0,3})$/.test(key))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((index) => converted[String(index)] as FormValue);
  }
  return converted;
}

/** A JSON or form-encoded body as an object, by Content-Type (JSON when none is given). */
export function parseJsonOrForm(
  headers: IncomingHttpHeaders,
  body: Buffer,
): Record<string, unknown> | undefined {
  return mediaType(headers) === 'application/x-www-form-urlencoded'
    ? parseForm(body.toString('utf8'))
    : parseJsonObject(body);
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

/** A non-empty string field, trimmed; undefined for anything else. */
export function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export function isEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}

/** Appends query parameters to a merchant URL, keeping the ones it already has. */
export function withQuery(url: string, params: Readonly<Record<string, string>>): string {
  const target = new URL(url);
  for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value);
  return target.toString();
}

// ---------------------------------------------------------------------------
// HTTP plumbing
// ---------------------------------------------------------------------------

/** The request body, or undefined past `limit` bytes (the caller answers 413). */
export function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function writeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.destroyed || res.headersSent) return;
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': bytes.length,
  });
  res.end(bytes);
}

export function writeHtml(res: ServerResponse, status: number, html: string): void {
  if (res.destroyed || res.headersSent) return;
  const bytes = Buffer.from(html);
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': bytes.length });
  res.end(bytes);
}

// ---------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------

export type Params = Readonly<Record<string, string>>;

export interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: (request: ApiRequest, params: Params) => ApiResponse;
}

/** `route('GET', '/transaction/verify/:reference', handler)`. */
export function route(method: string, pattern: string, handler: Route['handler']): Route {
  return { method, segments: pattern.split('/').filter(Boolean), handler };
}

export function dispatch(routes: readonly Route[], request: ApiRequest): ApiResponse | undefined {
  const parts = request.path.split('/').filter(Boolean);
  for (const candidate of routes) {
    if (candidate.method !== request.method || candidate.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = candidate.segments.every((segment, i) => {
      const part = parts[i] as string;
      if (!segment.startsWith(':')) return segment === part;
      const decoded = decodeSegment(part);
      if (decoded === undefined) return false;
      params[segment.slice(1)] = decoded;
      return true;
    });
    if (matches) return candidate.handler(request, params);
  }
  return undefined;
}

function decodeSegment(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Signing and ids
// ---------------------------------------------------------------------------

export function hmacHex(algorithm: 'sha256' | 'sha512', key: string, data: string | Buffer): string {
  return createHmac(algorithm, key).update(data).digest('hex');
}

export function hmacBase64(algorithm: 'sha256' | 'sha512', key: string, data: string | Buffer): string {
  return createHmac(algorithm, key).update(data).digest('base64');
}

const alphanumeric = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const lowerAlphanumeric = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const hexDigits = '0123456789abcdef';

/** A random string of `length` characters from `alphabet` (modulo bias is irrelevant for test ids). */
export function randomId(length: number, alphabet = alphanumeric): string {
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return id;
}

/** Provider-style numeric ids, increasing from a random start so runs do not collide in logs. */
export function numericIds(): () => number {
  let next = 1_000_000 + randomBytes(3).readUIntBE(0, 3);
  return () => next++;
}

/** The secret key as a dashboard would show it: never logged or echoed whole. */
export function maskKey(secretKey: string): string {
  return `${secretKey.slice(0, Math.min(12, secretKey.length - 4))}****${secretKey.slice(-4)}`;
}

// ---------------------------------------------------------------------------
// Money: integer minor units in, each provider's units out, no float arithmetic
// ---------------------------------------------------------------------------

/** ISO 4217 currencies whose minor unit is not 1/100. */
const zeroDecimal = new Set('BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF'.split(' '));
const threeDecimal = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);

export function minorDigits(currency: string): number {
  const code = currency.toUpperCase();
  if (zeroDecimal.has(code)) return 0;
  if (threeDecimal.has(code)) return 3;
  return 2;
}

/** `formatMajor(10750, 'NGN')` → `"107.50"`; string arithmetic only. */
export function formatMajor(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const sign = minor < 0 ? '-' : '';
  const padded = BigInt(Math.abs(minor))
    .toString()
    .padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${padded}` : `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

/** A major-unit amount as a JSON number (Flutterwave's `107.5`), parsed from the exact decimal string. */
export function majorNumber(minor: number, currency: string): number {
  return Number(formatMajor(minor, currency));
}

/**
 * Parses a positive major-unit amount (`"100.5"`, `107.5`, `"100"`) into integer
 * minor units. Numbers go through their shortest decimal representation, which
 * is what the client wrote; more decimals than the currency has (other than
 * trailing zeros) are refused (undefined).
 */
export function parseMajor(value: unknown, currency: string): number | undefined {
  let literal: string;
  if (typeof value === 'number' && Number.isFinite(value)) literal = String(value);
  else if (typeof value === 'string') literal = value.trim();
  else return undefined;
  const match = /^(\d+)(?:\.(\d+))?$/.exec(literal);
  if (!match) return undefined;
  const digits = minorDigits(currency);
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > digits) return undefined;
  const minor =
    BigInt(match[1] as string) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
  return minor > 0n && minor <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(minor) : undefined;
}

/** A positive integer from a JSON number or a digit string (form bodies carry strings). */
export function parseInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** A fee of `basisPoints` (1/100 of a percent) of `minor`, rounded half up, in integers. */
export function feeOf(minor: number, basisPoints: number): number {
  return Number((BigInt(minor) * BigInt(basisPoints) + 5_000n) / 10_000n);
}

// ---------------------------------------------------------------------------
// Ledger: transactions scoped by secret key, reachable by checkout id
// ---------------------------------------------------------------------------

export interface LedgerEntry {
  readonly secretKey: string;
  /** What the merchant verifies by: Paystack `reference`, `tx_ref`, Stripe's session id. */
  readonly reference: string;
  /** The id in the hosted checkout URL. */
  readonly checkoutId: string;
}

/** One key never sees another key's transactions; the checkout page is public, as the real ones are. */
export class Ledger<T extends LedgerEntry> {
  private readonly byKey = new Map<string, Map<string, T>>();
  private readonly byCheckout = new Map<string, T>();

  add(entry: T): void {
    let entries = this.byKey.get(entry.secretKey);
    if (!entries) {
      entries = new Map();
      this.byKey.set(entry.secretKey, entries);
    }
    entries.set(entry.reference, entry);
    this.byCheckout.set(entry.checkoutId, entry);
  }

  get(secretKey: string, reference: string): T | undefined {
    return this.byKey.get(secretKey)?.get(reference);
  }

  checkout(checkoutId: string): T | undefined {
    return this.byCheckout.get(checkoutId);
  }

  filter(predicate: (entry: T) => boolean): T[] {
    return [...this.byCheckout.values()].filter(predicate);
  }

  clear(): void {
    this.byKey.clear();
    this.byCheckout.clear();
  }
}

// ---------------------------------------------------------------------------
// Webhooks: signed POSTs with the provider's retry behaviour on a fast clock
// ---------------------------------------------------------------------------

export interface WebhookMessage {
  /** The event name, for the delivery log. */
  readonly event: string;
  readonly url: string;
  readonly method?: 'POST' | 'GET';
  /** The exact bytes sent; signatures are computed over these. */
  readonly body?: string;
  /** Headers for one attempt, built again for every retry so time-based signatures are fresh. */
  headers(): Readonly<Record<string, string>>;
  /** Whether a receiver's status counts as delivered (Paystack wants exactly 200; Stripe any 2xx). */
  delivered(status: number): boolean;
  /** False for one-shot notifications such as Chapa's callback_url GET. */
  readonly retry?: boolean;
}

export interface DeliveryAttempt {
  readonly at: string;
  readonly status?: number;
  readonly error?: string;
}

/** What `GET /_sandbox/{provider}/webhooks` shows: never headers, so never a signature or secret. */
export interface DeliveryRecord {
  readonly id: string;
  readonly event: string;
  readonly url: string;
  readonly attempts: DeliveryAttempt[];
  /** `held`: the `holdWebhooks` knob kept it back until `POST /_sandbox/{provider}/webhooks/release`. */
  state: 'pending' | 'delivered' | 'failed' | 'held';
}

export interface WebhookSenderOptions {
  /** Delays before each retry; its length is the number of retries. Read at each retry. */
  readonly retryDelaysMs: () => readonly number[];
  /** How long one attempt may take before it counts as failed. */
  readonly timeoutMs: number;
  readonly log?: (line: string) => void;
  /** The `holdWebhooks` and `webhookDelayMs` knobs, read at each send. */
  readonly dispatch?: () => { readonly hold: boolean; readonly delayMs: number };
}

export class WebhookSender {
  private readonly records: DeliveryRecord[] = [];
  private readonly held: { message: WebhookMessage; record: DeliveryRecord }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  private stopped = false;

  private readonly options: WebhookSenderOptions;

  constructor(options: WebhookSenderOptions) {
    this.options = options;
  }

  send(message: WebhookMessage): DeliveryRecord {
    const record: DeliveryRecord = {
      id: `whd_${randomId(16)}`,
      event: message.event,
      url: message.url,
      attempts: [],
      state: 'pending',
    };
    this.records.push(record);
    const dispatch = this.options.dispatch?.() ?? { hold: false, delayMs: 0 };
    if (dispatch.hold) {
      // Paid at the provider, webhook lost: nothing is sent until released (or ever).
      record.state = 'held';
      this.held.push({ message, record });
    } else if (dispatch.delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.attempt(message, record, 0);
      }, dispatch.delayMs);
      this.timers.add(timer);
    } else {
      void this.attempt(message, record, 0);
    }
    return record;
  }

  /** Sends every held webhook now (the `holdWebhooks` knob kept them); answers how many. */
  release(): number {
    const batch = this.held.splice(0);
    for (const { message, record } of batch) {
      record.state = 'pending';
      void this.attempt(message, record, 0);
    }
    return batch.length;
  }

  deliveries(): readonly DeliveryRecord[] {
    return this.records;
  }

  /** Forgets the log and cancels pending retries. */
  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.inFlight) controller.abort();
    this.records.length = 0;
    this.held.length = 0;
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private async attempt(message: WebhookMessage, record: DeliveryRecord, retriesDone: number): Promise<void> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timeout = setTimeout(() => controller.abort(), this.options.timeoutMs);
    const at = new Date().toISOString();
    let delivered = false;
    try {
      const init: RequestInit = {
        method: message.method ?? 'POST',
        headers: message.headers(),
        signal: controller.signal,
        redirect: 'manual',
      };
      if (message.body !== undefined) init.body = message.body;
      const response = await fetch(message.url, init);
      await response.arrayBuffer().catch(() => undefined);
      record.attempts.push({ at, status: response.status });
      delivered = message.delivered(response.status);
    } catch (error) {
      record.attempts.push({ at, error: controller.signal.aborted ? 'timeout' : describe(error) });
    } finally {
      clearTimeout(timeout);
      this.inFlight.delete(controller);
    }
    if (this.stopped || !this.records.includes(record)) return;
    if (delivered) {
      record.state = 'delivered';
      return;
    }
    const delay = message.retry === false ? undefined : this.options.retryDelaysMs()[retriesDone];
    if (delay === undefined) {
      record.state = 'failed';
      this.options.log?.(
        `webhook ${record.event} to ${record.url} failed after ${record.attempts.length} attempt(s)`,
      );
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(message, record, retriesDone + 1);
    }, delay);
    this.timers.add(timer);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
