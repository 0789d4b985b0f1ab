import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { SafePostOptions, SafePostResponse } from '#runtime/outbound';
import { safePost } from '#runtime/outbound';
import type { Resolver } from '#runtime/ssrf';

/** A local receiver on 127.0.0.1:0 that records every connection and request it sees. */
interface Receiver {
  url: (path?: string, host?: string) => string;
  port: number;
  connections: number;
  requests: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[];
}

const servers: (Server | NetServer)[] = [];
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listen(server: Server | NetServer): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function receiver(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<Receiver> {
  const state: Receiver = { url: () => '', port: 0, connections: 0, requests: [] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      state.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      handle(req, res);
    });
  });
  server.on('connection', () => (state.connections += 1));
  state.port = await listen(server);
  state.url = (path = '/hooks', host = '127.0.0.1') => `http://${host}:${state.port}${path}`;
  return state;
}

const local = { allowLoopback: true, mode: 'test', timeoutMs: 5_000, maxResponseBytes: 1024 } as const;
const body = JSON.stringify({ id: 'evt_1', type: 'webhook_endpoint.test' });

function post(url: string, overrides: Partial<SafePostOptions> = {}) {
  return safePost(url, { ...local, body, headers: { 'webhook-id': 'evt_1' }, ...overrides });
}

function asResponse(result: Awaited<ReturnType<typeof safePost>>): SafePostResponse {
  if ('error' in result) throw new Error(`expected a response, got ${result.error}: ${result.message}`);
  return result;
}

