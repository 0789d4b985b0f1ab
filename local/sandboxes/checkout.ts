/**
 * The hosted checkout page all four faces share: `GET /{provider}/checkout/{id}` shows the
 * amount and two plain-HTML buttons, `POST /{provider}/checkout/{id}/complete` with
 * `outcome=success|decline` (form-encoded from the page, or JSON from a test) settles the
 * transaction and lets the face send its webhook. A browser is redirected where the provider
 * would send the customer; a JSON caller gets the result as JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type CheckoutView,
  type Completion,
  type Face,
  mediaType,
  type Outcome,
  type Paid,
  parseJsonOrForm,
  readBody,
  writeHtml,
  writeJson,
} from './common.ts';
import type { ProviderRuntime } from './runtime.ts';

/** Settles a transaction as the customer chose, unless the `declineAll` knob overrides it. */
export function completeCheckout(
  runtime: ProviderRuntime,
  checkoutId: string,
  outcome: Outcome,
  paid?: Paid,
): Completion | undefined {
  return runtime.face.complete(checkoutId, runtime.knobs.declineAll ? 'decline' : outcome, paid);
}

export function parseOutcome(value: unknown): Outcome | undefined {
  return value === 'success' || value === 'decline' ? value : undefined;
}

/** Serves `/{provider}/checkout/{id}` and `/{provider}/checkout/{id}/complete`; `rest` is what follows `checkout`. */
export async function serveCheckout(
  runtime: ProviderRuntime,
  rest: readonly string[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const face = runtime.face;
  const [checkoutId, action, ...extra] = rest;
  const method = req.method ?? 'GET';
  if (checkoutId === undefined || extra.length > 0 || (action !== undefined && action !== 'complete')) {
    return writeHtml(res, 404, page(face.title, '<p>This payment page does not exist.</p>'));
  }
  if (action === undefined) {
    if (method !== 'GET') return writeHtml(res, 405, page(face.title, '<p>Method not allowed.</p>'));
    const view = face.view(checkoutId);
    if (!view) return writeHtml(res, 404, page(face.title, '<p>This payment page does not exist.</p>'));
    return writeHtml(res, 200, checkoutPage(face, checkoutId, view));
  }

  if (method !== 'POST') return writeHtml(res, 405, page(face.title, '<p>Method not allowed.</p>'));
  const body = await readBody(req);
  const wantsJson = mediaType(req.headers) === 'application/json';
  const fields = body === undefined ? undefined : parseJsonOrForm(req.headers, body);
  const outcome = parseOutcome(fields?.outcome);
  if (!outcome) {
    const message = 'outcome must be "success" or "decline"';
    return wantsJson
      ? writeJson(res, 400, { error: message })
      : writeHtml(res, 400, page(face.title, `<p>${message}</p>`));
  }
  const completion = completeCheckout(runtime, checkoutId, outcome);
  if (!completion) {
    return wantsJson
      ? writeJson(res, 404, { error: 'No such checkout' })
      : writeHtml(res, 404, page(face.title, '<p>This payment page does not exist.</p>'));
  }
  if (wantsJson) {
    return completion.ok
      ? writeJson(res, 200, {
          provider: face.name,
          outcome,
          status: completion.status,
          redirectUrl: completion.redirectUrl ?? null,
        })
      : writeJson(res, 409, { provider: face.name, status: completion.status, error: completion.message });
  }
  if (completion.ok && completion.redirectUrl) {
    res.writeHead(303, { location: completion.redirectUrl, 'content-length': 0 });
    res.end();
    return;
  }
  const view = face.view(checkoutId);
  return writeHtml(
    res,
    completion.ok ? 200 : 409,
    view ? checkoutPage(face, checkoutId, view) : page(face.title, ''),
  );
}

function checkoutPage(face: Face, checkoutId: string, view: CheckoutView): string {
  const action = `/${face.name}/checkout/${encodeURIComponent(checkoutId)}/complete`;
  const rows = [
    ['Reference', view.reference],
    ['Customer', view.customer],
    ['Status', view.status],
  ]
    .filter((row): row is [string, string] => row[1] !== undefined)
    .map(([name, value]) => `<dt>${escape(name)}</dt><dd>${escape(value)}</dd>`)
    .join('');
  const notice = view.notice ? `<p class="notice" role="alert">${escape(view.notice)}</p>` : '';
  const form = view.open
    ? `<form method="post" action="${escape(action)}">
  <button type="submit" name="outcome" value="success">Pay</button>
  <button type="submit" name="outcome" value="decline">Decline</button>
</form>`
    : '<p>This payment is closed.</p>';
  return page(face.title, `<p class="amount">${escape(view.amount)}</p><dl>${rows}</dl>${notice}${form}`);
}

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} checkout (sandbox)</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; color: #1f2933; }
.amount { font-size: 2rem; font-weight: 600; margin: 0.5rem 0 1rem; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 0.25rem 1rem; }
dt { color: #616e7c; }
dd { margin: 0; word-break: break-all; }
.notice { color: #ab091e; }
button { font-size: 1rem; padding: 0.5rem 1.5rem; margin-right: 0.5rem; cursor: pointer; }
</style>
</head>
<body>
<main>
<h1>${escape(title)} <small>sandbox checkout</small></h1>
${content}
</main>
</body>
</html>
`;
}

function escape(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
