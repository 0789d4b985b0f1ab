import {
  type InboundDeps,
  type InboundOutcome,
  processProviderEvent as process,
} from '#core/webhook-inbound';
import { findAttempt } from '#store/payments';
import { findWebhookToken, markBodySignatures, sendsBodySignatures } from '#store/providers';
import { recordSecurityEvent } from '#store/security-events';
import type { ProviderEventMessage } from '#runtime/queues';
import { payments, providerConfig } from '#app/payments';
import { paymentActivity } from '#app/payment-activity';
import { recordWebhookReceived } from '#app/provider-health';
import { adapterFor } from '#app/providers';
import { refunds } from '#app/refunds';
import { webhookDeps } from '#app/webhooks';

export type { InboundOutcome };

/** Fault injection for the reliability tests: throw here to simulate a crash after reconciliation. */
export const inboundFaults: { afterReconcile?: (() => void) | undefined } = {};

/** Tokens this container has already marked, so a signed delivery costs a write once, not every time. */
const markedTokens = new Set<string>();

async function rememberBodySignatures(token: string): Promise<void> {
  if (markedTokens.has(token)) return;
  await markBodySignatures(token, new Date().toISOString());
  if (markedTokens.size > 10_000) markedTokens.clear();
  markedTokens.add(token);
}

/**
 * The provider-webhook side of the webhook domain (core/webhook-inbound.ts), wired
 * once per cold start. Apart from app/webhooks.ts because it stands on payments and
 * refunds, which themselves stand on the transition built there.
 */
const inbound: InboundDeps = {
  ...webhookDeps,
  payments,
  refunds,
  adapter: adapterFor,
  findTarget: findWebhookToken,
  providerConfig,
  sendsBodySignatures,
  rememberBodySignatures,
  findAttempt,
  securityEvent: recordSecurityEvent,
  webhookAccepted: recordWebhookReceived,
  activity: paymentActivity,
  faults: inboundFaults,
};

/** One message of the provider-events queue: verified, de-duplicated, settled, recorded. */
export function processProviderEvent(
  message: ProviderEventMessage,
  requestId: string,
): Promise<InboundOutcome> {
  return process(
    inbound,
    {
      provider: message.provider,
      token: message.token,
      headers: message.headers,
      rawBody: Buffer.from(message.body, 'base64'),
      sourceIp: message.sourceIp,
      target: message.target,
    },
    requestId,
  );
}
