/**
 * How every PayBridge function is bundled: one definition, read by the CDK
 * (lib/paybridge-function.ts) and by the cold-start benchmark (bench/), so the
 * bench measures exactly what ships. ESM and minified (CJS evaluates ~2× slower),
 * no source maps (+33 ms when inlined), and the AWS SDK inside the bundle rather
 * than the runtime's copy (faster cold start).
 */
export const bundling = {
  target: 'node24',
  minify: true,
  sourceMap: false,
  externalModules: [] as string[],
  mainFields: ['module', 'main'],
  // Some bundled CommonJS dependencies call require() for Node built-ins.
  banner: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
} as const;
