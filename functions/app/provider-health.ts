import type { Mode } from '#core/actor';
import type { ProviderConfig, ProviderHealth, WebhookTarget } from '#core/providers';
import { touchProviderWebhook } from '#store/providers';
import { listSecurityEvents } from '#store/security-events';
import { logger } from '#runtime/logger';
import { LruCache } from '#runtime/lru';
import { recentSettlements } from '#app/silence';

/**
 * Provider health for the providers list (GET /v1/providers), from what PayBridge
 * records anyway: the configuration's `lastWebhookAt`, the merchant's
 * `webhook_signature_rejected` security events and the settling source of its
 * recent payment events (silence.ts). Two bounded reads per list, none per webhook.
 */

const dayMs = 24 * 60 * 60_000;
/** The merchant's newest security events read for the signature count: a bounded query. */
export const securityEventsRead = 200;

export async function providerHealth(
  merchantId: string,
  mode: Mode,
  configs: readonly ProviderConfig[],
  now = new Date(),
): Promise<Map<ProviderConfig['provider'], ProviderHealth>> {
  const health = new Map<ProviderConfig['provider'], ProviderHealth>();
  if (configs.length === 0) return health;
  const [events, settlements] = await Promise.all([
    listSecurityEvents(merchantId, securityEventsRead),
    recentSettlements(merchantId, mode),
  ]);
  const since = new Date(now.getTime() - dayMs).toISOString();
  const failures = new Map<string, number>();
  for (const event of events.data) {
    if (event.createdAt < since) break; // newest first
    if (event.kind !== 'webhook_signature_rejected' || event.detail.mode !== mode) continue;
    const provider = event.detail.provider ?? '';
    failures.set(provider, (failures.get(provider) ?? 0) + 1);
  }
  for (const config of configs) {
    const sources = settlements[config.provider];
    health.set(config.provider, {
      lastWebhookAt: config.lastWebhookAt ?? null,
      signatureFailures24h: failures.get(config.provider) ?? 0,
      settledByWebhook: sources?.webhook ?? 0,
      settledByReconciliation: sources?.reconciliation ?? 0,
    });
  }
  return health;
}

/**
 * `lastWebhookAt` is written at most once per 5 minutes per configuration and container
 * (and by the store's condition, across containers), and awaited: a write left in flight
 * could be frozen with the Lambda sandbox. Never a write per webhook.
 */
const touchEveryMs = 5 * 60_000;
const lastTouched = new LruCache<string, number>(1000);

export async function recordWebhookReceived(target: WebhookTarget, now = Date.now()): Promise<void> {
  const key = `${target.merchantId}/${target.mode}/${target.provider}`;
  if ((lastTouched.get(key) ?? 0) > now - touchEveryMs) return;
  lastTouched.set(key, now);
  try {
    await touchProviderWebhook(target.merchantId, target.mode, target.provider, new Date(now));
  } catch (error) {
    logger.warn('could not record the provider webhook', { error: error as Error });
  }
}
