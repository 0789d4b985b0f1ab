/**
 * `npm run build:client`: builds the `@paybridge/client` package into client/dist — one ES module
 * bundled by esbuild (no dependencies; `node:crypto` stays an import) and its declarations by tsc
 * (client/tsconfig.build.json). Then `npm pack ./client` makes the tarball a merchant installs.
 *
 * `buildClient(outDir)` builds elsewhere (the tarball test stages its own copy); the default
 * export is the integration tests' vitest globalSetup, so they import the built package.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const clientDir = import.meta.dirname;
export const distDir = join(clientDir, 'dist');

export async function buildClient(outDir = distDir): Promise<string> {
  // Built beside, then swapped in: a reader of dist never sees half a build.
  const staging = mkdtempSync(join(tmpdir(), 'paybridge-client-'));
  try {
    await build({
      entryPoints: [join(clientDir, 'src', 'index.ts')],
      outfile: join(staging, 'index.js'),
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      legalComments: 'none',
      logLevel: 'warning',
    });
    // TypeScript 7 (node_modules/.bin/tsc) emits declarations; the same flags work with TypeScript 6.
    execFileSync(
      join(root, 'node_modules', '.bin', 'tsc'),
      ['-p', join(clientDir, 'tsconfig.build.json'), '--outDir', staging],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    // The sources import `./x.ts`; the published declarations sit beside `./x.d.ts`, found as `./x.js`.
    for (const name of readdirSync(staging).filter((file) => file.endsWith('.d.ts'))) {
      const path = join(staging, name);
      writeFileSync(path, readFileSync(path, 'utf8').replace(/(from '\.\/[\w-]+)\.ts'/g, "$1.js'"));
    }
    rmSync(outDir, { recursive: true, force: true });
    execFileSync('cp', ['-R', staging, outDir]);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return outDir;
}

/** vitest globalSetup: the integration tests import `#client/dist`, the package as built. */
export default async function setup(): Promise<void> {
  await buildClient();
}

if (process.argv[1] === import.meta.filename) {
  const out = await buildClient(process.argv[2] ?? distDir);
  console.log(`built @paybridge/client into ${relative(process.cwd(), out) || '.'}`);
}
