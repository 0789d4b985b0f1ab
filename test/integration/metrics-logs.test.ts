import { payments } from '#app/payments';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ProviderFailed } from '#core/errors';
import { createPayment, type PaymentDeps } from '#core/payments';
import { type LogMetric, logMetrics } from '#infra/observability';
import { useApi } from '#test/http';
import { bearer, createKey, registerMerchant } from '#test/merchants';
import { usePipeline } from '#test/pipeline';
import { testCredentials } from '#test/providers';
import { useReceiver } from '#test/receiver';
import { useSandboxes } from '#test/sandbox-fixture';

// Before any handler module loads: the logger takes its level from the environment.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});

// Registered first, so it runs last: after the queue workers have stopped writing.
afterAll(() => {
  vi.restoreAllMocks();
});

const sandboxes = useSandboxes();
usePipeline();
const receiver = useReceiver();
const api = useApi();

/** Every JSON line the handlers and workers write, as CloudWatch Logs would receive it. */
const lines: Record<string, unknown>[] = [];

beforeAll(() => {
  for (const [name, url] of Object.entries(sandboxes.sandbox().baseUrls)) {
    process.env[`${name.toUpperCase()}_BASE_URL`] = url;
  }
  const capture = (chunk: unknown) => {
    for (const line of String(chunk).split('\n')) {
      try {
        const parsed: unknown = JSON.parse(line);
        if (parsed && typeof parsed === 'object') lines.push(parsed as Record<string, unknown>);
      } catch {
        // not a JSON line
      }
    }
    return true;
  };
  // WARN and ERROR lines go to stderr; Lambda sends both to the function's log group.
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});
/** Whether a log line is one the metric filter of `metric` counts (lib/observability.ts `filterPatternOf`). */
function counts(metric: LogMetric, line: Record<string, unknown>): boolean {
  if (metric.messages && !metric.messages.includes(line.message as string)) return false;
  for (const [field, value] of Object.entries(metric.where ?? {})) if (line[field] !== value) return false;
  const read = [...(metric.fields ?? []), ...Object.values(metric.dimensions)];
  if (read.some((field) => line[field] === undefined || line[field] === null)) return false;
  if (metric.value !== undefined && typeof line[metric.value] !== 'number') return false;
  return true;
}
const matching = (name: string, where: (line: Record<string, unknown>) => boolean = () => true) =>
  logMetrics
    .filter((m) => m.metricName === name)
    .flatMap((m) => lines.filter((line) => counts(m, line) && where(line)));

