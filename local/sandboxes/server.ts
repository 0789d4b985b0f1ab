/**
 * The provider sandboxes of the local stack: one HTTP server on 127.0.0.1 with four faces
 * that speak Paystack's, Flutterwave's, Stripe's and Chapa's published REST APIs under path
 * prefixes, so `${baseUrls.paystack}/transaction/initialize` is Paystack's own path. Each face
 * has a hosted checkout page with Pay and Decline buttons; completing a payment sends that
 * provider's webhook, signed as the provider signs it, to the URL configured for the account,
 * and retries it on a fast schedule when the receiver does not accept it. `/_sandbox` is the
 * control API for accounts, knobs, call and delivery logs (see control.ts).
 *
 * Per API call, in order: the call is logged; `hangNext` leaves it unanswered; `latencyMs`
 * delays it; `failNext` answers 503 in the provider's error shape; then the bearer key is
 * checked (401 in the provider's shape) and the face answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createChapaFace } from './chapa.ts';
import { serveCheckout } from './checkout.ts';
import {
  type ApiResponse,
  bearerToken,
  type Face,
  type FaceContext,
  isProviderName,
  type ProviderName,
  providerNames,
  readBody,
  writeJson,
} from './common.ts';
import { serveControl } from './control.ts';
import { createFlutterwaveFace } from './flutterwave.ts';
import { createPaystackFace } from './paystack.ts';
import { ProviderRuntime } from './runtime.ts';
import { createStripeFace } from './stripe.ts';

export interface SandboxOptions {
  /**
   * Delays before each webhook retry, in ms; the length is the number of retries. Default
   * `[1000, 3000, 10000]`, a fast stand-in for the real schedules (Paystack: every 3 min ×4 then
   * hourly to 72 h in live mode; Stripe: up to 3 days live, 3 times over a few hours in test
   * mode; Flutterwave: opt-in in the dashboard; Chapa: not documented). Tests can change it per
   * provider with the `webhookRetryDelaysMs` knob.
   */
  readonly webhookRetryDelaysMs?: readonly number[];
  /** How long a webhook receiver may take before the attempt counts as failed. Default 5000 ms. */
  readonly webhookTimeoutMs?: number;
  /** Where the sandbox reports given-up webhook deliveries and its own errors. */
  readonly log?: (line: string) => void;
}

export interface Sandboxes {
  readonly url: string;
  readonly port: number;
  /** What a provider adapter uses as its base URL, e.g. `http://127.0.0.1:4010/paystack`. */
  readonly baseUrls: Readonly<Record<ProviderName, string>>;
  stop(): Promise<void>;
}

const faceFactories: Record<ProviderName, (context: FaceContext) => Face> = {
  paystack: createPaystackFace,
  flutterwave: createFlutterwaveFace,
  stripe: createStripeFace,
  chapa: createChapaFace,
};

/** Starts the four provider sandboxes on 127.0.0.1:`port` (0 = any free port). */
export async function startSandboxes(port: number, options: SandboxOptions = {}): Promise<Sandboxes> {
  let url = '';
  const runtimes = new Map<ProviderName, ProviderRuntime>();
  for (const name of providerNames) {
    const runtime = new ProviderRuntime(name, faceFactories[name], () => `${url}/${name}`, {
      webhookRetryDelaysMs: options.webhookRetryDelaysMs ?? [1000, 3000, 10_000],
      webhookTimeoutMs: options.webhookTimeoutMs ?? 5000,
      ...(options.log ? { log: options.log } : {}),
    });
    runtimes.set(name, runtime);
  }
  /** Aborted on stop, so no latency timer outlives the server. */
  const lifetime = new AbortController();

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      options.log?.(`sandbox error: ${error instanceof Error ? error.message : String(error)}`);
      if (res.headersSent) res.destroy();
      else writeJson(res, 500, { error: 'Internal sandbox error' });
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = new URL(req.url ?? '/', 'http://127.0.0.1');
    const segments = decodeSegments(target.pathname);
    if (!segments) return writeJson(res, 400, { error: 'Malformed path' });
    const [head, ...rest] = segments;
    if (head === '_sandbox') return serveControl(runtimes, rest, req, res);
    const runtime = head !== undefined && isProviderName(head) ? runtimes.get(head) : undefined;
    if (!runtime) {
      return writeJson(res, 404, {
        error: `No sandbox at ${target.pathname}: the faces are /${providerNames.join(', /')} and the control API /_sandbox`,
      });
    }
    if (rest[0] === 'checkout') return serveCheckout(runtime, rest.slice(1), req, res);
    const path = target.pathname.slice(`/${head}`.length) || '/';
    return serveApi(runtime, path, target, req, res);
  }

  async function serveApi(
    runtime: ProviderRuntime,
    path: string,
    target: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const call = runtime.recordCall(method, `${path}${target.search}`);
    const knobs = runtime.knobs;
    if (knobs.hangNext > 0) {
      knobs.hangNext -= 1;
      req.resume(); // drain the body, never answer: the client's timeout decides
      return;
    }
    const body = await readBody(req);
    if (knobs.latencyMs > 0)
      await sleep(knobs.latencyMs, undefined, { signal: lifetime.signal }).catch(() => undefined);
    const face = runtime.face;
    const answer = (response: ApiResponse) => {
      call.status = response.status;
      writeJson(res, response.status, response.body, response.headers);
    };
    if (runtime.knobs.failNext > 0) {
      runtime.knobs.failNext -= 1;
      return answer(face.unavailable());
    }
    const authorization = req.headers.authorization;
    if (authorization === undefined) return answer(face.missingKey());
    const secretKey = bearerToken(authorization);
    if (secretKey === undefined || !face.keyPattern.test(secretKey)) return answer(face.invalidKey());
    if (body === undefined) {
      call.status = 413;
      return writeJson(res, 413, { error: 'Request body too large' });
    }
    const request = { method, path, query: target.searchParams, headers: req.headers, body, secretKey };
    return answer(face.handle(request) ?? face.notFound(method, path));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  url = `http://127.0.0.1:${actualPort}`;
  const baseUrls = Object.fromEntries(providerNames.map((name) => [name, `${url}/${name}`])) as Record<
    ProviderName,
    string
  >;

  return {
    url,
    port: actualPort,
    baseUrls,
    stop: async () => {
      lifetime.abort();
      for (const runtime of runtimes.values()) runtime.webhooks.stop();
      await close(server);
    },
  };
}

function decodeSegments(pathname: string): string[] | undefined {
  try {
    return pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Hung calls (hangNext) and keep-alive sockets would otherwise hold the server open.
    server.closeAllConnections();
  });
}
