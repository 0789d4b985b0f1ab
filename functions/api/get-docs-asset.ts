import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as z from 'zod/mini';
import { http } from '#edge/http';
import { docsCsp, docsScript, docsStyle } from './docs-page.ts';

/**
 * Swagger UI's files, found the way Node finds a package: in node_modules here,
 * and in the Lambda bundle, where the route row's `assets` puts them at the same
 * relative path (lib/paybridge-function.ts). Read once per container.
 */
const resolve = createRequire(import.meta.url).resolve;

/** What this reads from node_modules: the route row's `assets` must list exactly these (test/unit/openapi.test.ts). */
export const packageFiles = [
  'swagger-ui-dist/swagger-ui-bundle.js',
  'swagger-ui-dist/swagger-ui.css',
] as const;
const fromPackage = (file: (typeof packageFiles)[number]) => () => readFileSync(resolve(file), 'utf8');

const js = 'text/javascript; charset=utf-8';
const css = 'text/css; charset=utf-8';
const files: Record<string, { type: string; read: () => string }> = {
  'swagger-ui-bundle.js': { type: js, read: fromPackage('swagger-ui-dist/swagger-ui-bundle.js') },
  'swagger-ui.css': { type: css, read: fromPackage('swagger-ui-dist/swagger-ui.css') },
  'paybridge-docs.js': { type: js, read: () => docsScript },
  'paybridge-docs.css': { type: css, read: () => docsStyle },
};

const cache = new Map<string, string>();

/** GET /docs/assets/{file} — a script or stylesheet of the reference page; any other name is a 404. */
export const handler = http(
  {
    params: z.strictObject({
      file: z.enum(Object.keys(files) as [string, ...string[]]),
    }),
  },
  async ({ params }) => {
    const file = files[params.file] as { type: string; read: () => string };
    let text = cache.get(params.file);
    if (text === undefined) {
      text = file.read();
      cache.set(params.file, text);
    }
    return {
      text,
      headers: {
        'content-type': file.type,
        'content-security-policy': docsCsp,
        'cache-control': 'public, max-age=3600',
      },
    };
  },
);
