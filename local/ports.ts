import { createServer } from 'node:net';

/** Resolves `preferred` if it is free on 127.0.0.1, otherwise a free port the OS picks. */
export async function freePort(preferred = 0): Promise<number> {
  try {
    return await listenOnce(preferred);
  } catch {
    return listenOnce(0);
  }
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const chosen = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(chosen));
    });
  });
}
