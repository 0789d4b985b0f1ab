import type * as z from 'zod/mini';
import { ProviderFailed, Unprocessable, ValidationFailed } from '#core/errors';
import { redactString } from '#runtime/logger';
import type { ProviderContext, ProviderName } from '#core/provider-adapter';
import { providerRules } from '#core/providers';

/**
 * The one outbound HTTP path to payment providers, over Node's global `fetch`,
 * and the few small pieces every adapter shares (reading answers and webhook
 * bodies, refusing unsupported currencies).
 * It adds Bearer auth and a per-attempt timeout, and turns every failure into a
 * ProviderFailed whose `retryable` says whether trying again (or falling back to
 * another provider) can help: timeouts, network errors, 408, 429 and 5xx can;
 * any other 4xx is the provider refusing this request and will not change.
 *
 * Only idempotent GETs (verify) are retried here, at most twice with jittered
 * backoff. A POST (initialize) is never retried: a lost answer may still have
 * created a checkout, and the caller's idempotency handling decides what next.
 */

/** A provider's name as humans write it, for messages (declared with its rules in core/providers.ts). */
const labelOf = (provider: ProviderName): string => providerRules[provider].label;

export interface OutboundRequest {
  readonly provider: ProviderName;
  readonly method: 'GET' | 'POST';
  /** Appended to `ctx.baseUrl` as is (the base may carry a path prefix, e.g. a local sandbox). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Sent as `application/json`. */
  readonly json?: unknown;
  /** Sent as `application/x-www-form-urlencoded` (Stripe). */
  readonly form?: URLSearchParams;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface OutboundResponse {
  readonly status: number;
  /** The parsed JSON body; `undefined` for an empty body. */
  readonly body: unknown;
}

export interface RetryPolicy {
  /** Extra attempts after the first, for GET only. */
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

const defaultRetry: RetryPolicy = { retries: 2, baseDelayMs: 150, maxDelayMs: 2_000 };

export interface OutboundOptions {
  /**
   * Non-2xx answers the adapter wants to read as data rather than as a failure,
   * e.g. Flutterwave's "no transaction was found" while the customer has not paid.
   */
  readonly accept?: (status: number, body: unknown) => boolean;
  readonly retry?: Partial<RetryPolicy>;
}

/**
 * Sends one request to a provider and returns its JSON answer, or throws
 * ProviderFailed (codes `provider_timeout`, `provider_unreachable`,
 * `provider_rate_limited`, `provider_unavailable`, `provider_rejected`,
 * `provider_bad_response`) with the provider's own message, secrets removed.
 */
export async function callProvider(
  ctx: ProviderContext,
  request: OutboundRequest,
  options: OutboundOptions = {},
): Promise<OutboundResponse> {
  const policy: RetryPolicy = { ...defaultRetry, ...options.retry };
  const attempts = request.method === 'GET' ? 1 + Math.max(0, Math.min(2, policy.retries)) : 1;
  let outcome = await attemptOnce(ctx, request, options);
  for (let attempt = 1; attempt < attempts; attempt += 1) {
    if (outcome.response || !outcome.error.retryable) break;
    const delay = backoff(attempt, policy, outcome.retryAfterMs);
    if (delay === undefined) break;
    await sleep(delay);
    outcome = await attemptOnce(ctx, request, options);
  }
  if (outcome.response) return outcome.response;
  throw outcome.error;
}

type Attempt =
  | { readonly response: OutboundResponse; readonly error?: undefined; readonly retryAfterMs?: undefined }
  | {
      readonly response?: undefined;
      readonly error: ProviderFailed;
      readonly retryAfterMs: number | undefined;
    };

async function attemptOnce(
  ctx: ProviderContext,
  request: OutboundRequest,
  options: OutboundOptions,
): Promise<Attempt> {
  const label = labelOf(request.provider);
  const headers: Record<string, string> = {
    authorization: `Bearer ${ctx.credentials.secretKey}`,
    accept: 'application/json',
    'user-agent': 'PayBridge',
    ...request.headers,
  };
  let body: string | undefined;
  if (request.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.json);
  } else if (request.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = request.form.toString();
  }

