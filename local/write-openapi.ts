/**
 * `npm run openapi [-- --server <url>] [path]`: writes the OpenAPI document to
 * openapi.json at the repository root (or `path`), for code generators and
 * editors. The running API serves the same document at GET /openapi.json; the
 * file is generated, not committed (.gitignore). The CDK runs it with `--server /`
 * to put the document beside the bundle of the function that serves it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildOpenApiDocument } from '#openapi';

const root = join(import.meta.dirname, '..');
const { values, positionals } = parseArgs({
  options: {
    server: { type: 'string', default: 'http://127.0.0.1:3000' },
    quiet: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const out = positionals[0] ?? join(root, 'openapi.json');
const document = await buildOpenApiDocument({ version, serverUrl: values.server });
writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
if (!values.quiet)
  console.log(
    `wrote ${out} (${Object.keys(document.paths as object).length} paths, server ${values.server})`,
  );