describe('safePost', () => {
  it('POSTs the exact body and headers and keeps only the first 1024 bytes of a long response', async () => {
    const server = await receiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-receiver': 'ok' });
      res.end('x'.repeat(10_000));
    });
    const result = asResponse(
      await post(server.url(), { headers: { 'webhook-id': 'evt_1', 'webhook-timestamp': '1' } }),
    );

    expect(result.status).toBe(200);
    expect(Buffer.byteLength(result.bodyPrefix)).toBe(1024);
    expect(result.bodyPrefix).toBe('x'.repeat(1024));
    expect(result.headers['x-receiver']).toBe('ok');
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'POST', url: '/hooks', body });
    expect(server.requests[0]?.headers).toMatchObject({
      'webhook-id': 'evt_1',
      'webhook-timestamp': '1',
      'content-length': String(Buffer.byteLength(body)),
      host: `127.0.0.1:${server.port}`,
    });
  });

  it('returns a short body whole', async () => {
    const server = await receiver((_req, res) => res.end('accepted'));
    expect(asResponse(await post(server.url())).bodyPrefix).toBe('accepted');
  });

  it('stops reading an endless response after maxResponseBytes instead of waiting for the deadline', async () => {
    const server = await receiver((_req, res) => {
      res.writeHead(200);
      const chunk = 'y'.repeat(512);
      const pump = setInterval(() => res.write(chunk), 5);
      res.on('close', () => clearInterval(pump));
    });
    const result = asResponse(await post(server.url(), { timeoutMs: 3_000 }));
    expect(result.status).toBe(200);
    expect(result.bodyPrefix).toHaveLength(1024);
    expect(result.latencyMs).toBeLessThan(2_000);
  });

  it('does not follow a 302: it is reported as the result', async () => {
    const target = await receiver((_req, res) => res.end('should never be reached'));
    const server = await receiver((_req, res) => {
      res.writeHead(302, { location: target.url('/elsewhere') });
      res.end();
    });
    const result = asResponse(await post(server.url()));
    expect(result.status).toBe(302);
    expect(result.headers.location).toBe(target.url('/elsewhere'));
    expect(target.connections).toBe(0);
  });

  it('reports a non-2xx status as a response, not an error', async () => {
    const server = await receiver((_req, res) => {
      res.writeHead(500);
      res.end('boom');
    });
    expect(asResponse(await post(server.url()))).toMatchObject({ status: 500, bodyPrefix: 'boom' });
  });

  it('times out a server that never answers within the limit', async () => {
    const server = await receiver(() => {
      /* never answers */
    });
    const result = await post(server.url(), { timeoutMs: 300 });
    expect(result).toMatchObject({ error: 'timeout' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(290);
    expect(result.latencyMs).toBeLessThan(1_500);
    expect(server.requests).toHaveLength(1);
  });

  it('returns the status at the deadline when the head arrived but the body stalls', async () => {
    const server = await receiver((_req, res) => {
      res.writeHead(202);
      res.write('partial');
    });
    const result = asResponse(await post(server.url(), { timeoutMs: 300 }));
    expect(result).toMatchObject({ status: 202, bodyPrefix: 'partial' });
    expect(result.latencyMs).toBeLessThan(1_500);
  });

  it('times out a name whose resolution never finishes', async () => {
    const resolver: Resolver = () => new Promise(() => {});
    const result = await post('http://hooks.example.com/', { resolver, timeoutMs: 200 });
    expect(result).toMatchObject({ error: 'timeout' });
    expect(result.latencyMs).toBeLessThan(1_500);
  });

  it('reports a refused connection as connection', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const result = await post(`http://127.0.0.1:${port}/hooks`);
    expect(result).toMatchObject({ error: 'connection' });
  });

  it('reports a response that is not HTTP as protocol', async () => {
    const server = createNetServer((socket) => {
      socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
    });
    const port = await listen(server);
    expect(await post(`http://127.0.0.1:${port}/hooks`)).toMatchObject({ error: 'protocol' });
  });

  it('refuses loopback when allowLoopback is false, without opening a connection', async () => {
    const server = await receiver((_req, res) => res.end());
    for (const url of [server.url(), server.url('/hooks', '[::1]'), server.url('/hooks', '2130706433')]) {
      const result = await post(url, { allowLoopback: false });
      expect(result).toMatchObject({ error: 'forbidden_address' });
    }
    expect(server.connections).toBe(0);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses localhost, a name resolving to loopback, when allowLoopback is false', async () => {
    const server = await receiver((_req, res) => res.end());
    const result = await post(server.url('/hooks', 'localhost'), { allowLoopback: false });
    expect(result).toMatchObject({ error: 'forbidden_address' });
    expect(server.connections).toBe(0);
  });

  it('refuses a public-looking name whose DNS answer is loopback, without connecting', async () => {
    const server = await receiver((_req, res) => res.end());
    const resolver: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const result = await post(server.url('/hooks', 'hooks.example.com'), { allowLoopback: false, resolver });
    expect(result).toMatchObject({ error: 'forbidden_address' });
    expect(server.connections).toBe(0);
  });

  it('connects to the checked address and keeps the original Host header', async () => {
    const server = await receiver((_req, res) => res.end('ok'));
    let lookups = 0;
    // A rebinding resolver: the first answer passes the check; any later one would not.
    const resolver: Resolver = async () => {
      lookups += 1;
      return [{ address: lookups === 1 ? '127.0.0.1' : '10.0.0.1', family: 4 }];
    };
    const result = asResponse(await post(server.url('/hooks?x=1', 'receiver.example.com'), { resolver }));
    expect(result.status).toBe(200);
    expect(lookups).toBe(1);
    expect(server.requests[0]?.url).toBe('/hooks?x=1');
    expect(server.requests[0]?.headers.host).toBe(`receiver.example.com:${server.port}`);
  });

  it('reaches a localhost receiver when allowLoopback is set', async () => {
    const server = await receiver((_req, res) => res.end('ok'));
    const result = asResponse(await post(server.url('/hooks', 'localhost')));
    expect(result.status).toBe(200);
    expect(server.requests[0]?.headers.host).toBe(`localhost:${server.port}`);
  });

  it('ignores a caller-supplied Host or Content-Length', async () => {
    const server = await receiver((_req, res) => res.end());
    await post(server.url(), {
      headers: { Host: 'evil.example', 'Content-Length': '1', 'webhook-id': 'evt_1' },
    });
    expect(server.requests[0]?.headers.host).toBe(`127.0.0.1:${server.port}`);
    expect(server.requests[0]?.body).toBe(body);
  });

  it('reports a failed TLS handshake as tls, with SNI naming the original host', async () => {
    let clientHello: Buffer = Buffer.alloc(0);
    // Not a TLS server: it records the ClientHello (SNI is in clear text there) and answers in plain HTTP.
    const server = createNetServer((socket) => {
      socket.once('data', (data: Buffer) => {
        clientHello = data;
        socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      });
    });
    const port = await listen(server);
    const result = await post(`https://localhost:${port}/hooks`, { mode: 'live' });
    expect(result).toMatchObject({ error: 'tls' });
    expect(clientHello[0]).toBe(0x16); // TLS handshake record
    expect(clientHello.includes('localhost')).toBe(true);
  });

  it('requires https in live mode', async () => {
    const server = await receiver((_req, res) => res.end());
    expect(await post(server.url(), { mode: 'live' })).toMatchObject({ error: 'invalid_url' });
    expect(server.connections).toBe(0);
  });

  it.each([
    ['not a url', 'invalid_url'],
    ['http://user:pw@127.0.0.1/', 'invalid_url'],
    ['http://169.254.169.254/latest/meta-data/', 'forbidden_address'],
    ['http://10.0.0.1/', 'forbidden_address'],
  ])('returns an error value for %s instead of throwing', async (url, error) => {
    await expect(post(url)).resolves.toMatchObject({ error });
  });

  it('reports a name that does not resolve as dns', async () => {
    const resolver: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(await post('http://nowhere.example.com/', { resolver })).toMatchObject({ error: 'dns' });
  });
});
