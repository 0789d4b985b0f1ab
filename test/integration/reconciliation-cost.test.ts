import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { dynamoClient } from '#runtime/clients';
import { reconcileShards } from '#store/keys';
import { useApi } from '#test/http';
import { bearer, createKey, registerMerchant } from '#test/merchants';
import { testCredentials } from '#test/providers';
import { useSandboxes } from '#test/sandbox-fixture';

// A namespace of its own in the sweeper's index, and a check every second; no timer: sweeps run by hand.
vi.hoisted(() => {
  process.env.RECONCILE_SCHEDULE = '1';
  process.env.RECONCILE_NAMESPACE = `c${Math.random().toString(36).slice(2, 8)}-`;
});

const sandboxes = useSandboxes();
const api = useApi();

interface Request {
  command: string;
  index: string | undefined;
  sk: string | undefined;
  count: number | undefined;
}
let counting = false;
const requests: Request[] = [];

beforeAll(() => {
  for (const [name, url] of Object.entries(sandboxes.sandbox().baseUrls)) {
    process.env[`${name.toUpperCase()}_BASE_URL`] = url;
  }
  // Every DynamoDB request this process makes, as the SDK sends it.
  dynamoClient().middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (counting) {
        const input = args.input as { IndexName?: string; Key?: { sk?: string } };
        requests.push({
          command: context.commandName ?? '',
          index: input.IndexName,
          sk: input.Key?.sk,
          count: (out.output as { Count?: number }).Count,
        });
      }
      return out;
    },
    { step: 'initialize', name: 'countRequests' },
  );
});

describe('the sweeper’s DynamoDB cost', () => {
  it('reads only open payments through the sparse index: no Scan, and the same requests whatever the settled history', async () => {
    const merchant = await registerMerchant(api.request);
    const { key } = await createKey(api.request, merchant, 'test', 'full');
    const credentials = testCredentials('paystack');
    await api.request('/v1/providers/paystack', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ mode: 'test', ...credentials }),
    });
    // No webhook URL at the sandbox: settled history comes from POST /verify.
    await sandboxes.control('PUT', '/paystack/accounts', { secretKey: credentials.secretKey });
    const create = async () => {
      const res = await api.request('/v1/payments', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${key}`,
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify({ amount: 5000, currency: 'NGN', customer: { email: 'b@example.com' } }),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; checkoutUrl: string };
    };
    const settledHistory = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const p = await create();
        await sandboxes.clickOn(p.checkoutUrl, 'success');
        const res = await api.request(`/v1/payments/${p.id}/verify`, { method: 'POST', ...bearer(key) });
        expect(((await res.json()) as { status: string }).status).toBe('succeeded');
      }
    };
    const open = [await create(), await create(), await create()];
    await settledHistory(5);

    const { handler } = await import('#workers/reconcile-payments');
    /** Waits until every open payment is due, then counts one sweep's requests. */
    const sweepOnce = async () => {
      for (const p of open) {
        const view = (await (await api.request(`/v1/payments/${p.id}`, bearer(key))).json()) as {
          nextCheckAt: string;
        };
        const wait = Date.parse(view.nextCheckAt) - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait + 5));
      }
      requests.length = 0;
      counting = true;
      const report = (await handler({}, {} as never)) as { due: number; checked: number };
      counting = false;
      const queries = requests.filter((r) => r.command === 'QueryCommand');
      return {
        report,
        scans: requests.filter((r) => r.command === 'ScanCommand').length,
        queries: queries.length,
        queriesOnGsi2: queries.filter((r) => r.index === 'gsi2').length,
        itemsRead: queries.reduce((sum, r) => sum + (r.count ?? 0), 0),
        paymentReads: requests.filter((r) => r.command === 'GetItemCommand' && r.sk?.startsWith('PAY#'))
          .length,
        writes: requests.filter((r) =>
          ['UpdateItemCommand', 'TransactWriteItemsCommand', 'PutItemCommand'].includes(r.command),
        ).length,
      };
    };

    const first = await sweepOnce();
    expect(first.report).toMatchObject({ due: 3, checked: 3 });
    expect(first.scans).toBe(0);
    expect(first.queries).toBe(reconcileShards);
    expect(first.queriesOnGsi2).toBe(reconcileShards);
    expect(first.itemsRead).toBe(3);
    expect(first.paymentReads).toBe(3);
    expect(first.writes).toBe(3);

    // Ten times the settled history: the sweep costs exactly the same.
    await settledHistory(20);
    const second = await sweepOnce();
    expect(second).toEqual(first);
  });
});
