/**
 * The route table: the single source of truth for the HTTP API. The CDK stack
 * (lib/api-stack.ts) makes one function and one API route per row; the local API
 * server (local/api-server.ts) serves the same rows with the same handlers; the
 * handler wrapper (edge/http.ts) reads a row's credential kind at run time.
 * Adding a route is one row here plus its handler module.
 *
 * Queue consumers live in the second table, `workers`, for the same reasons.
 */

import type { ApiKeyScope } from '#core/actor';

/**
 * Which credential a route accepts (enforced by edge/auth.ts; the typed client's copy is
 * generated from this list):
 * - `none`: public (health, documents, sign-in, the hosted payment page);
 * - `dashboard`: `Authorization: Bearer <JWT access token>`;
 * - `apiKeyOrDashboard`: an API key (`Bearer sk_test_…` / `sk_live_…`) or a dashboard token;
 * - `admin`: a dashboard JWT whose user has the admin role;
 * - `providerSignature`: no credential but the provider's webhook signature.
 * No route takes an API key alone: every merchant route a server calls serves the dashboard too.
 */
export const credentials = ['none', 'dashboard', 'apiKeyOrDashboard', 'admin', 'providerSignature'] as const;

export type Credential = (typeof credentials)[number];

/** In-app rate-limit class; API Gateway throttling applies to all routes on top. */
export type RateLimitClass = 'none' | 'auth' | 'standard' | 'webhook';

/** What a function may do to the table: the stack grants exactly this. */
export type TableAccess = 'none' | 'describe' | 'read' | 'readwrite';
/** What a function may do to a queue: `describe` reads attributes, `send` enqueues. */
export type QueueAccess = 'describe' | 'send';
import type { QueueName } from '#runtime/queues';

export type { QueueName };

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * What a function does with the secrets key: `seal` new secrets (KMS
 * GenerateDataKey only: it can never read a stored secret back), or `open`
 * stored ones (KMS Decrypt).
 */
export type SecretsAccess = 'seal' | 'open';
/**
 * Which JWT key set a function reads: `sign` (the private signing set: register,
 * login, refresh only) or `verify` (the public verification set: every function
 * that checks a dashboard token; it cannot mint one).
 */
export type JwtAccess = 'sign' | 'verify';

export interface Route {
  readonly method: Method;
  /** API Gateway path syntax: `/v1/payments/{id}`. */
  readonly path: string;
  /** Handler module under functions/, exporting `handler`. */
  readonly handler: string;
  readonly credential: Credential;
  readonly rateLimit: RateLimitClass;
  readonly table: TableAccess;
  readonly queues?: Partial<Record<QueueName, QueueAccess>>;
  /** What the function does with the secrets key (envelope encryption of merchant secrets). */
  readonly secrets?: SecretsAccess;
  /** Which dashboard JWT key set the function reads, if any. */
  readonly jwt?: JwtAccess;
  /** Reads the webhook-token keys: mints (configure provider) or verifies (ingest) webhook URLs' tokens. */
  readonly webhookTokenKeys?: true;
  /** Sends email (verification, password reset) through Amazon SES: the stack grants `ses:SendEmail` from `MAIL_FROM`. */
  readonly mail?: true;
  /**
   * The API-key scope the route needs when called with an API key (default
   * `server`). `full`: routes that change where money settles or where events
   * go (provider credentials, webhook endpoints). Dashboard sessions pass.
   */
  readonly apiKeyScope?: ApiKeyScope;
  readonly memoryMb?: number;
  readonly timeoutSeconds?: number;
  /**
   * Concurrent executions set aside for this function alone: a flood on the rest of
   * the API (which shares the account's pool) can never leave it without capacity,
   * and it can never take more than this from the others.
   */
  readonly reservedConcurrency?: number;
  /**
   * Files from node_modules the function reads at run time (`swagger-ui-dist/swagger-ui.css`):
   * the CDK copies each into the bundle at the same relative path.
   */
  readonly assets?: readonly string[];
  /**
   * The function serves the OpenAPI document generated at build time: the CDK writes `openapi.json`
   * beside the bundle and esbuild leaves the document builder (every handler's schemas) out.
   */
  readonly openApiDocument?: true;
}

