/**
 * `npm start -- --listen-for-containers` (or `PAYBRIDGE_BIND=<address>`): lets Docker
 * containers — `sam local invoke`'s — reach the local stack. Everything still listens on
 * 127.0.0.1; in addition, each service's port is relayed from the Docker bridge address
 * (Linux: the `docker0` interface, the host as seen from a container) to the loopback
 * one. A relay, not a second bind: DynamoDB Local's launcher takes one address, and the
 * emulators stay exactly as `npm start` runs them.
 *
 * Never the default: DynamoDB Local and the SQS emulator have no authentication, so
 * anything that can reach the bridge address can read and write the local data.
 */
import { createConnection, createServer, isIPv4, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { LocalStack } from './stack.ts';

export const listenFlag = '--listen-for-containers';

export class ContainerAccessError extends Error {
  override readonly name = 'ContainerAccessError';
}

/** The Docker bridge's host address (`docker0`), if this machine has one. */
export function dockerBridgeAddress(interfaces = networkInterfaces()): string | undefined {
  return interfaces.docker0?.find((entry) => entry.family === 'IPv4')?.address;
}

/**
 * The address to open for containers, or undefined when not asked for. `PAYBRIDGE_BIND`
 * names one; the flag alone means the Docker bridge. Loopback and wildcard addresses are
 * refused: the first is already served, the second would open every interface.
 */
export function containerAddress(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  bridge: () => string | undefined = dockerBridgeAddress,
): string | undefined {
  const explicit = env.PAYBRIDGE_BIND?.trim();
  if (!explicit && !argv.includes(listenFlag)) return undefined;
  const address = explicit || bridge();
  if (!address) {
    throw new ContainerAccessError(
      `${listenFlag}: no Docker bridge (docker0) on this machine. Set PAYBRIDGE_BIND to the address ` +
        'containers reach the host at (on Docker Desktop, host.docker.internal usually reaches 127.0.0.1 already).',
    );
  }
  if (!isIPv4(address)) throw new ContainerAccessError(`PAYBRIDGE_BIND=${address}: give one IPv4 address`);
  if (address === '0.0.0.0' || address.startsWith('127.')) {
    throw new ContainerAccessError(
      `PAYBRIDGE_BIND=${address}: give the address of one interface (the Docker bridge), not loopback or 0.0.0.0`,
    );
  }
  return address;
}

export interface Relay {
  readonly address: string;
  readonly ports: readonly number[];
  stop(): Promise<void>;
}

/** Listens on `address:port` for each port and pipes every connection to `127.0.0.1:port`. */
export async function relayToLoopback(address: string, ports: readonly number[]): Promise<Relay> {
  const servers: Server[] = [];
  const stop = () =>
    Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())))).then(
      () => undefined,
    );
  try {
    for (const port of ports) {
      const server = createServer((inbound) => {
        const outbound = createConnection({ host: '127.0.0.1', port });
        inbound.pipe(outbound).pipe(inbound);
        const end = () => {
          inbound.destroy();
          outbound.destroy();
        };
        inbound.on('error', end);
        outbound.on('error', end);
        inbound.on('close', end);
        outbound.on('close', end);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: address, port, exclusive: true }, () => resolve());
      });
      servers.push(server);
    }
  } catch (error) {
    await stop();
    throw new ContainerAccessError(`cannot listen on ${address}: ${(error as Error).message}`);
  }
  return { address, ports, stop };
}

/** The port of a `http://127.0.0.1:<port>` URL. */
export const portOf = (url: string): number => Number(new URL(url).port);

/** The banner `npm start` prints when it listens for containers: loud on purpose. */
export function containerBanner(relay: Relay): string[] {
  const bar = '!'.repeat(78);
  return [
    bar,
    `!! LISTENING FOR CONTAINERS on ${relay.address} (ports ${relay.ports.join(', ')})`,
    '!! DynamoDB Local, the SQS emulator and the API have NO authentication: anything that',
    `!! reaches ${relay.address} can read and change the local data. Stop with Ctrl-C when done.`,
    bar,
  ];
}

/**
 * What `npm start` calls: when asked (flag or `PAYBRIDGE_BIND`), relays the API, DynamoDB,
 * SQS and the sandboxes from the container address and prints the banner; otherwise nothing.
 */
export async function openForContainers(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  stack: Pick<LocalStack, 'api' | 'dynamo' | 'sqs' | 'sandboxes'>,
  log: (line: string) => void = (line) => console.log(line),
): Promise<Relay | undefined> {
  const address = containerAddress(argv, env);
  if (!address) return undefined;
  const urls = [stack.api?.url, stack.dynamo.endpoint, stack.sqs.endpoint, stack.sandboxes?.url];
  const relay = await relayToLoopback(
    address,
    urls.filter((url): url is string => url !== undefined).map(portOf),
  );
  for (const line of containerBanner(relay)) log(line);
  return relay;
}
