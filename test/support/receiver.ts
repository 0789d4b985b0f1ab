import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** How the receiver answers a request to a path: status, headers and body (default `ok`), or `hang`. */
export type Answer =
  { status: number; headers?: Record<string, string>; body?: string | Buffer } | { hang: true };

/**
 * A merchant's webhook receiver on 127.0.0.1: records every request with its
 * raw body, and answers per path with a programmable script (default 200).
 */
export function useReceiver() {
  let server: Server | undefined;
  const received: Received[] = [];
  const scripts = new Map<string, Answer[]>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        received.push({
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        const answer = scripts.get(path)?.shift() ?? { status: 200 };
        if ('hang' in answer) return;
        res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? 'ok');
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => {
    server?.closeAllConnections();
    return new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });
  return {
    url: (path: string) => `http://127.0.0.1:${(server?.address() as AddressInfo).port}${path}`,
    received: (path: string) => received.filter((r) => r.path === path),
    script: (path: string, answers: Answer[]) => scripts.set(path, [...answers]),
  };
}
