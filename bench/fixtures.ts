import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiGatewayEvent } from '#local/api-event';
import { lambdaContext, loadHandler } from '#local/lambda';
import { functionName, matchRoute, type Method, routeKey } from '#routes';
import { bareFetch, tags } from './instrument.ts';
import type { BenchStack } from './local-stack.ts';

/**
 * What the benchmarks do to the local stack: API calls as API Gateway would make
 * them (an HTTP API payload 2.0 event handed straight to the handler, the way
 * `npm run invoke` and the local API server do), and the merchant set-up the
 * integration tests use (test/support/*): register, API key, Paystack on the
 * sandbox, a webhook endpoint, payments, and Paystack webhooks signed as
 * Paystack signs them (hex HMAC-SHA512 of the raw body with the secret key).
 */

export interface ApiRequest {
  readonly method: Method;
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON. */
  readonly json?: unknown;
  /** Sent as is (a provider webhook's raw bytes). */
  readonly raw?: string;
  readonly sourceIp?: string;
}

export interface ApiAnswer<T> {
  readonly status: number;
  readonly body: T;
  /** Wall time of the handler invocation, ms. */
  readonly ms: number;
  readonly fn: string;
}

export interface PreparedCall {
  readonly fn: string;
  readonly module: string;
  readonly event: APIGatewayProxyEventV2;
  readonly timeoutSeconds: number;
}

/** The event API Gateway's HTTP API would send for this request (local/api-event.ts, as the local server). */
export function prepare(request: ApiRequest): PreparedCall {
  const match = matchRoute(request.method, request.path);
  if (match.kind !== 'route') throw new Error(`no route for ${request.method} ${request.path}`);
  const module = match.route.handler;
  const headers: Record<string, string> = {
    host: '127.0.0.1',
    'user-agent': 'paybridge-bench',
    ...Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  let body: string | undefined;
  if (request.json !== undefined) {
    body = JSON.stringify(request.json);
    headers['content-type'] ??= 'application/json';
  } else if (request.raw !== undefined) {
    body = request.raw;
    headers['content-type'] ??= 'application/json';
  }
  const event = apiGatewayEvent({
    method: request.method,
    path: request.path,
    routeKey: routeKey(match.route),
    rawQueryString: new URLSearchParams(request.query ?? {}).toString(),
    headers,
    pathParameters: match.params,
    body,
    sourceIp: request.sourceIp,
  });
  return { fn: functionName(module), module, event, timeoutSeconds: match.route.timeoutSeconds ?? 10 };
}

/** Invokes the prepared call's handler under its function's tag; answers status, parsed body and time. */
export async function invokePrepared<T>(call: PreparedCall): Promise<ApiAnswer<T>> {
  const handler = await loadHandler(call.module);
  const context = lambdaContext(call.module, call.timeoutSeconds);
  const started = performance.now();
  const result = (await tags.run({ fn: call.fn, phase: 'handler' }, () =>
    handler(call.event, context),
  )) as APIGatewayProxyStructuredResultV2;
  const ms = performance.now() - started;
  const text = result.body ?? '';
  let body: unknown = text;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
  }
  return { status: result.statusCode ?? 200, body: body as T, ms, fn: call.fn };
}

export function invoke<T>(request: ApiRequest): Promise<ApiAnswer<T>> {
  return invokePrepared<T>(prepare(request));
}

