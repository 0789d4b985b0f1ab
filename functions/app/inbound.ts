import { settlePayment } from '#core/payments';
import { syncOpenRefunds } from '#core/refunds';
import { refundsStore } from '#store/refunds';
import { refunds } from '#app/refunds';
import { type Delivery, deliveryMessage } from '#core/webhooks';
import { adapterFor } from '#providers/index';
import type { ParsedWebhook, ProviderName } from '#core/provider-adapter';
import { findAttempt } from '#store/payments';
import { findWebhookToken, markBodySignatures, sendsBodySignatures } from '#store/providers';
import { recordSecurityEvent } from '#store/security-events';
import { deliveriesOfEvent, getProviderEvent, recordIgnoredProviderEvent } from '#store/webhooks';
import { logger } from '#runtime/logger';
import { payments, providerConfig } from '#app/payments';
import { enqueueDeliveries, type ProviderEventMessage } from '#runtime/queues';
import { recordWebhookReceived } from '#app/provider-health';
import { emitCount } from '#app/silence';

/**
 * What became of one provider webhook:
 * - `applied`: the payment moved and merchants' deliveries are queued;
 * - `duplicate`: this provider event was processed before;
 * - `ignored`: signed and ours, but it changes nothing (late, out of order, another type);
 * - `rejected`: unknown token, bad signature, stale timestamp: dropped, never retried;
 * - `retry`: not decidable yet (provider says not paid yet, or the payment moved meanwhile).
 */
export type InboundOutcome = 'applied' | 'duplicate' | 'ignored' | 'rejected' | 'retry';

/** Fault injection for the reliability tests: throw here to simulate a crash after reconciliation. */
export const inboundFaults: { afterReconcile?: (() => void) | undefined } = {};

export async function processProviderEvent(
  message: ProviderEventMessage,
  requestId: string,
): Promise<InboundOutcome> {
  const provider = message.provider as ProviderName;
  const target = message.target ? { ...message.target, provider } : await findWebhookToken(message.token);
  if (!target || target.provider !== provider) {
    logger.warn('provider webhook for an unknown token', { provider });
    return 'rejected';
  }
  const config = await providerConfig(target.merchantId, target.mode, provider);
  if (!config) {
    logger.warn('provider webhook for a removed configuration', { provider, merchantId: target.merchantId });
    return 'rejected';
  }
  const adapter = adapterFor(provider);
  const raw = Buffer.from(message.body, 'base64');
  let check = adapter.verifyWebhookSignature(raw, message.headers, await config.credentials(), new Date());
  if (check.ok && check.scheme === 'static' && (await sendsBodySignatures(message.token))) {
    // This URL has delivered body signatures before: a delivery with only the static
    // secret (Flutterwave's verif-hash) now is a downgrade, i.e. someone replaying a seen secret.
    check = { ok: false, reason: 'legacy_signature_refused' };
  }
  if (!check.ok) {
    await recordSecurityEvent(
      target.merchantId,
      'webhook_signature_rejected',
      { ip: message.sourceIp, userAgent: message.headers['user-agent'] ?? '', requestId },
      { provider, reason: check.reason, mode: target.mode },
    );
    logger.warn('provider webhook signature rejected', {
      provider,
      reason: check.reason,
      merchantId: target.merchantId,
    });
    return 'rejected';
  }
  if (check.scheme === 'body') await rememberBodySignatures(message.token);
  // Counted only once the signature is accepted: a wrong secret must look like silence to the
  // provider-silence alarm (beside the sweeper's SettledByReconciliation), not like webhooks arriving.
  emitCount('WebhooksReceived', { Provider: provider, Mode: target.mode });
  await recordWebhookReceived(target);
  let parsed: ReturnType<typeof adapter.parseWebhook>;
  try {
    parsed = adapter.parseWebhook(raw);
  } catch {
    logger.warn('signed provider webhook we cannot read', { provider, merchantId: target.merchantId });
    return 'rejected';
  }
  if (parsed.kind === 'ignored') return 'ignored';
  if (parsed.kind === 'refund') return refundHint(provider, target, parsed);

  // Ownership first, duplicates second: a merchant signs its own webhooks (it
  // chose the secret), so its events may only ever touch its own payments and
  // its own dedupe records, never claim an event id before another merchant's.
  const attempt = await findAttempt(provider, parsed.reference);
  if (!attempt || attempt.merchantId !== target.merchantId || attempt.mode !== target.mode) {
    logger.warn('provider webhook for a payment we do not know here', {
      provider,
      merchantId: target.merchantId,
    });
    return 'ignored';
  }
  // Our reference is part of the identity: provider ids can be guessed (Flutterwave's
  // is its global transaction number, Chapa's its reference), ours belongs to one payment.
  const identity = `${parsed.reference}#${parsed.eventId}`;
  const prior = await getProviderEvent(attempt.merchantId, attempt.mode, provider, identity);
  if (prior) {
    await requeuePending(prior);
    return 'duplicate';
  }

  // The one settle path (shared with POST /verify and the sweeper); never trusts the webhook's claim.
  const result = await settlePayment(payments, attempt.merchantId, attempt.mode, attempt.paymentId, {
    via: 'webhook',
    providerEvent: { provider, eventId: identity, type: parsed.type },
    afterVerdict: () => inboundFaults.afterReconcile?.(),
  });
  switch (result.outcome) {
    case 'missing':
      return 'ignored';
    case 'moved':
      return 'applied';
    case 'duplicate':
      return 'duplicate';
    case 'stale':
      return 'retry'; // the payment kept moving: decide on redelivery
    case 'unchanged': {
      if (result.verdict?.status === 'pending' && parsed.claimedStatus !== 'pending') {
        // The provider has not settled yet: leave the event unprocessed so a redelivery decides.
        return 'retry';
      }
      const outcome = await recordIgnoredProviderEvent(provider, identity, {
        type: parsed.type,
        merchantId: result.payment.merchantId,
        mode: result.payment.mode,
        paymentId: result.payment.id,
        reason: result.reason,
        now: new Date().toISOString(),
      });
      return outcome === 'duplicate' ? 'duplicate' : 'ignored';
    }
  }
}