  let status: number;
  let text: string;
  let retryAfterMs: number | undefined;
  try {
    const response = await fetch(buildUrl(ctx.baseUrl, request), {
      method: request.method,
      headers,
      ...(body === undefined ? {} : { body }),
      // A payment API never redirects; following one would resend the key elsewhere.
      redirect: 'error',
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
    status = response.status;
    retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    // The timeout signal also covers reading the body.
    text = await response.text();
  } catch (error) {
    if (isTimeout(error)) {
      return failure(
        new ProviderFailed('provider_timeout', `${label} did not answer within ${ctx.timeoutMs} ms.`, true),
      );
    }
    return failure(
      new ProviderFailed('provider_unreachable', `Could not reach ${label} (${networkCause(error)}).`, true),
    );
  }

  const parsed = parseJson(text);
  if (status >= 200 && status < 300) {
    if (!parsed.ok) {
      return failure(
        new ProviderFailed(
          'provider_bad_response',
          `${label} answered HTTP ${status} with a body that is not JSON.`,
          true,
        ),
      );
    }
    return { response: { status, body: parsed.value } };
  }
  if (parsed.ok && options.accept?.(status, parsed.value))
    return { response: { status, body: parsed.value } };

  const said = parsed.ok ? providerMessage(parsed.value) : undefined;
  const detail = cleanMessage(said ?? 'no error message', ctx);
  if (status === 429) {
    return failure(
      new ProviderFailed(
        'provider_rate_limited',
        `${label} is rate limiting requests (HTTP 429): ${detail}`,
        true,
      ),
      retryAfterMs,
    );
  }
  if (status >= 500 || status === 408) {
    return failure(
      new ProviderFailed('provider_unavailable', `${label} is unavailable (HTTP ${status}): ${detail}`, true),
      retryAfterMs,
    );
  }
  return failure(
    new ProviderFailed(
      'provider_rejected',
      `${label} refused the request (HTTP ${status}): ${detail}`,
      false,
    ),
  );
}

function failure(error: ProviderFailed, retryAfterMs?: number): Attempt {
  return { error, retryAfterMs };
}

function buildUrl(baseUrl: string, request: OutboundRequest): string {
  const url = `${baseUrl.replace(/\/+$/, '')}${request.path}`;
  if (!request.query) return url;
  const query = new URLSearchParams(request.query).toString();
  return query === '' ? url : `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

/** Full jitter over an exponential cap; undefined when the provider asks us to wait longer than we will. */
function backoff(attempt: number, policy: RetryPolicy, retryAfterMs: number | undefined): number | undefined {
  if (retryAfterMs !== undefined && retryAfterMs > policy.maxDelayMs) return undefined;
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(Math.random() * cap);
  return Math.max(jittered, retryAfterMs ?? 0);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/** The low-level reason (ECONNREFUSED, ENOTFOUND, …) without echoing anything the caller sent. */
function networkCause(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  return 'network error';
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * The provider's own error text: Stripe's `error.message`; Paystack's,
 * Flutterwave's and Chapa's `message`, which Chapa sometimes sends as an object
 * of field → messages (`{"currency": ["The currency field is required."]}`).
 */
export function providerMessage(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const error = body.error;
  if (isRecord(error) && typeof error.message === 'string') return error.message;
  const message = body.message;
  if (typeof message === 'string') return message;
  if (isRecord(message)) {
    const parts = Object.entries(message).map(([field, value]) => {
      const text = Array.isArray(value)
        ? value.filter((v) => typeof v === 'string').join(' ')
        : String(value);
      return `${field}: ${text}`;
    });
    return parts.length > 0 ? parts.join('; ') : undefined;
  }
  return undefined;
}

const maxMessageLength = 300;

/** Removes anything secret-looking, and the caller's own keys verbatim, then bounds the length. */
function cleanMessage(message: string, ctx: ProviderContext): string {
  let out = redactString(message);
  for (const secret of [ctx.credentials.secretKey, ctx.credentials.webhookSecret]) {
    if (secret && secret.length >= 6) out = out.split(secret).join('[REDACTED]');
  }
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > maxMessageLength ? `${out.slice(0, maxMessageLength)}…` : out;
}

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a provider's 2xx answer against the shape the adapter relies on.
 * A mismatch is `provider_bad_response`, not retryable: the API answered, in a
 * shape we do not understand, and asking again will not change it.
 */
export function readAs<T>(provider: ProviderName, schema: z.ZodMiniType<T, unknown>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues
    .slice(0, 3)
    .map((issue) => issue.path.map(String).join('.') || '(root)')
    .join(', ');
  throw new ProviderFailed(
    'provider_bad_response',
    `${labelOf(provider)} answered in an unexpected shape (at ${where}).`,
    false,
  );
}

/**
 * Decodes a webhook body as a JSON object. The bytes are the ones whose
 * signature was checked; nothing here re-serialises them. Throws
 * ValidationFailed `invalid_webhook_body` when they are not a JSON object.
 */
export function parseWebhookJson(provider: ProviderName, rawBody: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new ValidationFailed('invalid_webhook_body', `The ${labelOf(provider)} webhook body is not JSON.`);
  }
  if (!isRecord(value)) {
    throw new ValidationFailed(
      'invalid_webhook_body',
      `The ${labelOf(provider)} webhook body is not a JSON object.`,
    );
  }
  return value;
}

/** The trimmed value of header `name` (given lower-case), or undefined when absent or empty. */
export function headerValue(
  headers: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const direct = headers[name];
  if (direct !== undefined) return direct.trim() === '' ? undefined : direct.trim();
  // API Gateway v2 lower-cases names, but a test or another edge may not.
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && value !== undefined && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/**
 * Refuses a currency the provider cannot charge in, before any HTTP call, with
 * Unprocessable `currency_not_supported` (422) naming the ones it can.
 */
export function assertProviderCurrency(
  provider: ProviderName,
  currencies: readonly string[],
  currency: string,
): void {
  if (!currencies.includes(currency)) {
    throw new Unprocessable(
      'currency_not_supported',
      `${labelOf(provider)} cannot charge in ${JSON.stringify(currency)}; it supports ${currencies.join(', ')}.`,
      'currency',
    );
  }
}

/**
 * Minor units from the amount a provider reported on verify; undefined when it
 * did not say or named a currency we do not handle. An inexact amount is the
 * provider's fault, not the caller's: a non-retryable ProviderFailed.
 */
export function reportedAmount(
  provider: ProviderName,
  amount: number | string | null | undefined,
  currency: string | undefined,
  supported: readonly string[],
  convert: (amount: number | string, currency: string) => number,
): number | undefined {
  if (amount === null || amount === undefined || currency === undefined) return undefined;
  if (!supported.includes(currency)) return undefined;
  try {
    return convert(amount, currency);
  } catch (error) {
    if (error instanceof ValidationFailed) {
      throw new ProviderFailed(
        'provider_bad_response',
        `${labelOf(provider)} reported an inexact amount: ${error.message}`,
        false,
      );
    }
    throw error;
  }
}
