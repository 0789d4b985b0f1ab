import type { Payment, PaymentStatus } from '#core/payments';
import { config } from './config.ts';

/**
 * Provider silence: a payment the sweeper settled is one whose webhook never
 * came (or never got through). Each is counted as a CloudWatch metric through
 * the Embedded Metric Format (a structured log line, no extra call), per
 * provider and mode, beside `WebhooksReceived`; the stack alarms when a provider
 * settles only through the sweeper (lib/api-stack.ts).
 */

/** Outcomes a provider announces by webhook; a Paystack decline sends none, an expiry is ours. */
export function webhookShouldHaveSettled(provider: Payment['provider'], status: PaymentStatus): boolean {
  if (status === 'expired') return false;
  if (status === 'failed' && provider === 'paystack') return false;
  return true;
}

export const metricNamespace = 'PayBridge';

/** One EMF line: CloudWatch turns it into a metric datapoint. */
export function emitCount(name: string, dimensions: Record<string, string>, value = 1): void {
  if (config().PAYBRIDGE_STAGE !== 'cloud') return; // no CloudWatch on a laptop: keep the output readable
  process.stdout.write(
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

/** The sweeper moved a payment: count it when a webhook should have done so. */
export async function onSweeperSettled(payment: Payment, status: PaymentStatus): Promise<void> {
  if (!webhookShouldHaveSettled(payment.provider, status)) return;
  emitCount('SettledByReconciliation', { Provider: payment.provider, Mode: payment.mode });
}
