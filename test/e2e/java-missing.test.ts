import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('npm start without Java', () => {
  it('exits with one clear line saying how to install it', () => {
    // A PATH holding only node: no java anywhere.
    const bin = mkdtempSync(join(tmpdir(), 'nojava-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
      cwd: root,
      env: { PATH: bin, HOME: process.env.HOME ?? '/tmp', PORT: '0', DYNAMODB_PORT: '0', SQS_PORT: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    const lines = run.stderr.split('\n').filter((l) => l.includes('Java'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Java 17\+.*install/);
  });
});