const auth = { credential: 'none', rateLimit: 'auth', table: 'readwrite', jwt: 'sign' } as const;
const dashboard = {
  credential: 'dashboard',
  rateLimit: 'standard',
  table: 'readwrite',
  jwt: 'verify',
} as const;
const merchantWrite = {
  credential: 'apiKeyOrDashboard',
  rateLimit: 'standard',
  table: 'readwrite',
  jwt: 'verify',
} as const;
/** Changes where money settles or where events go: a `full` API key or a dashboard session. */
const merchantAdmin = { ...merchantWrite, apiKeyScope: 'full' } as const;
const merchantRead = {
  credential: 'apiKeyOrDashboard',
  rateLimit: 'standard',
  table: 'read',
  jwt: 'verify',
} as const;
const dashboardRead = {
  credential: 'dashboard',
  rateLimit: 'standard',
  table: 'read',
  jwt: 'verify',
} as const;
const docs = { credential: 'none', rateLimit: 'none', table: 'none' } as const;

export const routes: readonly Route[] = [
  {
    method: 'GET',
    path: '/health',
    handler: 'api/get-health.ts',
    credential: 'none',
    rateLimit: 'none',
    table: 'describe',
    queues: { providerEvents: 'describe', deliveries: 'describe' },
  },
  // Developer experience: the OpenAPI document and its reference page. Public by design: they hold no data.
  { method: 'GET', path: '/openapi.json', handler: 'api/get-openapi.ts', ...docs, openApiDocument: true },
  { method: 'GET', path: '/docs', handler: 'api/get-docs.ts', ...docs },
  {
    method: 'GET',
    path: '/docs/assets/{file}',
    handler: 'api/get-docs-asset.ts',
    ...docs,
    assets: ['swagger-ui-dist/swagger-ui-bundle.js', 'swagger-ui-dist/swagger-ui.css'],
  },
  // Identity (issue: merchant identity)
  { method: 'POST', path: '/v1/auth/register', handler: 'api/register.ts', ...auth, mail: true },
  { method: 'POST', path: '/v1/auth/login', handler: 'api/login.ts', ...auth },
  { method: 'POST', path: '/v1/auth/refresh', handler: 'api/refresh-session.ts', ...auth },
  { method: 'POST', path: '/v1/auth/logout', handler: 'api/logout.ts', ...dashboard },
  { method: 'POST', path: '/v1/auth/logout-everywhere', handler: 'api/logout-everywhere.ts', ...dashboard },
  // Checks the current password: the sign-in routes' per-address limit applies too.
  {
    method: 'POST',
    path: '/v1/auth/password',
    handler: 'api/change-password.ts',
    ...dashboard,
    rateLimit: 'auth',
  },
  // Emailed single-use links (email verification, password reset): public, per-address limited, and
  // they sign nothing, so they read no JWT key set. Resend is the signed-in user's own.
  {
    method: 'POST',
    path: '/v1/auth/verify-email',
    handler: 'api/verify-email.ts',
    credential: 'none',
    rateLimit: 'auth',
    table: 'readwrite',
  },
  {
    method: 'POST',
    path: '/v1/auth/verify-email/resend',
    handler: 'api/resend-verification.ts',
    ...dashboard,
    rateLimit: 'auth',
    mail: true,
  },
  {
    method: 'POST',
    path: '/v1/auth/password-reset',
    handler: 'api/request-password-reset.ts',
    credential: 'none',
    rateLimit: 'auth',
    table: 'readwrite',
    mail: true,
  },
  {
    method: 'POST',
    path: '/v1/auth/password-reset/confirm',
    handler: 'api/confirm-password-reset.ts',
    credential: 'none',
    rateLimit: 'auth',
    table: 'readwrite',
  },
  {
    method: 'GET',
    path: '/v1/me',
    handler: 'api/get-me.ts',
    ...dashboardRead,
    credential: 'apiKeyOrDashboard',
  },
  { method: 'PATCH', path: '/v1/me', handler: 'api/update-me.ts', ...dashboard },
  { method: 'POST', path: '/v1/api-keys', handler: 'api/create-api-key.ts', ...dashboard },
  { method: 'GET', path: '/v1/api-keys', handler: 'api/list-api-keys.ts', ...dashboardRead },
  { method: 'POST', path: '/v1/api-keys/{id}/revoke', handler: 'api/revoke-api-key.ts', ...dashboard },
  { method: 'GET', path: '/v1/audit-logs', handler: 'api/list-audit-logs.ts', ...dashboardRead },
  { method: 'GET', path: '/v1/security-events', handler: 'api/list-security-events.ts', ...dashboardRead },
  {
    method: 'GET',
    path: '/v1/admin/merchants',
    handler: 'api/admin-list-merchants.ts',
    ...dashboardRead,
    credential: 'admin',
  },
  {
    method: 'GET',
    path: '/v1/admin/audit-logs',
    handler: 'api/admin-list-audit-logs.ts',
    ...dashboardRead,
    credential: 'admin',
  },
  // Provider credentials (issue: payments)
  {
    method: 'PUT',
    path: '/v1/providers/{provider}',
    handler: 'api/configure-provider.ts',
    ...merchantAdmin,
    secrets: 'seal',
    webhookTokenKeys: true,
  },
  {
    method: 'GET',
    path: '/v1/providers',
    handler: 'api/list-providers.ts',
    ...merchantRead,
  },
  {
    method: 'DELETE',
    path: '/v1/providers/{provider}',
    handler: 'api/delete-provider.ts',
    ...merchantAdmin,
  },
  // Webhook pipeline (issue: webhooks)
  {
    method: 'POST',
    path: '/hooks/{provider}/{token}',
    handler: 'hooks/receive-provider-webhook.ts',
    credential: 'providerSignature',
    rateLimit: 'webhook',
    table: 'read',
    queues: { providerEvents: 'send' },
    webhookTokenKeys: true,
    // Providers give up on a webhook after a few failures: their ingest never competes with the API.
    // The ingest answers in milliseconds, so 50 carries thousands of webhooks a second.
    reservedConcurrency: 50,
  },
  {
    method: 'POST',
    path: '/v1/webhook-endpoints',
    handler: 'api/create-webhook-endpoint.ts',
    ...merchantAdmin,
    secrets: 'seal',
  },
  { method: 'GET', path: '/v1/webhook-endpoints', handler: 'api/list-webhook-endpoints.ts', ...merchantRead },
  {
    method: 'GET',
    path: '/v1/webhook-endpoints/{id}',
    handler: 'api/get-webhook-endpoint.ts',
    ...merchantRead,
  },
  {
    method: 'PATCH',
    path: '/v1/webhook-endpoints/{id}',
    handler: 'api/update-webhook-endpoint.ts',
    ...merchantAdmin,
  },
  {
    method: 'DELETE',
    path: '/v1/webhook-endpoints/{id}',
    handler: 'api/delete-webhook-endpoint.ts',
    ...merchantAdmin,
  },
  {
    method: 'POST',
    path: '/v1/webhook-endpoints/{id}/rotate-secret',
    handler: 'api/rotate-webhook-secret.ts',
    ...merchantAdmin,
    secrets: 'seal',
  },
  {
    method: 'POST',
    path: '/v1/webhook-endpoints/{id}/test',
    handler: 'api/test-webhook-endpoint.ts',
    ...merchantAdmin,
    queues: { deliveries: 'send' },
  },
  {
    method: 'POST',
    path: '/v1/webhook-endpoints/{id}/recover',
    handler: 'api/recover-webhook-endpoint.ts',
    ...merchantAdmin,
    queues: { deliveries: 'send' },
  },
  { method: 'GET', path: '/v1/events', handler: 'api/list-events.ts', ...merchantRead },
  { method: 'GET', path: '/v1/events/{id}', handler: 'api/get-event.ts', ...merchantRead },
  { method: 'GET', path: '/v1/events/{id}/attempts', handler: 'api/list-event-attempts.ts', ...merchantRead },
  {
    method: 'POST',
    path: '/v1/events/{id}/resend',
    handler: 'api/resend-event.ts',
    ...merchantWrite,
    queues: { deliveries: 'send' },
  },
  // Payments (issue: payments)
  // Failover may try several providers: API Gateway's 30 s integration limit bounds it.
  {
    method: 'POST',
    path: '/v1/payments',
    handler: 'api/create-payment.ts',
    ...merchantWrite,
    secrets: 'open',
    timeoutSeconds: 29,
  },
  { method: 'GET', path: '/v1/payments', handler: 'api/list-payments.ts', ...merchantRead },
  { method: 'GET', path: '/v1/payments/{id}', handler: 'api/get-payment.ts', ...merchantRead },
  {
    method: 'POST',
    path: '/v1/payments/{id}/verify',
    handler: 'api/verify-payment.ts',
    ...merchantWrite,
    // A settlement or a refund's move queues the merchant's deliveries.
    queues: { deliveries: 'send' },
    secrets: 'open',
    timeoutSeconds: 29,
  },
  // Refunds and the balance ledger (issue: refunds)
  {
    method: 'POST',
    path: '/v1/payments/{id}/refunds',
    handler: 'api/create-refund.ts',
    ...merchantWrite,
    queues: { deliveries: 'send' },
    secrets: 'open',
    timeoutSeconds: 29,
  },
  {
    method: 'GET',
    path: '/v1/payments/{id}/refunds',
    handler: 'api/list-payment-refunds.ts',
    ...merchantRead,
  },
  {
    method: 'GET',
    path: '/v1/payments/{id}/activity',
    handler: 'api/list-payment-activity.ts',
    ...merchantRead,
  },
  { method: 'GET', path: '/v1/refunds', handler: 'api/list-refunds.ts', ...merchantRead },
  { method: 'GET', path: '/v1/refunds/{id}', handler: 'api/get-refund.ts', ...merchantRead },
  { method: 'GET', path: '/v1/balance', handler: 'api/get-balance.ts', ...merchantRead },
  {
    method: 'GET',
    path: '/v1/balance-transactions',
    handler: 'api/list-balance-transactions.ts',
    ...merchantRead,
  }, // Payment links (issue 17): a hosted page per link, the customer picks the provider
  { method: 'POST', path: '/v1/payment-links', handler: 'api/create-payment-link.ts', ...merchantWrite },
  { method: 'GET', path: '/v1/payment-links', handler: 'api/list-payment-links.ts', ...merchantRead },
  { method: 'GET', path: '/v1/payment-links/{id}', handler: 'api/get-payment-link.ts', ...merchantRead },
  {
    method: 'PATCH',
    path: '/v1/payment-links/{id}',
    handler: 'api/update-payment-link.ts',
    ...merchantWrite,
  },
  {
    method: 'GET',
    path: '/v1/payment-links/{id}/payments',
    handler: 'api/list-payment-link-payments.ts',
    ...merchantRead,
  },
  // The hosted page (the form adds per-IP and per-link limits of its own to the route's per-IP one).
  // Public HTML, no credential, per-IP limited; reads only (the form writes).
  {
    method: 'GET',
    path: '/pay/{slug}',
    handler: 'api/pay-page.ts',
    credential: 'none',
    rateLimit: 'standard',
    table: 'read',
  },
  {
    method: 'POST',
    path: '/pay/{slug}',
    handler: 'api/pay-submit.ts',
    credential: 'none',
    rateLimit: 'standard',
    // The same payment creation as POST /v1/payments: provider calls with the merchant's keys.
    table: 'readwrite',
    secrets: 'open',
    timeoutSeconds: 29,
  },
  {
    method: 'GET',
    path: '/pay/{slug}/done',
    handler: 'api/pay-done.ts',
    credential: 'none',
    rateLimit: 'standard',
    table: 'read',
  },
  {
    method: 'GET',
    path: '/pay/{slug}/qr.svg',
    handler: 'api/pay-qr-svg.ts',
    credential: 'none',
    rateLimit: 'standard',
    table: 'read',
  },
  {
    method: 'GET',
    path: '/pay/{slug}/qr.png',
    handler: 'api/pay-qr-png.ts',
    credential: 'none',
    rateLimit: 'standard',
    table: 'read',
  },
];

