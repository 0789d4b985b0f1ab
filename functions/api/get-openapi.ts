import { readFile } from 'node:fs/promises';
import { config } from '#runtime/config';
import { http } from '#edge/http';

/**
 * The document, as the text to send. A deployed bundle reads the one generated at build time
 * (`openapi.json` beside `index.mjs`, written by the CDK: lib/paybridge-function.ts), and esbuild
 * leaves the builder out (`PAYBRIDGE_OPENAPI_ASSET` is defined): the function carries no handler
 * schemas. Elsewhere (tsx, tests, `npm run invoke`) it is built from the route table on first call.
 */
const load = (): Promise<string> =>
  process.env.PAYBRIDGE_OPENAPI_ASSET === '1'
    ? readFile(new URL('./openapi.json', import.meta.url), 'utf8').then((text) =>
        JSON.stringify(JSON.parse(text)),
      )
    : import('#openapi').then(async ({ buildOpenApiDocument }) =>
        JSON.stringify(await buildOpenApiDocument({ version: config().PAYBRIDGE_VERSION })),
      );

/** Loaded once per container: the document only changes with a deploy. */
let document: Promise<string> | undefined;

/** GET /openapi.json — the OpenAPI 3.1 document of this API, generated from the route table and its schemas. */
export const handler = http({}, async () => {
  document ??= load();
  try {
    return {
      text: await document,
      headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
    };
  } catch (error) {
    document = undefined; // a failed load is not cached
    throw error;
  }
});
