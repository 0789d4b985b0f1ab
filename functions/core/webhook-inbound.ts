import type { Mode } from './actor.ts';
import type { PaymentActivityLog, ProviderWebhookOutcome } from './payment-activity.ts';
import { type PaymentDeps, settlePayment } from './payments.ts';
import type {
  ParsedWebhook,
  ProviderAdapter,
  ProviderCredentials,
  ProviderName,
  SignatureCheck,
} from './provider-adapter.ts';
import type { WebhookTarget } from './providers.ts';
import { type RefundDeps, syncOpenRefunds } from './refunds.ts';
import { clockOf, type SecurityEventWriter, type WebhookDeps } from './webhooks.ts';

/**
 * Provider webhooks in: what to do with one, once the ingest route has put its
 * untouched bytes on the queue. Token → configuration → signature → parse →
 * ownership → the one settle path (`settlePayment`), which asks the provider and
 * never trusts the webhook's claim, and whose write de-duplicates (conditioned on
 * the processed-event item).
 */

/** A provider webhook as received: nothing parsed, nothing trusted. */
export interface ProviderWebhook {
  provider: ProviderName;
  /** The secret token of the URL it came to (names the merchant, mode and provider). */
  token: string;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string>>;
  /** The bytes the signature covers. */
  rawBody: Buffer;
  sourceIp: string;
  /** Whom the token named at ingest (our own lookup, not the provider's claim): spares a read. */
  target?: { merchantId: string; mode: Mode } | undefined;
}

/**
 * What became of one provider webhook:
 * - `applied`: the payment moved and merchants' deliveries are queued;
 * - `duplicate`: this provider event was processed before;
 * - `ignored`: signed and ours, but it changes nothing (late, out of order, another type);
 * - `rejected`: unknown token, bad signature, stale timestamp: dropped, never retried;
 * - `retry`: not decidable yet (provider says not paid yet, or the payment moved meanwhile).
 */
export type InboundOutcome = ProviderWebhookOutcome;

export interface InboundDeps extends WebhookDeps {
  /** The payments domain: the one settle path. */
  readonly payments: PaymentDeps;
  /** The refunds domain: a refund webhook is a hint to re-read the payment's open refunds. */
  readonly refunds: RefundDeps;
  readonly adapter: (
    provider: ProviderName,
  ) => Pick<ProviderAdapter, 'verifyWebhookSignature' | 'parseWebhook'>;
  /** Whom a webhook URL's token belongs to. */
  readonly findTarget: (token: string) => Promise<WebhookTarget | undefined>;
  /** The merchant's provider configuration, with its secrets still sealed. */
  readonly providerConfig: (
    merchantId: string,
    mode: Mode,
    provider: ProviderName,
  ) => Promise<{ webhookToken: string; credentials(): Promise<ProviderCredentials> } | undefined>;
  /** True once this URL has delivered body signatures (a static-secret delivery is then a downgrade). */
  readonly sendsBodySignatures: (token: string) => Promise<boolean>;
  readonly rememberBodySignatures: (token: string) => Promise<void>;
  /** Our payment attempt for a provider reference (`ref_…`). */
  readonly findAttempt: (
    provider: ProviderName,
    reference: string,
  ) => Promise<{ merchantId: string; mode: Mode; paymentId: string } | undefined>;
  readonly securityEvent: SecurityEventWriter;
  /** A webhook whose signature was accepted (provider health: `lastWebhookAt`). */
  readonly webhookAccepted: (target: WebhookTarget) => Promise<void>;
  /** The payments' timelines (best effort). */
  readonly activity?: PaymentActivityLog;
  /** Fault injection for the reliability tests: throw here to simulate a crash after reconciliation. */
  readonly faults?: { afterReconcile?: (() => void) | undefined };
}

/** What the decision found out, for the payment's timeline. */
interface Verdict {
  outcome: InboundOutcome;
  /** The signature was checked: valid or rejected (absent when it never got that far). */
  signature?: 'valid' | 'rejected';
  reason?: string;
  target?: { merchantId: string; mode: Mode };
  paymentId?: string;
  providerEventId?: string;
}

/** Processes one provider webhook (the verify worker's record) and records it on the payment's timeline. */
export async function processProviderEvent(
  deps: InboundDeps,
  webhook: ProviderWebhook,
  requestId: string,
): Promise<InboundOutcome> {
  const verdict = await decide(deps, webhook, requestId);
  if (deps.activity && verdict.signature && verdict.target && verdict.paymentId) {
    try {
      await deps.activity.record({
        kind: 'provider_webhook',
        merchantId: verdict.target.merchantId,
        mode: verdict.target.mode,
        paymentId: verdict.paymentId,
        provider: webhook.provider,
        at: new Date(clockOf(deps)).toISOString(),
        signature: verdict.signature,
        outcome: verdict.outcome,
        ...(verdict.reason === undefined ? {} : { reason: verdict.reason }),
        ...(verdict.providerEventId === undefined ? {} : { providerEventId: verdict.providerEventId }),
      });
    } catch (error) {
      // The timeline is best effort: the money path has finished and must not fail for it.
      deps.telemetry.log('warn', 'could not record payment activity', {
        provider: webhook.provider,
        paymentId: verdict.paymentId,
        error: error instanceof Error ? error.name : 'unknown',
      });
    }
  }
  return verdict.outcome;
}

