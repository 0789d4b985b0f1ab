import { sampleFiles } from '#test/samples';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template as Assertions } from 'aws-cdk-lib/assertions';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { allNeeds, functionEnvironment } from '#infra/function-environment';
import { containerAddress, ContainerAccessError, relayToLoopback } from '#local/container-access';
import { allFunctions } from '#local/functions';
import { localSamEnv, logicalIdOf, type SamEnvFile, type Template } from '#local/sam';
import { fillPlaceholders, placeholdersIn, type SampleCredentials, seedSampleMerchant } from '#local/seed';
import { buildApp } from '../../lib/app.ts';

const root = join(import.meta.dirname, '..', '..');
const eventsDir = join(root, 'events');
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** Runs one of our commands the way `npm run` does, with the given PATH. */
function run(script: string, args: string[], path: string) {
  return spawnSync(process.execPath, [tsx, script, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PATH: path },
    timeout: 60_000,
  });
}

describe('npm run sam:invoke', () => {
  it('exits non-zero without the SAM CLI, says so and points at npm run invoke', () => {
    // An empty PATH: neither `sam` nor `docker` can be found, whatever this machine has.
    const result = run('local/sam-invoke.ts', ['create-payment'], '');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/the AWS SAM CLI \(`sam`\) is not installed/);
    expect(result.stderr).toContain('npm run invoke -- create-payment events/create-payment.json');
  });

  it('names an unknown function and lists the known ones', () => {
    const result = run('local/sam-invoke.ts', ['create-paymnet'], '');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^unknown function create-paymnet\nfunctions: .*create-payment/);
  });
});

describe('npm run invoke', () => {
  it('names an unknown function and lists the known ones, not just the usage', () => {
    const result = run(
      'local/invoke.ts',
      ['create-paymnet', 'events/create-payment.json'],
      process.env.PATH ?? '',
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^unknown function create-paymnet\nfunctions: .*get-health.*deliver-webhooks/,
    );
  });
});

describe('the sam:env values, run in-process as npm run invoke does', () => {
  let template: Template;
  let env: SamEnvFile;
  let credentials: SampleCredentials;
  const saved = { ...process.env };

  beforeAll(async () => {
    const built = buildApp({
      app: new App({
        context: { stage: 'dev', 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true },
      }),
    });
    template = Assertions.fromStack(built.api).toJSON() as Template;
    // The "container" is this process, so the host it reaches the emulators at is 127.0.0.1;
    // the rewrite itself is covered by test/infra/sam-env.test.ts.
    env = localSamEnv(template, inject('localValues'), '127.0.0.1');
    credentials = await seedSampleMerchant();
  }, 120_000);

  afterAll(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  // configure-provider is left out: its provider key check would need a provider, and the
  // template carries no *_BASE_URL to point a function at the sandboxes.
  const samples = sampleFiles(eventsDir).filter((f) => f !== 'configure-provider.json');

  it.each(samples)('%s answers with only its env-file entry as configuration', async (file) => {
    const name = file.replace(/\.json$/, '').split('.')[0] as string;
    const module = allFunctions().get(name) as string;
    const entry = env[logicalIdOf(template, name)];
    expect(entry).toBeDefined();
    // Nothing of the test's own configuration may help: every function variable is
    // removed, then the entry is all there is (SAM adds only AWS credentials and region).
    for (const key of Object.keys(functionEnvironment(allNeeds, inject('localValues'))))
      delete process.env[key];
    Object.assign(process.env, entry);
    vi.resetModules(); // a cold start: config, clients and the handler are loaded again
    const { loadHandler } = await import('#local/lambda');
    const handler = await loadHandler(module);
    const text = readFileSync(join(eventsDir, file), 'utf8');
    const event = fillPlaceholders(JSON.parse(text) as unknown, credentials);
    const result = await handler(event, { awsRequestId: 'sam-env' } as Context);
    if (result && typeof result === 'object' && 'statusCode' in result) {
      expect(result.statusCode, String(result.body)).toBeLessThan(500);
      if (placeholdersIn(text).length > 0) expect([401, 403]).not.toContain(result.statusCode);
    } else if (file.startsWith('reconcile-')) {
      // The scheduled sweeper answers with what it did.
      expect(result).toHaveProperty('due');
    } else {
      // Queue workers answer with their partial batch failures.
      expect(result).toHaveProperty('batchItemFailures');
    }
  });
});

describe('npm start -- --listen-for-containers', () => {
  it('is off unless asked for, and refuses loopback and wildcard addresses', () => {
    expect(containerAddress([], {})).toBeUndefined();
    expect(containerAddress(['--listen-for-containers'], {}, () => '172.17.0.1')).toBe('172.17.0.1');
    expect(containerAddress([], { PAYBRIDGE_BIND: '192.168.65.2' })).toBe('192.168.65.2');
    expect(() => containerAddress(['--listen-for-containers'], {}, () => undefined)).toThrow(
      /no Docker bridge/,
    );
    expect(() => containerAddress([], { PAYBRIDGE_BIND: '0.0.0.0' })).toThrow(ContainerAccessError);
    expect(() => containerAddress([], { PAYBRIDGE_BIND: '127.0.0.1' })).toThrow(ContainerAccessError);
  });

  it('relays a connection on the container address to the service on 127.0.0.1', async () => {
    const server = createServer((_req, res) => res.end('from loopback'));
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const { port } = server.address() as AddressInfo;
    // 127.0.0.2 stands in for the bridge address: another address of this machine.
    const relay = await relayToLoopback('127.0.0.2', [port]);
    try {
      const answer = await fetch(`http://127.0.0.2:${port}/`);
      expect(await answer.text()).toBe('from loopback');
    } finally {
      await relay.stop();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