/**
 * A refund webhook is a hint: it names a payment (or our refund), and the
 * payment's open refunds are read from the provider's refund lookup. Ownership
 * first: only refunds and payments of the merchant and mode whose URL it came
 * in on. Duplicates and out-of-order deliveries change nothing, since a refund
 * moves only when the provider's own lookup says so, once (conditional write).
 */
async function refundHint(
  provider: ProviderName,
  target: { merchantId: string; mode: 'test' | 'live' },
  parsed: Extract<ParsedWebhook, { kind: 'refund' }>,
): Promise<InboundOutcome> {
  let paymentId: string | undefined;
  if (parsed.refundId) {
    paymentId = (await refundsStore.getRefund(target.merchantId, target.mode, parsed.refundId))?.paymentId;
  }
  if (!paymentId && parsed.reference) {
    const attempt = await findAttempt(provider, parsed.reference);
    if (attempt && attempt.merchantId === target.merchantId && attempt.mode === target.mode) {
      paymentId = attempt.paymentId;
    }
  }
  if (!paymentId) {
    logger.warn('refund webhook for a payment we do not know here', {
      provider,
      merchantId: target.merchantId,
    });
    return 'ignored';
  }
  const moved = await syncOpenRefunds(refunds, {
    merchantId: target.merchantId,
    mode: target.mode,
    id: paymentId,
  });
  return moved > 0 ? 'applied' : 'ignored';
}

/** Tokens this container has already marked, so a signed delivery costs a write once, not every time. */
const markedTokens = new Set<string>();

async function rememberBodySignatures(token: string): Promise<void> {
  if (markedTokens.has(token)) return;
  await markBodySignatures(token, new Date().toISOString());
  if (markedTokens.size > 10_000) markedTokens.clear();
  markedTokens.add(token);
}

const toMessage = (d: Delivery) => deliveryMessage(d, Date.now());

/**
 * A duplicate of an applied event re-queues that event's pending deliveries: if
 * the first run crashed after its write but before enqueueing, nothing is lost.
 * The deliver worker claims each attempt, so a second message sends nothing twice.
 */
async function requeuePending(prior: { eventId: string | null; merchantId: string; mode: 'test' | 'live' }) {
  if (!prior.eventId) return;
  const pending = (await deliveriesOfEvent(prior.merchantId, prior.mode, prior.eventId)).filter(
    (d) => d.status === 'pending' && d.attemptCount === 0,
  );
  if (pending.length > 0) await enqueueDeliveries(pending.map(toMessage));
}
