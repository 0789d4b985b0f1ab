import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildApp } from 'fauxqs';
import { freePort } from './ports.ts';

export interface LocalSqs {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

type Stores = NonNullable<NonNullable<Parameters<typeof buildApp>[0]>['stores']>;

/**
 * fauxqs names queues `http://sqs.<region>.localhost:<port>/…` unless its store's
 * `host` is empty, in which case it uses the host the client called — 127.0.0.1.
 * `*.localhost` does not resolve on every machine, so we build the stores
 * ourselves (its package does not export them; the version is pinned).
 */
async function loopbackStores(): Promise<Stores> {
  // Its `exports` map has only an `import` condition, so require.resolve cannot find it.
  const roots = createRequire(import.meta.url).resolve.paths('fauxqs') ?? [];
  const root = roots.find((dir) => existsSync(join(dir, 'fauxqs', 'dist', 'app.js')));
  if (!root) throw new Error('fauxqs is not installed; run npm ci.');
  const dist = join(root, 'fauxqs', 'dist');
  const load = (file: string) => import(pathToFileURL(join(dist, file)).href);
  const [{ SqsStore }, { SnsStore }, { S3Store }] = await Promise.all([
    load('sqs/sqsStore.js'),
    load('sns/snsStore.js'),
    load('s3/s3Store.js'),
  ]);
  const sqsStore = new SqsStore();
  sqsStore.host = '';
  return { sqsStore, snsStore: new SnsStore(), s3Store: new S3Store() };
}

/**
 * Starts fauxqs, an in-memory SQS emulator with DLQ redrive, delays and long
 * polling, on 127.0.0.1. Its start helper binds every interface, so we build its
 * app and listen ourselves.
 */
export async function startSqs(preferredPort = 0): Promise<LocalSqs> {
  const port = await freePort(preferredPort);
  const app = buildApp({ logger: false, defaultRegion: 'us-east-1', stores: await loopbackStores() });
  await app.listen({ port, host: '127.0.0.1' });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: async () => {
      await app.close();
    },
  };
}
