import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '#openapi';
import { type Route, routes } from '#routes';
import { buildApp } from '../../lib/app.ts';

/**
 * The docs functions as Lambda runs them, from their synthesized bundles with no
 * node_modules above: the asset function reads Swagger UI's files, which the row's
 * `assets` copies into its bundle after esbuild; the OpenAPI function serves the document
 * the CDK generated at build time beside its bundle, and carries no handler schemas.
 */
const row = routes.find((r) => r.handler === 'api/get-docs-asset.ts') as Route;
const openapiRow = routes.find((r) => r.handler === 'api/get-openapi.ts') as Route;
const sample = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, `../../events/${name}.json`), 'utf8')) as unknown;
let outdir: string;
let bundle: string | undefined;
let openapiBundle: string | undefined;

type Result = { statusCode: number; headers: Record<string, string>; body: string };
const invoke = async (dir: string, event: unknown): Promise<Result> => {
  const module = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as {
    handler: (e: unknown, c: unknown) => Promise<Result>;
  };
  return module.handler(event, { awsRequestId: 'infra' });
};

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'paybridge-cdk-'));
  const built = buildApp({
    app: new App({ outdir, context: { stage: 'test' } }),
    routes: [row, openapiRow],
    workers: [],
  });
  built.app.synth(); // cdk-nag runs here too
  bundle = readdirSync(outdir)
    .map((name) => join(outdir, name))
    .find((dir) => existsSync(join(dir, 'node_modules', 'swagger-ui-dist', 'swagger-ui-bundle.js')));
  const functions = Template.fromStack(built.api).findResources('AWS::Lambda::Function') as Record<
    string,
    { Properties: { Code: { S3Key: string } } }
  >;
  const [, openapiFn] = Object.entries(functions).find(([id]) => id.startsWith('GetOpenapi')) ?? [];
  if (openapiFn)
    openapiBundle = join(outdir, `asset.${openapiFn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('docs assets in the Lambda bundle', () => {
  it('copies every declared asset next to the bundled handler', () => {
    expect(bundle).toBeDefined();
    for (const asset of row.assets ?? []) {
      expect(existsSync(join(bundle as string, 'node_modules', asset)), asset).toBe(true);
    }
  });

  it('serves Swagger UI’s stylesheet from the bundle alone', async () => {
    const result = await invoke(bundle as string, sample('get-docs-asset'));
    expect(result.statusCode).toBe(200);
    expect(result.headers['content-type']).toMatch(/^text\/css/);
    expect(result.body).toContain('.swagger-ui');
  });

  it('serves the OpenAPI document, with every route, from its bundle alone', async () => {
    expect(openapiBundle && existsSync(join(openapiBundle, 'index.mjs'))).toBe(true);
    const env = { TABLE_NAME: 't', PROVIDER_EVENTS_QUEUE_URL: 'q', DELIVERIES_QUEUE_URL: 'd' };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      const result = await invoke(openapiBundle as string, sample('get-openapi'));
      expect(result.statusCode).toBe(200);
      const paths = (JSON.parse(result.body) as { paths: Record<string, object> }).paths;
      expect(new Set(Object.keys(paths))).toEqual(new Set(routes.map((r) => r.path)));
      // The very document the builder makes for this version, served as generated at build time.
      const { version } = JSON.parse(
        readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8'),
      ) as {
        version: string;
      };
      expect(JSON.parse(result.body)).toEqual(await buildOpenApiDocument({ version }));
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('bundles the generated document, not the builder and every handler it reads', () => {
    const dir = openapiBundle as string;
    expect(existsSync(join(dir, 'openapi.json'))).toBe(true);
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    // Text only the builder (functions/openapi.ts) and the handlers' schemas hold.
    expect(code).not.toContain('Secret keys for your servers, one mode each.');
    expect(code).not.toContain('Idempotency-Key');
    // The CDK bundled it with its row's conditions (lib/bundling.ts): a public route without a limit
    // carries no JWT code (jose's error codes survive minification) and no rate-limit store.
    expect(code).not.toContain('ERR_JWS_INVALID');
    expect(code).not.toContain('RATE#');
  });
});
