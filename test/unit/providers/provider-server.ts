import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { ProviderContext, ProviderCredentials } from '#core/provider-adapter';

/** One request as the fake provider received it. */
export interface Received {
  readonly method: string;
  /** Path and query exactly as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the fake provider answers; `hang` never answers (for timeouts). */
export type Reply =
  | {
      readonly status: number;
      readonly json?: unknown;
      readonly text?: string;
      readonly headers?: Record<string, string>;
    }
  | { readonly hang: true };

/**
 * A tiny HTTP server on 127.0.0.1, port 0, standing in for a provider's API in
 * one test file. Each test sets `respond` and reads `received`.
 */
export function useProviderServer(): {
  readonly received: Received[];
  respond: (handler: (request: Received) => Reply) => void;
  context: (credentials: ProviderCredentials, timeoutMs?: number) => ProviderContext;
} {
  let server: Server | undefined;
  let baseUrl = '';
  const received: Received[] = [];
  let handler: (request: Received) => Reply = () => ({
    status: 500,
    json: { message: 'no reply configured' },
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: Received = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        received.push(request);
        const reply = handler(request);
        if ('hang' in reply) return;
        const payload = reply.text ?? (reply.json === undefined ? '' : JSON.stringify(reply.json));
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(payload);
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  beforeEach(() => {
    received.length = 0;
    handler = () => ({ status: 500, json: { message: 'no reply configured' } });
  });

  return {
    received,
    respond: (next) => {
      handler = next;
    },
    context: (credentials, timeoutMs = 2_000) => ({ baseUrl, credentials, timeoutMs }),
  };
}
