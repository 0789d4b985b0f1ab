import { createServer, type Server } from 'node:http';

/**
 * The merchant's webhook endpoint for the bench: a plain HTTP server on
 * 127.0.0.1 that answers 200 at once and notes when each payment's event
 * arrived (`performance.now()`, the same clock the senders use).
 */
export interface Receiver {
  readonly url: string;
  /** Payment id → arrival time of its first event. */
  readonly arrivals: ReadonlyMap<string, number>;
  /** Requests received, all paths and events. */
  readonly count: () => number;
  /** Resolves with the arrival time of the payment's event; rejects after `timeoutMs`. */
  waitFor(paymentId: string, timeoutMs: number): Promise<number>;
  /** Resolves when every id has arrived or `timeoutMs` passed; answers how many are missing. */
  waitForAll(paymentIds: readonly string[], timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

function paymentIdOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { data?: { object?: { id?: unknown } } };
    const id = parsed.data?.object?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

export async function startReceiver(): Promise<Receiver> {
  const arrivals = new Map<string, number>();
  const waiters = new Map<string, (at: number) => void>();
  let received = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = performance.now();
      received += 1;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      const id = paymentIdOf(Buffer.concat(chunks).toString('utf8'));
      if (id !== undefined && !arrivals.has(id)) {
        arrivals.set(id, at);
        waiters.get(id)?.(at);
        waiters.delete(id);
      }
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const waitFor = (paymentId: string, timeoutMs: number): Promise<number> => {
    const known = arrivals.get(paymentId);
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(paymentId);
        reject(new Error(`no webhook for ${paymentId} reached the receiver within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.set(paymentId, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  };

  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    count: () => received,
    waitFor,
    async waitForAll(paymentIds, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const missing = paymentIds.filter((id) => !arrivals.has(id)).length;
        if (missing === 0 || Date.now() >= deadline) return missing;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
