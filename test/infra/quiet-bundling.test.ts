import { App, Stack } from 'aws-cdk-lib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DataStack } from '../../lib/data-stack.ts';
import { PayBridgeFunction } from '../../lib/paybridge-function.ts';

/** What reaches the process's stderr through `process.stderr.write` (where the CDK writes its line). */
let written: string[];

beforeEach(() => {
  written = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** Builds (and so bundles) one function in a fresh app. */
function buildFunction(id: string): void {
  const app = new App({ context: { stage: 'test' } });
  const data = new DataStack(app, 'Data', { stage: 'test', retain: false });
  new PayBridgeFunction(new Stack(app, 'Functions'), id, {
    handler: '../test/support/fixtures/echo-worker.ts',
    data,
    stage: 'test',
    version: '0.0.0',
    table: 'none',
    retainLogs: false,
  });
}

describe('bundling output', () => {
  it('holds back the CDK’s "Bundling asset" line by default', () => {
    vi.stubEnv('PAYBRIDGE_VERBOSE_BUNDLING', undefined);
    buildFunction('Quiet');
    expect(written.join('')).not.toContain('Bundling asset');
  });

  it('still passes everything else written to stderr', () => {
    vi.stubEnv('PAYBRIDGE_VERBOSE_BUNDLING', undefined);
    buildFunction('Other');
    process.stderr.write('Bundling asset is a phrase, not the CDK line\n');
    process.stderr.write('Bundling asset X/Y/Stage...\n', () => undefined);
    expect(written).toEqual([
      'Bundling asset is a phrase, not the CDK line\n',
      'Bundling asset X/Y/Stage...\n',
    ]);
  });

  it('prints it with PAYBRIDGE_VERBOSE_BUNDLING=1', () => {
    vi.stubEnv('PAYBRIDGE_VERBOSE_BUNDLING', '1');
    buildFunction('Verbose');
    expect(written).toContain('Bundling asset Functions/Verbose/Function/Code/Stage...\n');
  });
});
