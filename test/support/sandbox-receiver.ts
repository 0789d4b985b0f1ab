import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/** One request as the receiver got it: the raw bytes, untouched, for signature checks. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, e.g. `/hooks/paystack`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: Buffer;
  /** The status the receiver answered. */
  readonly answered: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: readonly ReceivedRequest[];
  /** Answer `status` to the next `count` requests (then 200 again). */
  failNext(count: number, status?: number): void;
  /** Resolves with the first request (already received or still to come) that matches. */
  waitFor(match: (request: ReceivedRequest) => boolean, timeoutMs?: number): Promise<ReceivedRequest>;
  stop(): Promise<void>;
}

/** A tiny HTTP server on 127.0.0.1 standing in for a merchant's webhook endpoint. */
export async function startReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const failures: number[] = [];
  const waiters = new Set<() => void>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answered = failures.shift() ?? 200;
      received.push({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        raw: Buffer.concat(chunks),
        answered,
      });
      res.writeHead(answered, { 'content-type': 'text/plain' });
      res.end(answered === 200 ? 'ok' : 'nope');
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    received,
    failNext(count, status = 500) {
      for (let i = 0; i < count; i += 1) failures.push(status);
    },
    waitFor(match, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = received.find(match);
          if (!found) return;
          cleanup();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching request within ${timeoutMs} ms (received ${received.length})`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The receiver's request whose JSON body has `field` equal to `value` (top level or under `data`). */
export function carrying(field: string, value: string): (request: ReceivedRequest) => boolean {
  return (request) => {
    try {
      const body = JSON.parse(request.raw.toString('utf8')) as Record<string, unknown>;
      const data = body.data as Record<string, unknown> | undefined;
      const object = (data?.object ?? undefined) as Record<string, unknown> | undefined;
      return body[field] === value || data?.[field] === value || object?.[field] === value;
    } catch {
      return false;
    }
  };
}