/**
 * Answers every request no row matches, with our error shape: 404 for an unknown
 * path, 405 (and `Allow`) for a known path with another method. API Gateway sends
 * these to its `$default` route.
 */
export const fallback = {
  handler: 'api/not-found.ts',
  credential: 'none',
  rateLimit: 'none',
  table: 'none',
} as const satisfies Omit<Route, 'method' | 'path'>;

export interface Worker {
  readonly queue: QueueName;
  readonly handler: string;
  readonly batchSize: number;
  readonly table: TableAccess;
  readonly queues?: Partial<Record<QueueName, QueueAccess>>;
  readonly secrets?: SecretsAccess;
  readonly memoryMb?: number;
}

/** Queue consumers: one function per queue, fed by an SQS event source with partial batch failures. */
export const workers: readonly Worker[] = [
  {
    queue: 'providerEvents',
    handler: 'workers/verify-provider-events.ts',
    batchSize: 10,
    table: 'readwrite',
    queues: { deliveries: 'send' },
    secrets: 'open',
  },
  {
    queue: 'deliveries',
    handler: 'workers/deliver-webhooks.ts',
    batchSize: 10,
    table: 'readwrite',
    queues: { deliveries: 'send' },
    secrets: 'open',
  },
];

/** A function run on a timer rather than by a queue or a route. */
export interface ScheduledWorker {
  readonly handler: string;
  /** Minutes between runs in the cloud (EventBridge); the local stack uses `RECONCILE_INTERVAL_SECONDS`. */
  readonly everyMinutes: number;
  readonly table: TableAccess;
  readonly queues?: Partial<Record<QueueName, QueueAccess>>;
  readonly secrets?: SecretsAccess;
  readonly memoryMb?: number;
  readonly timeoutSeconds: number;
  /** What it failing means for the business (alarm text). */
  readonly impact: string;
}

