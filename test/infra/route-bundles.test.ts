import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleConditions, bundleDefines } from '#infra/bundling';
import { fallback, type Route, routes } from '#routes';
import { bundlingOptions } from '../../bench/bundle-options.ts';

/**
 * The route decides what its function bundles (issue 15): the CDK bundles each function with the
 * `conditions` and `define`s of its row (lib/bundling.ts), and esbuild leaves out what the row rules out.
 * Bundled here with the very options the CDK and the cold-start bench use, one function per kind of row.
 */
const root = new URL('../..', import.meta.url).pathname;
const jose = 'ERR_JWS_INVALID'; // jose's error codes survive minification
const rateLimitStore = 'RATE#'; // store/keys.ts: the rate-limit counter's partition key

async function bundled(row: Pick<Route, 'handler' | 'credential' | 'rateLimit'>): Promise<string> {
  const result = await build({
    ...bundlingOptions,
    absWorkingDir: root,
    entryPoints: [`${root}functions/${row.handler}`],
    define: bundleDefines(row),
    ...(bundleConditions(row).length > 0 ? { conditions: bundleConditions(row) } : {}),
    write: false,
    outfile: '/tmp/route-bundle/index.mjs',
    logLevel: 'error',
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error('esbuild wrote nothing');
  return file.text;
}

const row = (handler: string) => {
  const found = [...routes, fallback].find((r) => r.handler === handler);
  if (!found) throw new Error(`${handler} is not in the route table`);
  return found;
};

describe('what each route bundles', () => {
  it('names every public row and every row without a limit in its conditions', () => {
    for (const r of [...routes, fallback]) {
      const conditions = bundleConditions(r);
      const isPublic = r.credential === 'none' || r.credential === 'providerSignature';
      expect(conditions.includes('paybridge-public'), r.handler).toBe(isPublic);
      expect(conditions.includes('paybridge-unlimited'), r.handler).toBe(r.rateLimit === 'none');
      // Custom conditions switch off esbuild's default `module` condition: it must be named again.
      expect(conditions.length === 0 || conditions.includes('module'), r.handler).toBe(true);
    }
  });

  it('a public route without a limit carries neither JWT code nor the rate-limit store', async () => {
    for (const handler of ['api/not-found.ts', 'api/get-docs.ts']) {
      const r = row(handler);
      expect([r.credential, r.rateLimit]).toEqual(['none', 'none']);
      const code = await bundled(r);
      expect(code, handler).not.toContain(jose);
      expect(code, handler).not.toContain(rateLimitStore);
    }
  });

  it('a public route with a limit carries the rate-limit store but no JWT code', async () => {
    const r = row('hooks/receive-provider-webhook.ts');
    expect(r.credential).toBe('providerSignature');
    expect(r.rateLimit).not.toBe('none');
    const code = await bundled(r);
    expect(code).not.toContain(jose);
    expect(code).toContain(rateLimitStore);
  });

  it('a route that takes a credential carries the authenticator and its limits', async () => {
    const r = row('api/get-payment.ts');
    expect(r.credential).toBe('apiKeyOrDashboard');
    const code = await bundled(r);
    expect(code).toContain(jose);
    expect(code).toContain(rateLimitStore);
  });

  // Markers that survive minification: KMS's service name, SQS's, a provider adapter's API host.
  const commandWiring = { kms: 'TrentService', sqs: 'AmazonSQS', adapters: 'api.paystack.co' };

  it("a read-only handler carries none of its area's command wiring (app/<area>-reads.ts)", async () => {
    const readers = [
      'api/get-payment.ts',
      'api/list-refunds.ts',
      'api/get-event.ts',
      'api/list-webhook-endpoints.ts',
      'api/list-payment-links.ts',
    ];
    for (const handler of readers) {
      const code = await bundled(row(handler));
      for (const [what, marker] of Object.entries(commandWiring)) {
        expect(code, `${handler}: ${what}`).not.toContain(marker);
      }
    }
    // The commands still carry it, so the markers are the right ones.
    const create = await bundled(row('api/create-payment.ts'));
    for (const [what, marker] of Object.entries(commandWiring)) {
      expect(create, `create-payment: ${what}`).toContain(marker);
    }
  });
});
