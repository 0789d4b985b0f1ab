import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * README's quickstart, verbatim: every ```bash block between the quickstart markers, in order, in one
 * bash, against `npm start`'s entry point. A README edit that breaks a step fails here.
 */
const root = join(import.meta.dirname, '..', '..');
const stateDir = mkdtempSync(join(tmpdir(), 'paybridge-quickstart-'));
let stack: ChildProcess;
let stackOutput = '';

function quickstartBlocks(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = /<!-- quickstart:begin -->([\s\S]*?)<!-- quickstart:end -->/.exec(readme)?.[1] ?? '';
  return [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

/** The quickstart's receiver listens on 9000: the test needs that port free, and says so if it is not. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1' }, () => server.close(() => resolve(true)));
  });
}

beforeAll(async () => {
  stack = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      DYNAMODB_PORT: '0',
      SQS_PORT: '0',
      SANDBOX_PORT: '0',
      PAYBRIDGE_STATE_DIR: stateDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stack.stdout?.on('data', (c: Buffer) => (stackOutput += c.toString()));
  stack.stderr?.on('data', (c: Buffer) => (stackOutput += c.toString()));
  const deadline = Date.now() + 80_000;
  while (!/API\s+http:\/\/127\.0\.0\.1:\d+/.test(stackOutput)) {
    if (Date.now() > deadline || stack.exitCode !== null)
      throw new Error(`npm start did not start:\n${stackOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

afterAll(() => {
  if (stack.exitCode === null) stack.kill('SIGKILL');
});

describe('README quickstart', () => {
  it('has its steps between the markers', () => {
    expect(quickstartBlocks().length).toBeGreaterThanOrEqual(5);
  });

  it('runs as written: the receiver verifies payment.succeeded and the attempt log shows a 2xx', async () => {
    expect(await portFree(9000), 'port 9000 (the quickstart receiver) is busy on this machine').toBe(true);
    const script = quickstartBlocks().join('\n');
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const bash = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
        cwd: root,
        env: { ...process.env, PAYBRIDGE_STATE_DIR: stateDir },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group, ended below even if a step failed midway
      });
      let out = '';
      bash.stdout.on('data', (c: Buffer) => (out += c.toString()));
      bash.stderr.on('data', (c: Buffer) => (out += c.toString()));
      bash.once('exit', (code) => {
        try {
          process.kill(-(bash.pid ?? 0), 'SIGTERM');
        } catch {
          // the group is already gone: the quickstart's own `kill %1` stopped the receiver
        }
        resolve({ code, out });
      });
    });
    expect(run.out).toMatch(/✓ evt_\w+ payment\.succeeded pay_\w+ \(succeeded\) verified/);
    expect(run.out).toMatch(/^20\d$/m); // step 6: the first attempt's HTTP status
    expect(run.code, run.out).toBe(0);
  });
});