/** Scheduled functions: one EventBridge rule each in the cloud, one timer each in the local stack. */
export const scheduledWorkers: readonly ScheduledWorker[] = [
  {
    handler: 'workers/reconcile-payments.ts',
    everyMinutes: 1,
    table: 'readwrite',
    queues: { deliveries: 'send' },
    // It asks the providers: it opens the merchants' stored credentials.
    secrets: 'open',
    timeoutSeconds: 55,
    impact:
      'The reconciliation sweeper is failing: payments whose webhook was lost stay pending, abandoned checkouts do not expire and merchants are not told.',
  },
];

/** `GET /v1/payments/{id}` → the route key API Gateway puts in `event.routeKey`. */
export const routeKey = (route: Pick<Route, 'method' | 'path'>): string => `${route.method} ${route.path}`;

const byKey = new Map(routes.map((route) => [routeKey(route), route]));

/** The row for an API Gateway route key, or undefined. */
export function routeFor(key: string): Route | undefined {
  return byKey.get(key);
}

export type RouteMatch =
  | { readonly kind: 'route'; readonly route: Route; readonly params: Record<string, string> }
  | { readonly kind: 'method'; readonly allow: readonly Method[] }
  | { readonly kind: 'none' };

function matchPath(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith('{') && w.endsWith('}')) {
      if (g === '') return undefined;
      try {
        params[w.slice(1, -1)] = decodeURIComponent(g);
      } catch {
        return undefined;
      }
    } else if (w !== g) {
      return undefined;
    }
  }
  return params;
}

