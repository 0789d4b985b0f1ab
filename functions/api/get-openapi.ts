import { config } from '#runtime/config';
import { http } from '#edge/http';
import { buildOpenApiDocument } from '../openapi.ts';

/** Built once per container: the document only changes with a deploy. */
let document: Promise<string> | undefined;

/** GET /openapi.json — the OpenAPI 3.1 document of this API, generated from the route table and its schemas. */
export const handler = http({}, async () => {
  document ??= buildOpenApiDocument({ version: config().PAYBRIDGE_VERSION }).then((doc) =>
    JSON.stringify(doc),
  );
  try {
    return {
      text: await document,
      headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
    };
  } catch (error) {
    document = undefined; // a failed build is not cached
    throw error;
  }
});
