import { http } from '#edge/http';
import { docsCsp, docsHtml } from './docs-page.ts';

/** GET /docs — the API reference page, rendering /openapi.json. */
export const handler = http({}, async () => ({
  text: docsHtml,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': docsCsp,
    'cache-control': 'public, max-age=300',
  },
}));
