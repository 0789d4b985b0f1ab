/**
 * The API reference page (GET /docs) and its own script: Swagger UI, served with
 * its assets from this API (GET /docs/assets/{file}), never from a CDN. The
 * Content-Security-Policy allows nothing but this origin; images may also be
 * `data:` URIs, which Swagger UI's stylesheet uses for its icons.
 */

export const docsCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Relative URLs: the page works wherever the API is mounted (`/docs` → `docs/assets/…`, `openapi.json`). */
export const docsHtml = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>PayBridge API reference</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="docs/assets/swagger-ui.css">
    <link rel="stylesheet" href="docs/assets/paybridge-docs.css">
  </head>
  <body>
    <div id="docs"></div>
    <script src="docs/assets/swagger-ui-bundle.js"></script>
    <script src="docs/assets/paybridge-docs.js"></script>
  </body>
</html>
`;

/**
 * Starts Swagger UI on the document. No validator badge (it would call a third
 * party) and no inline script (the CSP forbids it, which is why this is a file).
 */
export const docsScript = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: new URL('openapi.json', document.baseURI).href,
    dom_id: '#docs',
    deepLinking: true,
    validatorUrl: null,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

export const docsStyle = `body { margin: 0; }
.swagger-ui .topbar { display: none; }
`;
