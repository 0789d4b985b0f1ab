import type { Payment, PaymentStatus } from '#core/payments';
import { recordSecurityEvent } from '#store/security-events';
import { claimSilenceAlert } from '#store/reconciliation';
import { listEvents } from '#store/webhooks';
import { config } from '#runtime/config';

/**
 * Provider silence: a payment the sweeper settled is one whose webhook never
 * came (or never got through). Each is counted as a CloudWatch metric through
 * the Embedded Metric Format (a structured log line, no extra call), per
 * provider and mode, beside `WebhooksReceived` (counted by the provider-webhook
 * worker for deliveries whose signature it accepted); the stack alarms when a provider
 * settles only through the sweeper (lib/api-stack.ts).
 */

/** Outcomes a provider announces by webhook; a Paystack decline sends none, an expiry is ours. */
export function webhookShouldHaveSettled(provider: Payment['provider'], status: PaymentStatus): boolean {
  if (status === 'expired') return false;
  if (status === 'failed' && provider === 'paystack') return false;
  return true;
}

export const metricNamespace = 'PayBridge';

/**
 * Where EMF lines go. Unset: stdout in the cloud (CloudWatch reads them) and
 * nowhere on a laptop (keeps the output readable). A test sets `write` to see them.
 */
export const metricLines: { write: ((line: string) => void) | undefined } = { write: undefined };

/** One EMF line: CloudWatch turns it into a metric datapoint. */
export function emitCount(name: string, dimensions: Record<string, string>, value = 1): void {
  const write =
    metricLines.write ??
    (config().PAYBRIDGE_STAGE === 'cloud' ? (line: string) => process.stdout.write(line) : undefined);
  if (!write) return;
  write(
    `${JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: metricNamespace,
            Dimensions: [Object.keys(dimensions)],
            Metrics: [{ Name: name, Unit: 'Count' }],
          },
        ],
      },
      ...dimensions,
      [name]: value,
    })}\n`,
  );
}

/** Sweeper settlements among a merchant's recent events that make its provider "silent". */
export const silenceThreshold = 3;
const recentEvents = 20;

export interface SettlementSources {
  /** Payment events settled by the provider's webhook. */
  webhook: number;
  /** Payment events settled by the reconciliation sweeper where a webhook should have done it. */
  reconciliation: number;
}

/**
 * How a merchant's `recentEvents` latest payment events in one mode were settled, per
 * provider: the one count behind the `provider_webhooks_silent` alert and the providers'
 * health (GET /v1/providers). `assumed` stands for an event object without a status.
 */
export async function recentSettlements(
  merchantId: string,
  mode: Payment['mode'],
  assumed: PaymentStatus = 'succeeded',
): Promise<Partial<Record<Payment['provider'], SettlementSources>>> {
  const page = await listEvents(merchantId, mode, {}, recentEvents);
  const counts: Partial<Record<Payment['provider'], SettlementSources>> = {};
  for (const event of page.data) {
    const object = event.data.object as Partial<Payment> | undefined;
    if (!object?.provider || !event.type.startsWith('payment.')) continue;
    const sources = (counts[object.provider] ??= { webhook: 0, reconciliation: 0 });
    if (object.settledBy === 'webhook') sources.webhook++;
    else if (
      object.settledBy === 'reconciliation' &&
      webhookShouldHaveSettled(object.provider, object.status ?? assumed)
    )
      sources.reconciliation++;
  }
  return counts;
}

/**
 * The sweeper moved a payment: counted when a webhook should have done so. When
 * the merchant's recent events for that provider and mode hold at least
 * `silenceThreshold` such settlements and none by webhook, its webhook URL is
 * probably wrong: a `provider_webhooks_silent` security event says so, at most
 * once a day. The read happens only on this (rare) path, never per webhook.
 */
export async function onSweeperSettled(payment: Payment, status: PaymentStatus): Promise<void> {
  if (!webhookShouldHaveSettled(payment.provider, status)) return;
  emitCount('SettledByReconciliation', { Provider: payment.provider, Mode: payment.mode });
  const recent = (await recentSettlements(payment.merchantId, payment.mode, status))[payment.provider];
  if (recent && recent.webhook > 0) return; // its webhooks do arrive
  const swept = recent?.reconciliation ?? 0;
  if (swept < silenceThreshold) return;
  if (!(await claimSilenceAlert(payment.merchantId, payment.mode, payment.provider, new Date()))) return;
  await recordSecurityEvent(
    payment.merchantId,
    'provider_webhooks_silent',
    { ip: '', userAgent: 'paybridge-reconciliation', requestId: payment.id },
    {
      provider: payment.provider,
      mode: payment.mode,
      settledBySweeper: String(swept),
      hint: `No ${payment.provider} webhook settled any of these payments: check the webhook URL (and secret) in the ${payment.provider} dashboard against PUT /v1/providers/${payment.provider}.`,
    },
  );
}
