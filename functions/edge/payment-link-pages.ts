import { createHash } from 'node:crypto';
import { amountFieldBounds, formatAmount, type PaymentLink, providerLabels } from '#core/payment-links';
import type { Payment } from '#core/payments';
import type { ProviderName } from '#core/provider-adapter';
import type { HttpReply } from '#edge/http';
import { config } from '#runtime/config';

/**
 * The hosted payment page's HTML: server-rendered, no script, our own CSS (one
 * inline stylesheet allowed by its hash), mobile-first. The Content-Security-
 * Policy allows no third-party request at all; forms may post to this API and
 * follow its redirect to a provider's checkout (https, and the local sandboxes).
 */

const css = `*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b2330;background:#f3f5f8}
main{max-width:30rem;margin:0 auto;padding:1rem}
.card{background:#fff;border:1px solid #d5dbe3;border-radius:12px;padding:1.25rem}
.merchant{margin:0 0 .25rem;font-size:.95rem;color:#4a5566;font-weight:600}
h1{margin:0 0 .5rem;font-size:1.45rem;line-height:1.25}
.description{margin:0 0 1rem;color:#364152;white-space:pre-line}
.amount{margin:.25rem 0 1rem;font-size:2rem;font-weight:700;letter-spacing:-.01em}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
.hint{display:block;font-weight:400;font-size:.9rem;color:#4a5566}
input{display:block;width:100%;font:inherit;padding:.7rem .75rem;border:1px solid #7b8595;border-radius:8px;background:#fff;color:inherit}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid #1d5fd6;outline-offset:2px}
fieldset{border:0;margin:1.25rem 0 0;padding:0}
legend{font-weight:600;margin-bottom:.5rem;padding:0}
.methods{display:grid;gap:.6rem}
button{display:block;width:100%;min-height:3rem;font:inherit;font-weight:600;padding:.75rem 1rem;border:0;border-radius:8px;background:#14489e;color:#fff;text-align:left;cursor:pointer}
button:hover{background:#0f3a80}
.via{display:block;font-weight:400;font-size:.85rem;color:#dbe6fb}
.error{margin:.75rem 0 0;padding:.6rem .75rem;border-radius:8px;background:#fdecec;color:#8a1111;border:1px solid #f2b8b8}
.status{font-size:1.2rem;font-weight:700}
.ok{color:#136c2e}.bad{color:#8a1111}.wait{color:#6b4a00}
a.action{display:inline-block;margin-top:1rem;padding:.7rem 1rem;border-radius:8px;background:#14489e;color:#fff;text-decoration:none;font-weight:600}
.muted{color:#4a5566;font-size:.9rem}
footer{margin:1rem 0;text-align:center;color:#4a5566;font-size:.85rem}
@media (min-width:40rem){main{padding:2.5rem 1rem}.card{padding:2rem}}`;

const styleHash = `'sha256-${createHash('sha256').update(css).digest('base64')}'`;

/** Where the page's form may go: this API, and its 303 to a checkout (https, or a local sandbox). */
function formTargets(): string {
  const c = config();
  const sandboxes = [c.PAYSTACK_BASE_URL, c.FLUTTERWAVE_BASE_URL, c.STRIPE_BASE_URL, c.CHAPA_BASE_URL]
    .filter((u): u is string => u !== undefined && u.startsWith('http:'))
    .map((u) => new URL(u).origin);
  return ["'self'", 'https:', ...new Set(sandboxes)].join(' ');
}

