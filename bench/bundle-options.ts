import type { BuildOptions } from 'esbuild';

/**
 * The esbuild options the CDK bundles every PayBridge function with.
 *
 * DUPLICATED from the `bundling` props in lib/paybridge-function.ts, which are
 * written inline in the `NodejsFunction` call and not exported. Change both
 * together until they are unified. NodejsFunction turns those props into
 * `esbuild --bundle <entry> --target=node24 --platform=node --format=esm
 * --outfile=<dir>/index.mjs --minify --banner:js=… --main-fields=module,main`
 * (`sourceMap: false` adds no flag, `externalModules: []` adds no `--external`),
 * run from the project root; this is the same build through esbuild's JS API.
 */
export const bundlingOptions: Readonly<BuildOptions> = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  sourcemap: false,
  external: [],
  mainFields: ['module', 'main'],
  // Some bundled CommonJS dependencies call require() for Node built-ins.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
};

/** The file name NodejsFunction gives an ESM bundle. */
export const bundleFileName = 'index.mjs';
