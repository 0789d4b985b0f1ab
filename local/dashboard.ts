/**
 * The merchant dashboard in the local stack: `dashboard/` is built with Vite into
 * `dashboard/dist` (only when its sources changed since the last build: a hash of them
 * sits beside the output), and the API server serves those static files at `/` with a
 * CSP that allows only this origin, as CloudFront serves them from S3 in the cloud.
 */
import { linkPath } from '#core/identity';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
export const dashboardRoot = join(repo, 'dashboard');
export const dashboardDist = join(dashboardRoot, 'dist');
const stampFile = join(dashboardDist, '.source-hash');

/**
 * Everything the bundle is made of: the dashboard's own files, the typed client and the
 * modules it loads at run time, and the lock file (a new Vite or Preact is a new bundle).
 */
const sources = [
  'dashboard/index.html',
  'dashboard/vite.config.ts',
  'dashboard/tsconfig.json',
  'dashboard/src',
  'dashboard/public',
  'client',
  'functions/routes.ts',
  'functions/core',
  'package-lock.json',
];

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => filesUnder(join(path, entry.name)));
}

/** A hash of every source file's path and bytes. */
export function dashboardSourceHash(): string {
  const hash = createHash('sha256');
  for (const source of sources) {
    for (const file of filesUnder(join(repo, source))) {
      hash.update(relative(repo, file)).update('\0').update(readFileSync(file)).update('\0');
    }
  }
  return hash.digest('hex');
}

/**
 * Builds the dashboard unless `dashboard/dist` was built from the same sources.
 * Returns whether it built. A few seconds when it does; milliseconds otherwise.
 */
export async function buildDashboard(options: { force?: boolean; log?: (line: string) => void } = {}) {
  const hash = dashboardSourceHash();
  const current = existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : undefined;
  if (!options.force && current === hash && existsSync(join(dashboardDist, 'index.html'))) {
    return { built: false };
  }
  const started = Date.now();
  const { build } = await import('vite');
  await build({ configFile: join(dashboardRoot, 'vite.config.ts'), logLevel: 'warn' });
  writeFileSync(stampFile, hash);
  options.log?.(`dashboard built in ${Date.now() - started} ms`);
  return { built: true };
}

/**
 * The dashboard's CSP: scripts, styles, images, fonts and API calls from this origin only;
 * no inline script, no framing, no plugins. CloudFront's response-headers policy sets the same.
 */
export const dashboardCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** Paths of the links PayBridge emails, served as the dashboard's index. */
const dashboardLinkPaths = Object.values(linkPath);

/**
 * Serves `GET /` and `GET /assets/…` (and other top-level files of the build) from
 * `dashboard/dist`; returns false for any other request, which goes to the route table.
 * Hashed assets are cached for a year, `index.html` never.
 */
export function serveDashboard(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  const method = (req.method ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return false;
  // The emailed links' pages are the dashboard's own (it routes them in the browser): index.html.
  const path = ['/', ...dashboardLinkPaths].includes(url.pathname) ? '/index.html' : url.pathname;
  if (!(path === '/index.html' || path.startsWith('/assets/') || /^\/[\w.-]+\.(svg|ico|png)$/.test(path))) {
    return false;
  }
  const file = normalize(join(dashboardDist, path));
  if (!file.startsWith(dashboardDist + sep) || path.includes('..')) return false;
  if (!existsSync(file) || !statSync(file).isFile()) {
    if (path !== '/index.html') return false;
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('The dashboard is not built: npm start builds it (or npm run build:dashboard).\n');
    return true;
  }
  const body = readFileSync(file);
  res.writeHead(200, {
    'content-type': types[extname(file)] ?? 'application/octet-stream',
    'content-length': String(body.length),
    'content-security-policy': dashboardCsp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  res.end(method === 'HEAD' ? undefined : body);
  return true;
}
