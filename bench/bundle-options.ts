import type { BuildOptions } from 'esbuild';
import { bundling } from '../lib/bundling.ts';

/**
 * The esbuild options the CDK bundles every PayBridge function with, from the
 * one definition in lib/bundling.ts. NodejsFunction turns those props into
 * `esbuild --bundle <entry> --target=node24 --platform=node --format=esm
 * --outfile=<dir>/index.mjs --minify --banner:js=… --main-fields=module,main`,
 * run from the project root; this is the same build through esbuild's JS API.
 */
export const bundlingOptions: Readonly<BuildOptions> = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: bundling.target,
  minify: bundling.minify,
  sourcemap: bundling.sourceMap,
  external: [...bundling.externalModules],
  mainFields: [...bundling.mainFields],
  banner: { js: bundling.banner },
};

/** The file name NodejsFunction gives an ESM bundle. */
export const bundleFileName = 'index.mjs';
