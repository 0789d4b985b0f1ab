import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { newId } from '#core/ids';
import { logger } from '#runtime/logger';
import { recoverTuning } from '#app/webhooks';
import { putEndpoint } from '#store/webhooks';
import { useApi } from '#test/http';
import { bearer, createKey, registerMerchant, type TestMerchant } from '#test/merchants';
import { usePipeline } from '#test/pipeline';
import { testCredentials } from '#test/providers';
import { useReceiver } from '#test/receiver';
import { useSandboxes } from '#test/sandbox-fixture';

// The retry schedule is configuration: seconds here instead of hours.
vi.hoisted(() => {
  process.env.WEBHOOK_RETRY_SCHEDULE = '0,1,1,1';
});

const sandboxes = useSandboxes();
const pipeline = usePipeline();
const receiver = useReceiver();
const api = useApi();

beforeAll(() => {
  for (const [name, url] of Object.entries(sandboxes.sandbox().baseUrls)) {
    process.env[`${name.toUpperCase()}_BASE_URL`] = url;
  }
});

/** Each shop's Paystack sandbox key, by merchant id. */
const sandboxKeys = new Map<string, string>();

interface Shop {
  merchant: TestMerchant;
  key: string;
}

async function shop(): Promise<Shop> {
  const merchant = await registerMerchant(api.request);
  const { key } = await createKey(api.request, merchant, 'test', 'full');
  const credentials = testCredentials('paystack');
  sandboxKeys.set(merchant.merchantId, credentials.secretKey);
  const res = await api.request('/v1/providers/paystack', {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ mode: 'test', ...credentials }),
  });
  const { webhookUrl } = (await res.json()) as { webhookUrl: string };
  await sandboxes.control('PUT', '/paystack/accounts', { ...credentials, webhookUrl });
  return { merchant, key };
}

const post = (s: Shop, path: string, body?: unknown) =>
  api.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.key}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

async function endpoint(s: Shop, path: string, events = ['*']): Promise<{ id: string; secret: string }> {
  const res = await post(s, '/v1/webhook-endpoints', { url: receiver.url(path), events });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; secret: string };
}

