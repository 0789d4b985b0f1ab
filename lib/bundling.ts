import type { Credential, RateLimitClass } from '#routes';
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

/** What a route row says about its own bundle (functions/routes.ts); workers have no credential or rate limit. */
export interface BundleTraits {
  readonly credential?: Credential | undefined;
  readonly rateLimit?: RateLimitClass | undefined;
  readonly openApiDocument?: true | undefined;
}

/**
 * esbuild `conditions` for one function, from its route row: which file the package.json `imports`
 * `#edge/authenticate` and `#edge/rate-limiter` resolve to (functions/edge/http.ts). A public row
 * (credential `none` or `providerSignature`) gets `paybridge-public`, so its bundle has no JWT code and
 * no identity store; a row without a limit gets `paybridge-unlimited`, so it has no rate-limit store.
 * Chosen at resolution, not by a branch: an `await import()` left in a bundle makes esbuild keep the
 * whole AWS SDK client index (BENCHMARKS.md, cold start). `module` is esbuild's default condition,
 * which custom conditions would otherwise switch off. Empty when the row needs the real modules.
 */
export function bundleConditions(traits: BundleTraits): string[] {
  const isPublic = traits.credential === 'none' || traits.credential === 'providerSignature';
  const custom = [
    ...(isPublic ? ['paybridge-public'] : []),
    ...(traits.rateLimit === 'none' ? ['paybridge-unlimited'] : []),
  ];
  return custom.length > 0 ? [...custom, 'module'] : [];
}

/**
 * esbuild `define`s for one function, from its route row: constants the handler code branches on,
 * dropped at parse time with the branch they rule out (functions/api/get-openapi.ts). Outside a bundle
 * (tsx, vitest) the variables are unset and the code takes the general branch.
 */
export function bundleDefines(traits: BundleTraits): Record<string, string> {
  return traits.openApiDocument ? { 'process.env.PAYBRIDGE_OPENAPI_ASSET': '"1"' } : {};
}

/** Bundling reports (the CDK's line per asset, esbuild's per bundle) only with PAYBRIDGE_VERBOSE_BUNDLING=1. */
export const verboseBundling = (): boolean => process.env.PAYBRIDGE_VERBOSE_BUNDLING === '1';

/** The line the CDK writes to stderr for every asset it bundles. */
const cdkBundlingLine = /^Bundling asset [^\n]+\.\.\.\n$/;

type StderrWrite = typeof process.stderr.write & { paybridgeQuiet?: true };

/**
 * Holds back the CDK's `Bundling asset <construct path>...` line (one per function, ~60
 * per synth and per infra test) unless PAYBRIDGE_VERBOSE_BUNDLING=1. The CDK writes it
 * straight to `process.stderr` before it bundles, whoever bundles (a local `tryBundle`
 * that answers true does not avoid it), and no option, context key or `cdk synth --quiet`
 * turns it off, so the filter sits on the app's stderr. It drops that exact line only;
 * everything else, errors and warnings included, passes. Installed once per process.
 */
export function quietBundlingReports(): void {
  const current = process.stderr.write as StderrWrite;
  if (current.paybridgeQuiet) return;
  const quiet = function (chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'string' && rest.length === 0 && cdkBundlingLine.test(chunk) && !verboseBundling())
      return true;
    return (current as (...args: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
  } as StderrWrite;
  quiet.paybridgeQuiet = true;
  process.stderr.write = quiet;
}