async function decide(deps: InboundDeps, webhook: ProviderWebhook, requestId: string): Promise<Verdict> {
  const { provider } = webhook;
  const found = webhook.target ? { ...webhook.target, provider } : await deps.findTarget(webhook.token);
  if (!found || found.provider !== provider) {
    deps.telemetry.log('warn', 'provider webhook for an unknown token', { provider });
    return { outcome: 'rejected' };
  }
  const target = { merchantId: found.merchantId, mode: found.mode };
  const config = await deps.providerConfig(target.merchantId, target.mode, provider);
  // The configuration's own URL only: a removed configuration's (even if configured again since,
  // under a new token) is refused here, as ingest accepts a signed token without a read.
  if (!config || config.webhookToken !== webhook.token) {
    deps.telemetry.log('warn', 'provider webhook for a removed configuration', {
      provider,
      merchantId: target.merchantId,
    });
    return { outcome: 'rejected' };
  }
  const adapter = deps.adapter(provider);
  const check = await checkSignature(deps, webhook, await config.credentials());
  if (!check.ok) {
    await deps.securityEvent(
      target.merchantId,
      'webhook_signature_rejected',
      { ip: webhook.sourceIp, userAgent: webhook.headers['user-agent'] ?? '', requestId },
      { provider, reason: check.reason, mode: target.mode },
    );
    deps.telemetry.log('warn', 'provider webhook signature rejected', {
      provider,
      reason: check.reason,
      merchantId: target.merchantId,
    });
    // Which payment it claims to be about, for the payment's timeline only (nothing in it is trusted):
    // the claim is believed only for this merchant and mode's own payments.
    const claimed = await claimedPayment(deps, webhook, target);
    return { outcome: 'rejected', signature: 'rejected', reason: check.reason, target, ...claimed };
  }
  if (check.scheme === 'body') await deps.rememberBodySignatures(webhook.token);
  // Counted only once the signature is accepted: a wrong secret must look like silence to the
  // provider-silence alarm (beside the sweeper's SettledByReconciliation), not like webhooks arriving.
  deps.telemetry.count('WebhooksReceived', { Provider: provider, Mode: target.mode });
  await deps.webhookAccepted({ ...target, provider });
  let parsed: ParsedWebhook;
  try {
    parsed = adapter.parseWebhook(webhook.rawBody);
  } catch {
    deps.telemetry.log('warn', 'signed provider webhook we cannot read', {
      provider,
      merchantId: target.merchantId,
    });
    return { outcome: 'rejected' };
  }
  if (parsed.kind === 'ignored') return { outcome: 'ignored' };
  const valid = { signature: 'valid' as const, target, providerEventId: parsed.eventId };
  if (parsed.kind === 'refund') return { ...valid, ...(await refundHint(deps, provider, target, parsed)) };

  // Ownership first, duplicates second: a merchant signs its own webhooks (it
  // chose the secret), so its events may only ever touch its own payments and
  // its own dedupe records, never claim an event id before another merchant's.
  const attempt = await ownAttempt(deps, provider, parsed.reference, target);
  if (!attempt) {
    deps.telemetry.log('warn', 'provider webhook for a payment we do not know here', {
      provider,
      merchantId: target.merchantId,
    });
    return { outcome: 'ignored' };
  }
  const ours = { ...valid, paymentId: attempt.paymentId };
  // Our reference is part of the identity: provider ids can be guessed (Flutterwave's
  // is its global transaction number, Chapa's its reference), ours belongs to one payment.
  const identity = `${parsed.reference}#${parsed.eventId}`;
  // No dedupe read before settling: the transaction's condition on the processed-event item decides
  // (exactly once), and only a duplicate reads that item, to re-queue what its first run may have left.
  const duplicate = async (): Promise<Verdict> => {
    const prior = await deps.store.getProviderEvent(attempt.merchantId, attempt.mode, provider, identity);
    if (prior) await requeuePending(deps, prior);
    return { ...ours, outcome: 'duplicate' };
  };

  // The one settle path (shared with POST /verify and the sweeper); never trusts the webhook's claim.
  const result = await settlePayment(deps.payments, attempt.merchantId, attempt.mode, attempt.paymentId, {
    via: 'webhook',
    providerEvent: { provider, eventId: identity, type: parsed.type },
    afterVerdict: () => deps.faults?.afterReconcile?.(),
  });
  switch (result.outcome) {
    case 'missing':
      return { ...ours, outcome: 'ignored', reason: 'payment_missing' };
    case 'moved':
      return { ...ours, outcome: 'applied' };
    case 'duplicate':
      return duplicate();
    case 'stale':
      return { ...ours, outcome: 'retry', reason: 'payment_moved' }; // the payment kept moving: decide on redelivery
    case 'unchanged': {
      if (result.verdict?.status === 'pending' && parsed.claimedStatus !== 'pending') {
        // The provider has not settled yet: leave the event unprocessed so a redelivery decides.
        return { ...ours, outcome: 'retry', reason: 'provider_not_settled' };
      }
      const recorded = await deps.store.recordIgnoredProviderEvent(provider, identity, {
        type: parsed.type,
        merchantId: result.payment.merchantId,
        mode: result.payment.mode,
        paymentId: result.payment.id,
        reason: result.reason,
        now: new Date(clockOf(deps)).toISOString(),
      });
      return recorded === 'duplicate' ? duplicate() : { ...ours, outcome: 'ignored', reason: result.reason };
    }
  }
}

