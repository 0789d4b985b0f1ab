import { Agent, type IncomingHttpHeaders, request } from 'node:http';

/**
 * A raw HTTP client for the fuzz suite. `fetch` normalises what it sends (it
 * resolves `..` in paths, refuses some header values, re-encodes bodies), so the
 * fuzz talks `node:http` directly: the path, the headers (repeated ones too) and
 * the body bytes go on the wire exactly as generated.
 */
export interface RawRequest {
  readonly method: string;
  /** Path and query as sent on the request line (visible ASCII, see `toWire`). */
  readonly path: string;
  /** An array value sends the header once per element. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: Buffer | undefined;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

export function send(baseUrl: string, req: RawRequest, timeoutMs = 30_000): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const out = request(
      {
        host: hostname,
        port: Number(port),
        method: req.method,
        path: req.path,
        // Node frames a GET or DELETE body by closing the connection unless told its length.
        headers: {
          ...(req.headers as Record<string, string | string[]>),
          ...(req.body && req.body.length > 0 ? { 'content-length': String(req.body.length) } : {}),
        },
        agent,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    out.on('timeout', () => out.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    out.on('error', reject);
    out.end(req.body);
  });
}

/** Closes the kept-alive sockets (the API server waits for them when it stops). */
export function closeClient(): void {
  agent.destroy();
}

/** A readable, reproducible description of a request, for failure messages. */
export function describeRequest(req: RawRequest): string {
  const body = req.body;
  let shown: string;
  if (!body || body.length === 0) shown = '(empty)';
  else {
    const text = body.toString('utf8');
    // Valid UTF-8 is shown as a JSON string (control characters escaped); anything else as base64.
    const printable = Buffer.from(text, 'utf8').equals(body);
    shown = printable
      ? `${body.length} bytes: ${JSON.stringify(text.length > 600 ? `${text.slice(0, 600)}…` : text)}`
      : `${body.length} bytes, base64: ${body.toString('base64').slice(0, 800)}${body.length > 600 ? '…' : ''}`;
  }
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [
      k,
      Array.isArray(v) ? v.map(truncate) : truncate(v as string),
    ]),
  );
  return `${req.method} ${truncate(req.path)}\n  headers: ${JSON.stringify(headers)}\n  body: ${shown}`;
}

export function describeResponse(res: RawResponse): string {
  const text = res.body.toString('utf8');
  return `${res.status} ${JSON.stringify(pick(res.headers))} ${text.length > 800 ? `${text.slice(0, 800)}…` : text}`;
}

const truncate = (s: string): string => (s.length > 400 ? `${s.slice(0, 400)}…(${s.length} chars)` : s);

function pick(headers: IncomingHttpHeaders): Record<string, unknown> {
  const keep = [
    'content-type',
    'cache-control',
    'x-content-type-options',
    'x-request-id',
    'allow',
    'retry-after',
  ];
  return Object.fromEntries(keep.filter((k) => headers[k] !== undefined).map((k) => [k, headers[k]]));
}
