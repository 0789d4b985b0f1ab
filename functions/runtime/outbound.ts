import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { ValidationFailed } from '#core/errors';
import type { CheckedAddress, Resolver } from '#runtime/ssrf';
import { checkWebhookUrl, resolveAndCheck } from '#runtime/ssrf';

/**
 * The one way we POST to a merchant-supplied URL (webhook deliveries and test events).
 * node:http/https rather than fetch/undici: undici costs cold-start time, and its `fetch`
 * cannot pin the connection to an address we have checked.
 *
 * - the URL is checked, the name resolved, and EVERY address checked (`ssrf.ts`);
 * - the socket connects to a checked address through a `lookup` that answers from that
 *   list, so a second DNS answer (rebinding) is never consulted; Host and SNI stay the
 *   original hostname, so TLS still verifies the merchant's certificate;
 * - redirects are never followed (a 3xx is just another non-2xx);
 * - one deadline covers resolution, connection, TLS and request; a response head that arrives
 *   in time is returned with whatever body came before the deadline;
 * - at most `maxResponseBytes` of the response body are read, then the socket is destroyed.
 *
 * Network outcomes are values, never exceptions.
 */

export interface SafePostOptions {
  /** The exact bytes to send (they were signed). */
  body: string;
  headers: Readonly<Record<string, string>>;
  /** The whole exchange, DNS included. Default 15 s. */
  timeoutMs?: number;
  /** How much of the response body to keep. Default 1024. */
  maxResponseBytes?: number;
  allowLoopback: boolean;
  mode: 'test' | 'live';
  /** Tests only: answers instead of DNS. */
  resolver?: Resolver;
}

export interface SafePostResponse {
  status: number;
  headers: Record<string, string>;
  /** The first `maxResponseBytes` of the body, as UTF-8 text. */
  bodyPrefix: string;
  latencyMs: number;
}

export type SafePostErrorKind =
  'invalid_url' | 'forbidden_address' | 'dns' | 'timeout' | 'connection' | 'tls' | 'protocol';

export interface SafePostFailure {
  error: SafePostErrorKind;
  message: string;
  latencyMs: number;
}

export type SafePostResult = SafePostResponse | SafePostFailure;

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 1024;

/** Headers we set ourselves; a caller's value for these is ignored. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);

/** POSTs `body` to a merchant URL under the SSRF policy. Never throws for network outcomes. */
export async function safePost(url: string, options: SafePostOptions): Promise<SafePostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const fail = (error: SafePostErrorKind, message: string): SafePostFailure => ({
    error,
    message,
    latencyMs: elapsed(),
  });

  let target: URL;
  let hostIsName: boolean;
  let addresses: CheckedAddress[];
  let timer: NodeJS.Timeout | undefined;
  try {
    const checked = checkWebhookUrl(url, options);
    target = checked.url;
    hostIsName = checked.host.kind === 'name';
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineExceeded()), timeoutMs);
    });
    // dns.lookup cannot be cancelled; on timeout its answer is simply ignored.
    addresses = await Promise.race([
      resolveAndCheck(target.hostname, {
        allowLoopback: options.allowLoopback,
        ...(options.resolver ? { resolver: options.resolver } : {}),
      }),
      deadline,
    ]);
  } catch (error) {
    clearTimeout(timer);
    if (error instanceof DeadlineExceeded) return fail('timeout', `No answer within ${timeoutMs} ms.`);
    if (error instanceof ValidationFailed) {
      if (error.code === 'url_forbidden_address') return fail('forbidden_address', error.message);
      if (error.code === 'url_unresolvable') return fail('dns', error.message);
      return fail('invalid_url', error.message);
    }
    return fail('connection', 'The request could not be prepared.');
  }
  clearTimeout(timer);

  const remainingMs = Math.max(1, timeoutMs - (performance.now() - started));
  return new Promise<SafePostResult>((resolve) => {
    let settled = false;
    let response: IncomingMessage | undefined;
    // Before the status line: a timeout. After it: the merchant has answered; return what we have.
    let onDeadline = () => finish(fail('timeout', `No answer within ${timeoutMs} ms.`));
    const deadline = setTimeout(() => onDeadline(), remainingMs);
    const finish = (result: SafePostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
      // Whatever is left (an unread body, a half-open socket) goes now, not at the server's pace.
      response?.destroy();
      req.destroy();
    };

    const isHttps = target.protocol === 'https:';
    const hostname = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname;
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(options.headers)) {
      if (!RESERVED_HEADERS.has(name.toLowerCase())) headers[name] = value;
    }
    headers['content-length'] = Buffer.byteLength(options.body);
    headers.connection = 'close';

    const req = (isHttps ? httpsRequest : httpRequest)({
      protocol: target.protocol,
      hostname,
      port: target.port || (isHttps ? 443 : 80),
      path: `${target.pathname}${target.search}`,
      method: 'POST',
      headers,
      // A fresh connection per delivery: a pooled socket would outlive the address check.
      agent: false,
      lookup: pinnedLookup(addresses),
      // SNI names the merchant's host, not the address we dialled (RFC 6066 forbids IP literals here).
      ...(isHttps && hostIsName ? { servername: hostname } : {}),
    });

    req.on('error', (error) => finish(fail(...classifyError(error))));
    req.on('response', (res) => {
      response = res;
      const chunks: Buffer[] = [];
      let received = 0;
      const done = () =>
        finish({
          status: res.statusCode ?? 0,
          headers: flattenHeaders(res),
          bodyPrefix: Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8'),
          latencyMs: elapsed(),
        });
      onDeadline = done;
      if (maxBytes <= 0) return done();
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        // Enough: the rest of the body is the merchant's business, not ours to download.
        if (received >= maxBytes) done();
      });
      res.on('end', done);
      // Cut off mid-body by the server after the status line: the status still counts.
      res.on('error', done);
      res.on('close', done);
    });
    req.end(options.body);
  });
}

class DeadlineExceeded extends Error {}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for net/tls that answers only from the checked list. With `all` (Node's
 * happy-eyeballs family selection) it hands over every checked address; otherwise the first.
 */
function pinnedLookup(addresses: readonly CheckedAddress[]) {
  return (_hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const [first] = addresses;
    if (!first) {
      callback(Object.assign(new Error('No checked address'), { code: 'ENOTFOUND' }), '');
      return;
    }
    if (options.all)
      callback(
        null,
        addresses.map(({ address, family }) => ({ address, family })),
      );
    else callback(null, first.address, first.family);
  };
}

function classifyError(error: NodeJS.ErrnoException): [SafePostErrorKind, string] {
  const code = error.code ?? '';
  if (code === 'ETIMEDOUT') return ['timeout', 'The connection timed out.'];
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return ['dns', 'The host name did not resolve.'];
  if (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code.includes('CERT') ||
    code === 'EPROTO' ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'
  ) {
    return ['tls', `TLS failed (${code}).`];
  }
  if (code.startsWith('HPE_')) return ['protocol', `The response was not valid HTTP (${code}).`];
  return ['connection', code ? `The connection failed (${code}).` : 'The connection failed.'];
}

function flattenHeaders(res: IncomingMessage): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