/**
 * The adapter's signature check, with one rule of ours on top: a URL that has
 * delivered body signatures before refuses a delivery with only the static secret
 * (Flutterwave's verif-hash) — a downgrade, i.e. someone replaying a seen secret.
 */
async function checkSignature(
  deps: InboundDeps,
  webhook: ProviderWebhook,
  credentials: ProviderCredentials,
): Promise<SignatureCheck> {
  const check = deps
    .adapter(webhook.provider)
    .verifyWebhookSignature(webhook.rawBody, webhook.headers, credentials, new Date(clockOf(deps)));
  if (check.ok && check.scheme === 'static' && (await deps.sendsBodySignatures(webhook.token))) {
    return { ok: false, reason: 'legacy_signature_refused' };
  }
  return check;
}

/** This merchant and mode's attempt for a reference; undefined for anyone else's. */
async function ownAttempt(
  deps: InboundDeps,
  provider: ProviderName,
  reference: string,
  target: { merchantId: string; mode: Mode },
) {
  const attempt = await deps.findAttempt(provider, reference);
  return attempt && attempt.merchantId === target.merchantId && attempt.mode === target.mode
    ? attempt
    : undefined;
}

/** The payment a rejected webhook names, if it names one of this merchant's (for its timeline only). */
async function claimedPayment(
  deps: InboundDeps,
  webhook: ProviderWebhook,
  target: { merchantId: string; mode: Mode },
): Promise<{ paymentId?: string; providerEventId?: string }> {
  let parsed: ParsedWebhook;
  try {
    parsed = deps.adapter(webhook.provider).parseWebhook(webhook.rawBody);
  } catch {
    return {};
  }
  if (parsed.kind !== 'payment') return {};
  const attempt = await ownAttempt(deps, webhook.provider, parsed.reference, target);
  return attempt ? { paymentId: attempt.paymentId } : {};
}

/**
 * A refund webhook is a hint: it names a payment (or our refund), and the
 * payment's open refunds are read from the provider's refund lookup. Ownership
 * first: only refunds and payments of the merchant and mode whose URL it came
 * in on. Duplicates and out-of-order deliveries change nothing, since a refund
 * moves only when the provider's own lookup says so, once (conditional write).
 */
async function refundHint(
  deps: InboundDeps,
  provider: ProviderName,
  target: { merchantId: string; mode: Mode },
  parsed: Extract<ParsedWebhook, { kind: 'refund' }>,
): Promise<Pick<Verdict, 'outcome' | 'paymentId'>> {
  let paymentId: string | undefined;
  if (parsed.refundId) {
    paymentId = (await deps.refunds.store.getRefund(target.merchantId, target.mode, parsed.refundId))
      ?.paymentId;
  }
  if (!paymentId && parsed.reference) {
    paymentId = (await ownAttempt(deps, provider, parsed.reference, target))?.paymentId;
  }
  if (!paymentId) {
    deps.telemetry.log('warn', 'refund webhook for a payment we do not know here', {
      provider,
      merchantId: target.merchantId,
    });
    return { outcome: 'ignored' };
  }
  const moved = await syncOpenRefunds(deps.refunds, { ...target, id: paymentId });
  return { outcome: moved > 0 ? 'applied' : 'ignored', paymentId };
}

/**
 * A duplicate of an applied event re-queues that event's pending deliveries: if
 * the first run crashed after its write but before enqueueing, nothing is lost.
 * The deliver worker claims each attempt, so a second message sends nothing twice.
 */
async function requeuePending(
  deps: WebhookDeps,
  prior: { eventId: string | null; merchantId: string; mode: Mode },
): Promise<void> {
  if (!prior.eventId) return;
  const pending = (await deps.store.deliveriesOfEvent(prior.merchantId, prior.mode, prior.eventId)).filter(
    (d) => d.status === 'pending' && d.attemptCount === 0,
  );
  if (pending.length > 0) await deps.queue.enqueue(pending, clockOf(deps));
}
