import { settlePayment } from '#core/payments';
import { type Delivery, deliveryMessage } from '#core/webhooks';
import { adapterFor } from '#providers/index';
import type { ProviderName } from '#providers/types';
import { findAttempt } from '#store/payments';
import { findWebhookToken } from '#store/providers';
import { recordSecurityEvent } from '#store/security-events';
import { deliveriesOfEvent, getProviderEvent, recordIgnoredProviderEvent } from '#store/webhooks';
import { logger } from './logger.ts';
import { payments, providerConfig } from './payments.ts';
import { enqueueDeliveries, type ProviderEventMessage } from './queues.ts';

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
  const check = adapter.verifyWebhookSignature(raw, message.headers, await config.credentials(), new Date());
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
  let parsed: ReturnType<typeof adapter.parseWebhook>;
  try {
    parsed = adapter.parseWebhook(raw);
  } catch {
    logger.warn('signed provider webhook we cannot read', { provider, merchantId: target.merchantId });
    return 'rejected';
  }
  if (parsed.kind === 'ignored') return 'ignored';

  const prior = await getProviderEvent(provider, parsed.eventId);
  if (prior) {
    await requeuePending(prior);
    return 'duplicate';
  }
  const attempt = await findAttempt(provider, parsed.reference);
  if (!attempt || attempt.merchantId !== target.merchantId || attempt.mode !== target.mode) {
    logger.warn('provider webhook for a payment we do not know here', {
      provider,
      merchantId: target.merchantId,
    });
    return 'ignored';
  }

  // The one settle path (shared with POST /verify and the sweeper); never trusts the webhook's claim.
  const result = await settlePayment(payments, attempt.merchantId, attempt.mode, attempt.paymentId, {
    via: 'webhook',
    providerEvent: { provider, eventId: parsed.eventId, type: parsed.type },
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
      const outcome = await recordIgnoredProviderEvent(provider, parsed.eventId, {
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
