/**
 * The sandbox's own control API under `/_sandbox`, for the local stack and for tests:
 *
 * - `PUT  /_sandbox/{provider}/accounts` `{secretKey, webhookUrl?, webhookSecret?}` — what a merchant
 *   pastes into the provider's dashboard (Paystack signs with the secret key and takes no
 *   webhookSecret; Flutterwave and Chapa need their "secret hash"; Stripe needs `whsec_…`).
 * - `POST /_sandbox/{provider}/knobs` `{latencyMs?, failNext?, hangNext?, declineAll?, webhookRetryDelaysMs?,
 *   holdWebhooks?, webhookDelayMs?}` — answers the knobs now in force. `holdWebhooks: true` completes
 *   payments without sending their webhooks (a lost webhook); `webhookDelayMs` sends each one late.
 * - `POST /_sandbox/{provider}/webhooks/release` — sends the held webhooks now: `{released: n}`.
 * - `POST /_sandbox/{provider}/transactions/{reference}/expire` — the checkout lapses as at the end of
 *   its lifetime (Stripe: `status: expired` and `checkout.session.expired`); 404 for providers without one.
 * - `GET  /_sandbox/{provider}/calls` — `{count, calls: [{method, path, at, status}]}`, API calls only.
 * - `GET  /_sandbox/{provider}/webhooks` — `{count, deliveries: [{id, event, url, attempts, state}]}`.
 * - `POST /_sandbox/{provider}/transactions/{reference}/complete` `{outcome, secretKey?, amount?, currency?}`
 *   — as if the customer clicked Pay or Decline on the checkout page; `amount` (minor units) and
 *   `currency` make the customer pay something other than asked.
 * - `POST /_sandbox/{provider}/knobs` also takes `{refundOutcome?: succeed|fail|hold|action, refundDelayMs?}`.
 * - `POST /_sandbox/{provider}/refunds/{id}/complete` `{outcome: succeeded|failed}` — finishes a held
 *   refund (by the provider's refund id), sending the provider's refund webhook where it has one.
 * - `POST /_sandbox/reset` — forgets accounts, transactions, knobs, calls and pending webhooks.
 *
 * Answers are JSON; errors are `{error: message}`. Secrets are never echoed back.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { completeCheckout, parseOutcome } from './checkout.ts';
import {
  isHttpUrl,
  isProviderName,
  maskKey,
  type Paid,
  type ProviderName,
  parseJsonObject,
  readBody,
  text,
  writeJson,
} from './common.ts';
import { type Knobs, type ProviderRuntime, type RefundOutcome, refundOutcomes } from './runtime.ts';

export async function serveControl(
  runtimes: ReadonlyMap<ProviderName, ProviderRuntime>,
  segments: readonly string[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = req.method ?? 'GET';
  const body = method === 'GET' ? Buffer.alloc(0) : await readBody(req);
  const json = body === undefined ? undefined : parseJsonObject(body);
  if (!json) return writeJson(res, 400, { error: 'The body must be a JSON object' });

  const [first, resource, ...rest] = segments;
  if (first === 'reset' && resource === undefined && method === 'POST') {
    for (const runtime of runtimes.values()) runtime.reset();
    return writeJson(res, 200, { reset: true });
  }
  const runtime = first !== undefined && isProviderName(first) ? runtimes.get(first) : undefined;
  if (!runtime) return writeJson(res, 404, { error: `Unknown sandbox path /_sandbox/${segments.join('/')}` });

  // `transactions/{reference}/complete` is the one path with a parameter.
  const shape =
    (resource === 'transactions' || resource === 'refunds') && rest.length === 2
      ? `${resource}/:ref/${rest[1]}`
      : [resource, ...rest].join('/');
  switch (`${method} ${shape}`) {
    case 'PUT accounts':
      return configureAccount(runtime, json, res);
    case 'POST knobs':
      return setKnobs(runtime, json, res);
    case 'GET calls':
      return writeJson(res, 200, { count: runtime.calls.length, calls: runtime.calls });
    case 'GET webhooks': {
      const deliveries = runtime.webhooks.deliveries();
      return writeJson(res, 200, { count: deliveries.length, deliveries });
    }
    case 'POST webhooks/release':
      return writeJson(res, 200, { provider: runtime.name, released: runtime.webhooks.release() });
    case 'POST transactions/:ref/complete':
      return completeTransaction(runtime, rest[0] ?? '', json, res);
    case 'POST transactions/:ref/expire':
      return lapseTransaction(runtime, rest[0] ?? '', json, res);
    case 'POST refunds/:ref/complete':
      return completeRefund(runtime, rest[0] ?? '', json, res);
    default:
      return writeJson(res, 404, { error: `Unknown sandbox path ${method} /_sandbox/${segments.join('/')}` });
  }
}

function configureAccount(
  runtime: ProviderRuntime,
  body: Record<string, unknown>,
  res: ServerResponse,
): void {
  const face = runtime.face;
  const unknown = Object.keys(body).filter(
    (key) => !['secretKey', 'webhookUrl', 'webhookSecret'].includes(key),
  );
  if (unknown.length > 0) return writeJson(res, 400, { error: `Unknown fields: ${unknown.join(', ')}` });
  const secretKey = text(body.secretKey);
  if (!secretKey || !face.keyPattern.test(secretKey)) {
    return writeJson(res, 400, {
      error: `secretKey must be a ${face.title} test secret key (${face.keyPattern.source})`,
    });
  }
  const webhookUrl = body.webhookUrl === undefined ? undefined : text(body.webhookUrl);
  if (body.webhookUrl !== undefined && (!webhookUrl || !isHttpUrl(webhookUrl))) {
    return writeJson(res, 400, { error: 'webhookUrl must be an http(s) URL' });
  }
  const webhookSecret = body.webhookSecret === undefined ? undefined : text(body.webhookSecret);
  const pattern = face.webhookSecretPattern;
  const secretRefused =
    pattern === undefined
      ? body.webhookSecret !== undefined
      : (webhookUrl !== undefined || body.webhookSecret !== undefined) && !pattern.test(webhookSecret ?? '');
  if (secretRefused) return writeJson(res, 400, { error: face.webhookSecretHint });
  runtime.accounts.set(secretKey, {
    secretKey,
    ...(webhookUrl === undefined ? {} : { webhookUrl }),
    ...(webhookSecret === undefined ? {} : { webhookSecret }),
  });
  return writeJson(res, 200, {
    provider: runtime.name,
    secretKey: maskKey(secretKey),
    webhookUrl: webhookUrl ?? null,
    webhookSecret: webhookSecret === undefined ? null : 'set',
  });
}

function setKnobs(runtime: ProviderRuntime, body: Record<string, unknown>, res: ServerResponse): void {
  const next: Knobs = { ...runtime.knobs };
  for (const [name, value] of Object.entries(body)) {
    switch (name) {
      case 'latencyMs':
      case 'failNext':
      case 'hangNext':
        if (!Number.isSafeInteger(value) || (value as number) < 0) {
          return writeJson(res, 400, { error: `${name} must be a non-negative integer` });
        }
        next[name] = value as number;
        break;
      case 'declineAll':
      case 'holdWebhooks':
        if (typeof value !== 'boolean') return writeJson(res, 400, { error: `${name} must be a boolean` });
        next[name] = value;
        break;
      case 'refundOutcome':
        if (typeof value !== 'string' || !refundOutcomes.includes(value as RefundOutcome)) {
          return writeJson(res, 400, { error: `refundOutcome must be one of ${refundOutcomes.join(', ')}` });
        }
        next.refundOutcome = value as RefundOutcome;
        break;
      case 'refundDelayMs':
        if (!Number.isSafeInteger(value) || (value as number) < 0) {
          return writeJson(res, 400, { error: `${name} must be a non-negative integer` });
        }
        next.refundDelayMs = value as number;
        break;
      case 'webhookDelayMs':
        if (!Number.isSafeInteger(value) || (value as number) < 0) {
          return writeJson(res, 400, { error: `${name} must be a non-negative integer` });
        }
        next.webhookDelayMs = value as number;
        break;
      case 'webhookRetryDelaysMs':
        if (!Array.isArray(value) || !value.every((delay) => Number.isSafeInteger(delay) && delay >= 0)) {
          return writeJson(res, 400, {
            error: 'webhookRetryDelaysMs must be an array of non-negative integers',
          });
        }
        next.webhookRetryDelaysMs = value as number[];
        break;
      default:
        return writeJson(res, 400, { error: `Unknown knob: ${name}` });
    }
  }
  runtime.knobs = next;
  return writeJson(res, 200, { provider: runtime.name, knobs: next });
}

function completeTransaction(
  runtime: ProviderRuntime,
  reference: string,
  body: Record<string, unknown>,
  res: ServerResponse,
): void {
  const outcome = parseOutcome(body.outcome);
  if (!outcome) return writeJson(res, 400, { error: 'outcome must be "success" or "decline"' });
  if (body.amount !== undefined && (!Number.isSafeInteger(body.amount) || (body.amount as number) <= 0)) {
    return writeJson(res, 400, { error: 'amount must be a positive integer (minor units)' });
  }
  if (
    body.currency !== undefined &&
    (typeof body.currency !== 'string' || !/^[A-Z]{3}$/.test(body.currency))
  ) {
    return writeJson(res, 400, { error: 'currency must be an upper-case ISO 4217 code' });
  }
  const paid: Paid = {
    ...(body.amount === undefined ? {} : { amount: body.amount as number }),
    ...(body.currency === undefined ? {} : { currency: body.currency }),
  };
  const secretKey = body.secretKey === undefined ? undefined : text(body.secretKey);
  const ids = runtime.face.checkoutIds(reference, secretKey);
  if (ids.length === 0)
    return writeJson(res, 404, { error: `No ${runtime.face.title} transaction ${reference}` });
  if (ids.length > 1) {
    return writeJson(res, 409, {
      error: `Several keys have a transaction ${reference}: pass secretKey to choose`,
    });
  }
  const completion = completeCheckout(runtime, ids[0] as string, outcome, paid);
  if (!completion) return writeJson(res, 404, { error: `No ${runtime.face.title} transaction ${reference}` });
  if (!completion.ok) return writeJson(res, 409, { status: completion.status, error: completion.message });
  return writeJson(res, 200, {
    provider: runtime.name,
    reference,
    outcome,
    status: completion.status,
    redirectUrl: completion.redirectUrl ?? null,
  });
}

function lapseTransaction(
  runtime: ProviderRuntime,
  reference: string,
  body: Record<string, unknown>,
  res: ServerResponse,
): void {
  const face = runtime.face;
  if (!face.lapse) return writeJson(res, 404, { error: `${face.title} checkouts have no lifetime to lapse` });
  const secretKey = body.secretKey === undefined ? undefined : text(body.secretKey);
  const ids = face.checkoutIds(reference, secretKey);
  if (ids.length !== 1)
    return writeJson(res, 404, { error: `No single ${face.title} transaction ${reference}` });
  const result = face.lapse(ids[0] as string);
  if (!result) return writeJson(res, 404, { error: `No ${face.title} transaction ${reference}` });
  if (!result.ok) return writeJson(res, 409, { status: result.status, error: result.message });
  return writeJson(res, 200, { provider: runtime.name, reference, status: result.status });
}

function completeRefund(
  runtime: ProviderRuntime,
  refundId: string,
  body: Record<string, unknown>,
  res: ServerResponse,
): void {
  const outcome = body.outcome;
  if (outcome !== 'succeeded' && outcome !== 'failed') {
    return writeJson(res, 400, { error: 'outcome must be "succeeded" or "failed"' });
  }
  const result = runtime.face.settleRefund(refundId, outcome);
  if (!result) return writeJson(res, 404, { error: `No ${runtime.face.title} refund ${refundId}` });
  if (!result.ok) return writeJson(res, 409, { status: result.status, error: result.message });
  return writeJson(res, 200, { provider: runtime.name, refund: refundId, status: result.status });
}