export function pageCsp(): string {
  return [
    "default-src 'none'",
    `style-src ${styleHash}`,
    "img-src 'self' data:",
    `form-action ${formTargets()}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => entities[c] as string);

function document(title: string, body: string, options: { refreshSeconds?: number } = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${options.refreshSeconds ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">\n` : ''}<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${css}</style>
</head>
<body>
<main>
${body}
<footer>Secured by PayBridge</footer>
</main>
</body>
</html>
`;
}

/** An HTML answer with the page's headers; never cached (the form carries a one-time token). */
export function htmlReply(status: number, html: string, headers: Record<string, string> = {}): HttpReply {
  return {
    status,
    text: html,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': pageCsp(),
      'cache-control': 'no-store',
      ...headers,
    },
  };
}

/** A short page that explains itself: a missing, closed or refused link, an error. */
export function messagePage(
  status: number,
  heading: string,
  message: string,
  extra: {
    merchant?: string;
    action?: { href: string; text: string };
    headers?: Record<string, string>;
  } = {},
): HttpReply {
  const body = `<div class="card">
${extra.merchant ? `<p class="merchant">${escapeHtml(extra.merchant)}</p>\n` : ''}<h1>${escapeHtml(heading)}</h1>
<p>${escapeHtml(message)}</p>
${extra.action ? `<a class="action" href="${escapeHtml(extra.action.href)}">${escapeHtml(extra.action.text)}</a>` : ''}
</div>`;
  return htmlReply(status, document(heading, body), extra.headers);
}

export interface FormState {
  token: string;
  email?: string;
  amount?: string;
  error?: string;
}

/** The payment page: what is paid for, the email (and amount) fields, one button per provider. */
export function paymentPage(
  link: PaymentLink,
  merchantName: string,
  providers: readonly ProviderName[],
  form: FormState,
  status = 200,
): HttpReply {
  const amount =
    link.amount !== null
      ? `<p class="amount">${escapeHtml(formatAmount(link.amount, link.currency))}</p>`
      : '';
  const bounds = link.allowCustomerAmount ? amountFieldBounds(link.allowCustomerAmount, link.currency) : null;
  const amountField =
    link.allowCustomerAmount && bounds
      ? `<label for="amount">Amount <span class="hint" id="amount-hint">${escapeHtml(link.currency)}, from ${escapeHtml(formatAmount(link.allowCustomerAmount.min, link.currency))} to ${escapeHtml(formatAmount(link.allowCustomerAmount.max, link.currency))}</span></label>
<input id="amount" name="amount" type="number" inputmode="decimal" required min="${bounds.min}" max="${bounds.max}" step="${bounds.step}" aria-describedby="amount-hint"${form.amount ? ` value="${escapeHtml(form.amount)}"` : ''}>`
      : '';
  const buttons = providers
    .map((p) => {
      const { label, name } = providerLabels[p];
      const via = label.includes(name) ? '' : ` <span class="via">via ${escapeHtml(name)}</span>`;
      return `<button type="submit" name="provider" value="${p}">${escapeHtml(label)}${via}</button>`;
    })
    .join('\n');
  const error = form.error
    ? `<p class="error" role="alert" id="form-error">${escapeHtml(form.error)}</p>`
    : '';
  const body = `<div class="card">
<p class="merchant">${escapeHtml(merchantName)}</p>
<h1>${escapeHtml(link.title)}</h1>
${link.description ? `<p class="description">${escapeHtml(link.description)}</p>\n` : ''}${amount}
<form method="post" action="/pay/${escapeHtml(link.slug)}">
<input type="hidden" name="token" value="${escapeHtml(form.token)}">
${amountField}
<label for="email">Email <span class="hint" id="email-hint">For your payment receipt.</span></label>
<input id="email" name="email" type="email" autocomplete="email" required aria-describedby="email-hint"${form.email ? ` value="${escapeHtml(form.email)}"` : ''}>
${error}
<fieldset>
<legend>Choose how to pay</legend>
<div class="methods">
${buttons}
</div>
</fieldset>
</form>
</div>`;
  return htmlReply(status, document(`${link.title} · ${merchantName}`, body));
}

/** After the provider: the payment's status; pending refreshes itself until settled. */
export function donePage(link: PaymentLink, merchantName: string, payment: Payment): HttpReply {
  const paid = formatAmount(payment.amount, payment.currency);
  const pending = payment.status === 'pending' || payment.status === 'processing';
  const succeeded =
    payment.status === 'succeeded' ||
    payment.status === 'partially_refunded' ||
    payment.status === 'refunded';
  const [cls, heading, message] = succeeded
    ? ['ok', 'Payment succeeded', `${paid} paid to ${merchantName}. Thank you.`]
    : pending
      ? [
          'wait',
          'Waiting for confirmation',
          `We are waiting for ${providerLabels[payment.provider].name} to confirm your payment of ${paid}. This page refreshes by itself.`,
        ]
      : payment.status === 'requires_review'
        ? [
            'wait',
            'Payment under review',
            `${merchantName} will check this payment of ${paid} and contact you.`,
          ]
        : [
            'bad',
            `Payment ${payment.status}`,
            `Your payment of ${paid} did not go through. No money was taken.`,
          ];
  const next = succeeded
    ? link.redirectUrl
      ? `<a class="action" href="${escapeHtml(link.redirectUrl)}">Continue to ${escapeHtml(merchantName)}</a>`
      : ''
    : pending || payment.status === 'requires_review'
      ? ''
      : `<a class="action" href="/pay/${escapeHtml(link.slug)}">Try again</a>`;
  const body = `<div class="card">
<p class="merchant">${escapeHtml(merchantName)}</p>
<h1>${escapeHtml(link.title)}</h1>
<p class="status ${cls}" role="status">${escapeHtml(heading)}</p>
<p>${escapeHtml(message)}</p>
<p class="muted">Payment ${escapeHtml(payment.id)} · status: ${escapeHtml(payment.status)}</p>
${next}
</div>`;
  return htmlReply(200, document(heading, body, pending ? { refreshSeconds: 3 } : {}));
}