async function until(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the log lines the business metrics are read from', () => {
  it('are written where each fact is decided: created, settled by webhook, delivered, rejected, refunded', async () => {
    const merchant = await registerMerchant(api.request);
    const { key } = await createKey(api.request, merchant, 'test', 'full');
    const auth = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
    const credentials = testCredentials('paystack');
    const configured = await api.request('/v1/providers/paystack', {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ mode: 'test', ...credentials }),
    });
    const { webhookUrl } = (await configured.json()) as { webhookUrl: string };
    await sandboxes.control('PUT', '/paystack/accounts', { ...credentials, webhookUrl });
    const hook = await api.request('/v1/webhook-endpoints', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ url: receiver.url('/metrics'), events: ['*'] }),
    });
    expect(hook.status).toBe(201);

    const created = await api.request('/v1/payments', {
      method: 'POST',
      headers: { ...auth, 'idempotency-key': randomUUID() },
      body: JSON.stringify({ amount: 300000, currency: 'NGN', customer: { email: 'buyer@example.com' } }),
    });
    expect(created.status).toBe(201);
    const payment = (await created.json()) as { id: string; checkoutUrl: string };

    // A forged webhook: rejected by the verify worker, by reason.
    await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-paystack-signature': 'f'.repeat(128) },
      body: JSON.stringify({ event: 'charge.success', data: { reference: 'nope' } }),
    });
    // The customer pays: the sandbox's signed webhook settles it, the merchant is told.
    await sandboxes.clickOn(payment.checkoutUrl, 'success');
    await until(() => receiver.received('/metrics').length > 0);
    await until(() => matching('DeliveryLatency').length > 0);

    const refund = await api.request(`/v1/payments/${payment.id}/refunds`, {
      method: 'POST',
      headers: { ...auth, 'idempotency-key': randomUUID() },
      body: JSON.stringify({}),
    });
    expect(refund.status, await refund.clone().text()).toBe(201);
    const { id: refundId } = (await refund.json()) as { id: string };
    await until(async () => {
      await api.request(`/v1/payments/${payment.id}/verify`, { method: 'POST', ...bearer(key) });
      return matching('RefundTransitions', (l) => l.refundId === refundId).length > 0;
    });

    const mine = (line: Record<string, unknown>) => line.paymentId === payment.id;
    expect(matching('PaymentsCreated', mine)).toEqual([
      expect.objectContaining({ provider: 'paystack', mode: 'test', failovers: 0 }),
    ]);
    expect(matching('PaymentTransitions', mine)).toEqual([
      expect.objectContaining({ status: 'succeeded', provider: 'paystack', mode: 'test', from: 'pending' }),
    ]);
    expect(matching('PaymentSettlements', mine)).toEqual([
      expect.objectContaining({ settledBy: 'webhook', status: 'succeeded' }),
    ]);
    expect(matching('ProviderWebhooks', (l) => l.outcome === 'applied').length).toBeGreaterThan(0);
    expect(matching('WebhooksRejected')).toContainEqual(
      expect.objectContaining({ provider: 'paystack', reason: expect.any(String) }),
    );
    const delivered = matching('DeliveryLatency');
    expect(delivered[0]?.deliveryLatencyMs).toBeGreaterThanOrEqual(0);
    expect(delivered[0]?.deliveryLatencyMs).toBeLessThan(60_000);
    expect(matching('Deliveries', (l) => l.outcome === 'delivered').length).toBeGreaterThan(0);
    expect(matching('RefundsCreated', (l) => l.refundId === refundId)).toEqual([
      expect.objectContaining({ provider: 'paystack', mode: 'test' }),
    ]);
    expect(matching('RefundTransitions', (l) => l.refundId === refundId)[0]).toMatchObject({
      status: 'succeeded',
      provider: 'paystack',
    });
    // Never a secret on these lines (the logger redacts by key and by look; none is passed).
    const text = JSON.stringify(lines);
    expect(text).not.toContain(credentials.secretKey);
  });

  it('logs a failover where routing moves on to the next provider, and the payment it created', async () => {
    const initialized: string[] = [];
    const deps = {
      store: {
        amountLimits: async () => ({}),
        claimIdempotency: async (_m: string, _mode: string, _k: string, _h: string, paymentId: string) => ({
          kind: 'claimed' as const,
          paymentId,
        }),
        releaseIdempotency: async () => {},
        insertPayment: async () => {},
      },
      gateway: {
        enabledProviders: async () => [
          { provider: 'paystack' as const, currencies: ['NGN'] },
          { provider: 'flutterwave' as const, currencies: ['NGN'] },
        ],
        initialize: async (_m: string, _mode: string, provider: string) => {
          initialized.push(provider);
          if (provider === 'paystack') throw new ProviderFailed('provider_unavailable', 'down', true);
          return { providerReference: 'flw-1', checkoutUrl: 'https://checkout.example/1' };
        },
      },
      transition: async () => 'recorded' as const,
      // The platform's wiring (functions/app/payments.ts) logs through the structured logger.
      log: payments.log,
    } as unknown as PaymentDeps;
    const out = await createPayment(
      deps,
      { merchantId: 'mer_failover', mode: 'live', actor: { kind: 'anonymous' } as never },
      { amount: 5000, currency: 'NGN', customer: { email: 'b@example.com' } },
      'k-failover',
      { ip: '', userAgent: '', requestId: 'r' },
    );
    expect(out.status).toBe(201);
    expect(initialized).toEqual(['paystack', 'flutterwave']);
    const paymentId = (out.body as { id: string }).id;
    expect(matching('ProviderFailovers', (l) => l.to === 'flutterwave' && l.mode === 'live')).toEqual([
      expect.objectContaining({ provider: 'paystack', errorCode: 'provider_unavailable' }),
    ]);
    expect(matching('PaymentsCreated', (l) => l.paymentId === paymentId)).toEqual([
      expect.objectContaining({ provider: 'flutterwave', mode: 'live', failovers: 1 }),
    ]);
  });
});