/** Throws with the answer when the status is not the one expected. */
export function expectStatus<T>(answer: ApiAnswer<T>, status: number, what: string): ApiAnswer<T> {
  if (answer.status !== status) {
    throw new Error(
      `${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`,
    );
  }
  return answer;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

let ipCounter = 0;
/** A distinct documentation address per sign-up, as distinct merchants would have. */
const freshIp = (): string => `198.51.100.${(ipCounter++ % 250) + 1}`;

export interface Account {
  readonly email: string;
  readonly password: string;
  readonly merchantId: string;
  readonly accessToken: string;
}

export const registerRequest = (): ApiRequest & {
  json: { email: string; password: string; businessName: string };
} => ({
  method: 'POST',
  path: '/v1/auth/register',
  json: {
    email: `bench-${randomUUID()}@example.com`,
    password: `bench-pw-${randomUUID()}`,
    businessName: 'Bench Shop',
  },
  sourceIp: freshIp(),
});

export async function register(request = registerRequest()): Promise<Account> {
  const answer = expectStatus(
    await invoke<{ merchant: { id: string }; accessToken: string }>(request),
    201,
    'register',
  );
  return {
    email: request.json.email,
    password: request.json.password,
    merchantId: answer.body.merchant.id,
    accessToken: answer.body.accessToken,
  };
}

export const loginRequest = (account: Account): ApiRequest => ({
  method: 'POST',
  path: '/v1/auth/login',
  json: { email: account.email, password: account.password },
  sourceIp: freshIp(),
});

export async function createKey(account: Account): Promise<string> {
  const answer = expectStatus(
    await invoke<{ key: string }>({
      method: 'POST',
      path: '/v1/api-keys',
      headers: bearer(account.accessToken),
      json: { name: 'bench key', mode: 'test', scope: 'full' },
    }),
    201,
    'create API key',
  );
  return answer.body.key;
}

export interface Paystack {
  readonly secretKey: string;
  readonly webhookUrl: string;
  /** The token at the end of the webhook URL. */
  readonly token: string;
}

export const configurePaystackRequest = (key: string, secretKey: string): ApiRequest => ({
  method: 'PUT',
  path: '/v1/providers/paystack',
  headers: bearer(key),
  json: { mode: 'test', secretKey },
});

export const newPaystackSecret = (): string => `sk_test_${randomBytes(12).toString('hex')}`;

export async function configurePaystack(key: string, secretKey = newPaystackSecret()): Promise<Paystack> {
  const answer = expectStatus(
    await invoke<{ webhookUrl: string }>(configurePaystackRequest(key, secretKey)),
    200,
    'configure Paystack',
  );
  const webhookUrl = answer.body.webhookUrl;
  return { secretKey, webhookUrl, token: webhookUrl.split('/').pop() ?? '' };
}

async function control(stack: BenchStack, method: string, path: string, body: unknown): Promise<unknown> {
  const response = await bareFetch()(`${stack.sandboxUrl}/_sandbox${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`sandbox ${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/**
 * The Paystack account as the merchant set it up in Paystack's dashboard: with our
 * webhook URL (the sandbox sends its own signed webhook when a checkout completes),
 * or without (checkouts complete silently; the bench sends the webhook itself).
 */
export async function sandboxAccount(
  stack: BenchStack,
  paystack: Paystack,
  sendWebhooks: boolean,
): Promise<void> {
  await control(stack, 'PUT', '/paystack/accounts', {
    secretKey: paystack.secretKey,
    ...(sendWebhooks ? { webhookUrl: paystack.webhookUrl } : {}),
  });
}

/** As if the customer clicked Pay on the sandbox's checkout page. */
export async function completeOnSandbox(
  stack: BenchStack,
  paystack: Paystack,
  reference: string,
): Promise<void> {
  await control(stack, 'POST', `/paystack/transactions/${encodeURIComponent(reference)}/complete`, {
    outcome: 'success',
    secretKey: paystack.secretKey,
  });
}

export const createEndpointRequest = (key: string, url: string): ApiRequest => ({
  method: 'POST',
  path: '/v1/webhook-endpoints',
  headers: bearer(key),
  json: { url, events: ['*'] },
});

export async function createEndpoint(key: string, url: string): Promise<string> {
  const answer = expectStatus(
    await invoke<{ id: string }>(createEndpointRequest(key, url)),
    201,
    'create webhook endpoint',
  );
  return answer.body.id;
}

export interface Payment {
  readonly id: string;
  readonly providerReference: string;
  readonly amount: number;
}

export const paymentAmount = 500_000;

export const createPaymentRequest = (key: string): ApiRequest => ({
  method: 'POST',
  path: '/v1/payments',
  headers: { ...bearer(key), 'idempotency-key': `bench-${randomUUID()}` },
  json: { amount: paymentAmount, currency: 'NGN', customer: { email: 'buyer@example.com' } },
});

export async function createPayment(key: string): Promise<Payment> {
  const answer = expectStatus(
    await invoke<{ id: string; providerReference: string }>(createPaymentRequest(key)),
    201,
    'create payment',
  );
  return { id: answer.body.id, providerReference: answer.body.providerReference, amount: paymentAmount };
}

export const verifyPaymentRequest = (key: string, paymentId: string): ApiRequest => ({
  method: 'POST',
  path: `/v1/payments/${paymentId}/verify`,
  headers: bearer(key),
});

export const getMeRequest = (key: string): ApiRequest => ({
  method: 'GET',
  path: '/v1/me',
  headers: bearer(key),
});

export interface SignedWebhook {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Paystack's `charge.success` for a payment the sandbox has settled, signed with the merchant's secret key. */
export function paystackWebhook(paystack: Paystack, payment: Payment): SignedWebhook {
  const body = JSON.stringify({
    event: 'charge.success',
    data: {
      id: Math.floor(Math.random() * 1e9),
      reference: payment.providerReference,
      amount: payment.amount,
      currency: 'NGN',
      status: 'success',
      paid_at: new Date().toISOString(),
    },
  });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-paystack-signature': createHmac('sha512', paystack.secretKey).update(body).digest('hex'),
    },
  };
}

/** The webhook as API Gateway hands it to the ingest function (direct invocation). */
export const ingestRequest = (paystack: Paystack, hook: SignedWebhook): ApiRequest => ({
  method: 'POST',
  path: `/hooks/paystack/${paystack.token}`,
  headers: { ...hook.headers, 'user-agent': 'Paystack/1.0' },
  raw: hook.body,
  sourceIp: '52.31.139.75',
});

export interface Shop {
  readonly account: Account;
  readonly key: string;
  readonly paystack: Paystack;
  readonly endpointId: string | undefined;
}

/** A merchant ready to take payments: account, test API key, Paystack, optionally a webhook endpoint. */
export async function openShop(
  stack: BenchStack,
  options: { readonly endpointPath?: string; readonly sandboxWebhooks: boolean },
): Promise<Shop> {
  const account = await register();
  const key = await createKey(account);
  const paystack = await configurePaystack(key);
  await sandboxAccount(stack, paystack, options.sandboxWebhooks);
  const endpointId =
    options.endpointPath === undefined
      ? undefined
      : await createEndpoint(key, `${stack.receiver.url}${options.endpointPath}`);
  return { account, key, paystack, endpointId };
}

/** Runs `task` over `items` with at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