async function paidPayment(s: Shop): Promise<string> {
  const res = await api.request('/v1/payments', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${s.key}`,
      'idempotency-key': newId('msg'),
    },
    body: JSON.stringify({ amount: 250000, currency: 'NGN', customer: { email: 'b@example.com' } }),
  });
  const payment = (await res.json()) as { id: string; checkoutUrl: string };
  await sandboxes.clickOn(payment.checkoutUrl, 'success');
  return payment.id;
}

async function until(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const verifyWith = (secret: string, r: { headers: Record<string, unknown>; body: string }) =>
  new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  });

describe('merchant webhooks out', () => {
  it('delivers payment.succeeded signed per Standard Webhooks, verified by the standardwebhooks package', async () => {
    const s = await shop();
    const ep = await endpoint(s, '/ok');
    expect(ep.secret).toMatch(/^whsec_/);
    const paymentId = await paidPayment(s);
    await until(() => receiver.received('/ok').length === 1);
    const [got] = receiver.received('/ok');
    const payload = verifyWith(ep.secret, got as never) as { type: string; data: { object: { id: string } } };
    expect(payload).toMatchObject({
      type: 'payment.succeeded',
      mode: 'test',
      data: { object: { id: paymentId, status: 'succeeded' } },
    });
    expect(String(got?.headers['webhook-id'])).toMatch(/^msg_/);

    const events = await (await api.request(`/v1/events?paymentId=${paymentId}`, bearer(s.key))).json();
    const [event] = (events as { data: { id: string }[] }).data;
    const attempts = (await (
      await api.request(`/v1/events/${event?.id}/attempts`, bearer(s.key))
    ).json()) as {
      data: { status: number; latencyMs: number }[];
    };
    expect(attempts.data).toMatchObject([{ status: 200 }]);
  });

  it('refuses webhook URLs on privileged or well-known service ports, with our error shape', async () => {
    const s = await shop();
    for (const url of [
      'http://hooks.example.com:22/',
      'http://hooks.example.com:6379/',
      receiver.url('/x').replace(/:\d+\//, ':5432/'),
    ]) {
      const res = await post(s, '/v1/webhook-endpoints', { url, events: ['*'] });
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({
        error: { type: 'invalid_request', code: 'url_forbidden_port', param: 'url' },
      });
    }
  });

  it('logs at most 1 KB of an endpoint’s answer, and only when it is text', async () => {
    const s = await shop();
    await endpoint(s, '/answers');
    receiver.script('/answers', [
      {
        status: 500,
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.from([0, 1, 2, 255]),
      },
      { status: 500, headers: { 'content-type': 'image/png' }, body: 'looks like text' },
      { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'é'.repeat(3000) },
    ]);
    const paymentId = await paidPayment(s);
    await until(() => receiver.received('/answers').length === 3);
    const events = await (await api.request(`/v1/events?paymentId=${paymentId}`, bearer(s.key))).json();
    const [event] = (events as { data: { id: string }[] }).data;
    let attempts: { data: { status: number; responseBody: string | null }[] } = { data: [] };
    await until(async () => {
      const res = await api.request(`/v1/events/${event?.id}/attempts`, bearer(s.key));
      attempts = (await res.json()) as typeof attempts;
      return attempts.data.length === 3;
    });
    const byStatus = [...attempts.data].sort((a, b) => a.status - b.status);
    expect(byStatus.map((a) => a.responseBody === null)).toEqual([false, true, true]);
    const text = byStatus[0]?.responseBody ?? '';
    expect(text).toBe('é'.repeat(512)); // 1024 bytes of two-byte characters
  });

  it('tells the merchant once when POST /verify settles a payment first and the provider’s webhook comes later', async () => {
    const s = await shop();
    const ep = await endpoint(s, '/verify-first');
    const res = await api.request('/v1/payments', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${s.key}`,
        'idempotency-key': newId('msg'),
      },
      body: JSON.stringify({ amount: 120000, currency: 'NGN', customer: { email: 'v@example.com' } }),
    });
    const payment = (await res.json()) as { id: string; checkoutUrl: string; providerReference: string };
    // Hold the provider's webhook back: settle on the sandbox with no webhook URL for this key.
    const config = (await (await api.request('/v1/providers', bearer(s.key))).json()) as {
      data: { webhookUrl: string }[];
    };
    const webhookUrl = config.data[0]?.webhookUrl as string;
    const secretKey = sandboxKeys.get(s.merchant.merchantId) as string;
    await sandboxes.control('PUT', '/paystack/accounts', { secretKey });
    await sandboxes.clickOn(payment.checkoutUrl, 'success');

    const verified = await post(s, `/v1/payments/${payment.id}/verify`);
    expect(((await verified.json()) as { status: string }).status).toBe('succeeded');
    await until(() => receiver.received('/verify-first').length === 1);
    const first = receiver.received('/verify-first')[0];
    expect(verifyWith(ep.secret, first as never)).toMatchObject({ type: 'payment.succeeded' });

    // Now the provider's webhook arrives: recorded, but the merchant is not told twice.
    await sandboxes.control('PUT', '/paystack/accounts', { secretKey, webhookUrl });
    const body = JSON.stringify({
      event: 'charge.success',
      data: { reference: payment.providerReference, amount: 120000, currency: 'NGN', status: 'success' },
    });
    const signature = createHmac('sha512', secretKey).update(body).digest('hex');
    const hook = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-paystack-signature': signature },
      body,
    });
    expect(hook.status).toBe(200);
    await new Promise((r) => setTimeout(r, 2500));
    expect(receiver.received('/verify-first')).toHaveLength(1);
    const events = (await (
      await api.request(`/v1/events?paymentId=${payment.id}`, bearer(s.key))
    ).json()) as {
      data: unknown[];
    };
    expect(events.data).toHaveLength(1);
  });

  it('retries an endpoint that fails 3 times, with the same webhook-id, on schedule', async () => {
    const s = await shop();
    await endpoint(s, '/flaky');
    receiver.script('/flaky', [
      { status: 500 },
      { status: 503 },
      { status: 429, headers: { 'retry-after': '1' } },
    ]);
    await paidPayment(s);
    await until(() => receiver.received('/flaky').length === 4);
    const got = receiver.received('/flaky');
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    // Schedule 0, 1, 1, 1 s with ±20 % jitter: each retry waits about a second.
    for (let i = 1; i < got.length; i++) {
      expect((got[i]?.at ?? 0) - (got[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(700);
    }
  });

  it('logs a failing attempt at WARN with the endpoint, the status or error kind and the next attempt, never the body', async () => {
    const warn = vi.spyOn(logger, 'warn');
    try {
      const s = await shop();
      const answering = await endpoint(s, '/failing-log');
      receiver.script('/failing-log', [{ status: 503, body: 'upstream says: card 4242424242424242' }]);
      // A port nothing listens on: the connection is refused.
      const closed = await new Promise<number>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as AddressInfo;
          probe.close(() => resolve(port));
        });
      });
      const refusedRes = await post(s, '/v1/webhook-endpoints', {
        url: `http://127.0.0.1:${closed}/hooks`,
        events: ['payment.succeeded'],
      });
      expect(refusedRes.status).toBe(201);
      const refused = (await refusedRes.json()) as { id: string };
      const started = Date.now();
      await paidPayment(s);
      const failing = (id: string) =>
        warn.mock.calls.filter(
          ([msg, fields]) =>
            msg === 'delivery attempt failed, will retry' &&
            (fields as { endpointId?: string } | undefined)?.endpointId === id,
        );
      await until(() => failing(answering.id).length >= 1 && failing(refused.id).length >= 1);
      const [[, http]] = failing(answering.id) as [[string, Record<string, unknown>]];
      expect(http).toMatchObject({ endpointId: answering.id, attempt: 1, status: 503 });
      expect(http).not.toHaveProperty('errorKind');
      const [[, refusal]] = failing(refused.id) as [[string, Record<string, unknown>]];
      expect(refusal).toMatchObject({ endpointId: refused.id, attempt: 1, errorKind: 'connection' });
      expect(refusal).not.toHaveProperty('status');
      for (const fields of [http, refusal]) {
        expect(Date.parse(String(fields.nextAttemptAt))).toBeGreaterThanOrEqual(started);
        const line = JSON.stringify(fields);
        expect(line).not.toMatch(/4242|upstream|127\.0\.0\.1|whsec_|refused/i);
      }
    } finally {
      warn.mockRestore();
    }
  });

  it('never sends merchant A’s events to merchant B’s endpoints', async () => {
    const a = await shop();
    const b = await shop();
    await endpoint(a, '/a');
    await endpoint(b, '/b');
    await paidPayment(a);
    await until(() => receiver.received('/a').length === 1);
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.received('/b')).toHaveLength(0);
  });

  it('signs with both secrets for 24 h after a rotation', async () => {
    const s = await shop();
    const ep = await endpoint(s, '/rotated');
    const rotated = (await (await post(s, `/v1/webhook-endpoints/${ep.id}/rotate-secret`)).json()) as {
      secret: string;
    };
    expect(rotated.secret).not.toBe(ep.secret);
    expect((await post(s, `/v1/webhook-endpoints/${ep.id}/test`)).status).toBe(202);
    await until(() => receiver.received('/rotated').length === 1);
    const [got] = receiver.received('/rotated');
    expect(String(got?.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyWith(ep.secret, got as never)).toMatchObject({ type: 'webhook_endpoint.test' });
    expect(verifyWith(rotated.secret, got as never)).toMatchObject({ type: 'webhook_endpoint.test' });
  });

  it('refuses SSRF targets at creation: private, metadata, and plain http or loopback in live mode', async () => {
    const s = await shop();
    const live = await createKey(api.request, s.merchant, 'live', 'full');
    for (const url of [
      'http://10.0.0.1/h',
      'http://169.254.169.254/latest/meta-data',
      'http://[::ffff:10.0.0.1]/h',
      'http://0x0a000001/h',
    ]) {
      const res = await post(s, '/v1/webhook-endpoints', { url, events: ['*'] });
      expect(res.status, url).toBe(422);
    }
    const liveHttp = await api.request('/v1/webhook-endpoints', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${live.key}` },
      body: JSON.stringify({ url: 'http://example.com/h', events: ['*'] }),
    });
    expect(liveHttp.status).toBe(422);
  });

  it('refuses a forbidden address again at delivery (e.g. a name that now resolves privately)', async () => {
    const s = await shop();
    const ep = await endpoint(s, '/never');
    // The endpoint's URL now points at a private address, as after DNS rebinding.
    const now = new Date().toISOString();
    const { getEndpoint } = await import('#store/webhooks');
    const stored = await getEndpoint(s.merchant.merchantId, 'test', ep.id);
    await putEndpoint(
      { ...(stored as NonNullable<typeof stored>), url: 'http://10.1.2.3/hook', updatedAt: now },
      stored?.updatedAt ?? null,
    );
    const sent = (await (await post(s, `/v1/webhook-endpoints/${ep.id}/test`)).json()) as { id: string };
    await until(async () => {
      const attempts = (await (
        await api.request(`/v1/events/${sent.id}/attempts`, bearer(s.key))
      ).json()) as {
        data: { error: string | null }[];
      };
      return attempts.data.some((a) => a.error?.startsWith('forbidden_address') ?? false);
    });
  });

  it('parks a delivery whose schedule is spent in the DLQ, and resend delivers it', async () => {
    const s = await shop();
    const ep = await endpoint(s, '/down');
    receiver.script('/down', Array(4).fill({ status: 500 }));
    const sent = (await (await post(s, `/v1/webhook-endpoints/${ep.id}/test`)).json()) as { id: string };
    await until(() => receiver.received('/down').length === 4);
    await until(async () => {
      const out = await pipeline.sqs().send(
        new ReceiveMessageCommand({
          QueueUrl: pipeline.queues().dlq.deliveries,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      return (out.Messages ?? []).some((m) => m.Body?.includes(sent.id));
    });
    const attempts = (await (await api.request(`/v1/events/${sent.id}/attempts`, bearer(s.key))).json()) as {
      deliveries: { status: string }[];
    };
    expect(attempts.deliveries).toMatchObject([{ status: 'failed' }]);
    expect((await post(s, `/v1/events/${sent.id}/resend`, {})).status).toBe(202);
    await until(() => receiver.received('/down').length === 5);
  });

  it('disables an endpoint that answers 410 Gone, and tells the merchant’s other endpoints', async () => {
    const s = await shop();
    const ep = await endpoint(s, '/gone');
    await endpoint(s, '/watcher', ['webhook_endpoint.disabled']);
    receiver.script('/gone', [{ status: 410 }]);
    await post(s, `/v1/webhook-endpoints/${ep.id}/test`);
    await until(async () => {
      const got = (await (await api.request(`/v1/webhook-endpoints/${ep.id}`, bearer(s.key))).json()) as {
        enabled: boolean;
      };
      return got.enabled === false;
    });
    const events = (await (
      await api.request('/v1/events?type=webhook_endpoint.disabled', bearer(s.key))
    ).json()) as {
      data: unknown[];
    };
    expect(events.data).toHaveLength(1);
    await until(() => receiver.received('/watcher').length === 1);
    expect(JSON.parse(receiver.received('/watcher')[0]?.body ?? '{}')).toMatchObject({
      type: 'webhook_endpoint.disabled',
      data: { object: { endpointId: ep.id, reason: 'gone' } },
    });
  });

  it('disables an endpoint that has failed everything for 5 days and records webhook_endpoint.disabled', async () => {
    const s = await shop();
    const ep = await endpoint(s, '/dead');
    const { getEndpoint } = await import('#store/webhooks');
    const stored = await getEndpoint(s.merchant.merchantId, 'test', ep.id);
    const sixDaysAgo = new Date(Date.now() - 6 * 24 * 3600 * 1000).toISOString();
    await putEndpoint(
      {
        ...(stored as NonNullable<typeof stored>),
        failingSince: sixDaysAgo,
        updatedAt: new Date().toISOString(),
      },
      stored?.updatedAt ?? null,
    );
    receiver.script('/dead', [{ status: 500 }]);
    await post(s, `/v1/webhook-endpoints/${ep.id}/test`);
    await until(async () => {
      const got = (await (await api.request(`/v1/webhook-endpoints/${ep.id}`, bearer(s.key))).json()) as {
        enabled: boolean;
        disabledReason: string;
      };
      return got.enabled === false && got.disabledReason === 'failing_for_5_days';
    });
    const events = (await (
      await api.request('/v1/events?type=webhook_endpoint.disabled', bearer(s.key))
    ).json()) as {
      data: { data: { object: { endpointId: string } } }[];
    };
    expect(events.data.map((e) => e.data.object.endpointId)).toEqual([ep.id]);
  });

  it('recovers every failed delivery of an endpoint since a time', async () => {
    const s = await shop();
    const ep = await endpoint(s, '/recover');
    receiver.script('/recover', Array(4).fill({ status: 500 }));
    const since = new Date(Date.now() - 1000).toISOString();
    await post(s, `/v1/webhook-endpoints/${ep.id}/test`);
    await until(() => receiver.received('/recover').length === 4);
    await until(async () => {
      const res = await post(s, `/v1/webhook-endpoints/${ep.id}/recover`, { since });
      return ((await res.json()) as { resent: number }).resent === 1;
    });
    await until(() => receiver.received('/recover').length === 5);
  });

  it('recovers more failed deliveries than one step reads, by chaining recover jobs on the queue', async () => {
    const s = await shop();
    const ep = await endpoint(s, '/recover-many');
    receiver.script('/recover-many', Array(12).fill({ status: 500 }));
    const since = new Date(Date.now() - 1000).toISOString();
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post(s, `/v1/webhook-endpoints/${ep.id}/test`);
      sent.push(((await res.json()) as { id: string }).id);
    }
    await until(async () => {
      for (const id of sent) {
        const res = await api.request(`/v1/events/${id}/attempts`, bearer(s.key));
        const body = (await res.json()) as { deliveries: { status: string }[] };
        if (body.deliveries[0]?.status !== 'failed') return false;
      }
      return true;
    });
    recoverTuning.pageSize = 1;
    try {
      const res = await post(s, `/v1/webhook-endpoints/${ep.id}/recover`, { since });
      expect(res.status).toBe(202);
      const first = (await res.json()) as { resent: number; more: boolean };
      expect(first.more).toBe(true);
      expect(first.resent).toBeLessThanOrEqual(1);
      // The worker takes the rest, one page per step: every failed delivery is sent once more.
      await until(() => receiver.received('/recover-many').length === 15);
    } finally {
      recoverTuning.pageSize = 100;
    }
  });
});