/**
 * Matches a request the way API Gateway does: literal segments win over
 * parameters, so `/v1/payments/search` beats `/v1/payments/{id}`.
 */
export function matchRoute(method: string, path: string): RouteMatch {
  const candidates = routes
    .map((route) => ({ route, params: matchPath(route.path, path) }))
    .filter((c): c is { route: Route; params: Record<string, string> } => c.params !== undefined)
    .sort((a, b) => literalCount(b.route.path) - literalCount(a.route.path));
  const hit = candidates.find((c) => c.route.method === method);
  if (hit) return { kind: 'route', route: hit.route, params: hit.params };
  if (candidates.length > 0) {
    return { kind: 'method', allow: [...new Set(candidates.map((c) => c.route.method))] };
  }
  return { kind: 'none' };
}

const literalCount = (path: string): number => path.split('/').filter((s) => !s.startsWith('{')).length;

/** A short, stable name for a handler module: `api/get-health.ts` → `get-health`. */
export const functionName = (handler: string): string => handler.replace(/^.*\//, '').replace(/\.ts$/, '');

/** The CDK construct id of a handler's function: `api/get-health.ts` → `GetHealth` (lib/api-stack.ts). */
export const constructId = (handler: string): string =>
  functionName(handler)
    .split(/[-_]/)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
