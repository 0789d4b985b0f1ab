import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient } from '#runtime/clients';
import { useApi } from '#test/http';
import { createKey, registerMerchant } from '#test/merchants';
import { testCredentials } from '#test/providers';
import { useSandboxes } from '#test/sandbox-fixture';

const sandboxes = useSandboxes();
const api = useApi();

interface Sent {
  command: string;
  pk: string | undefined;
}
let counting = false;
const sent: Sent[] = [];

beforeAll(() => {
  for (const [name, url] of Object.entries(sandboxes.sandbox().baseUrls)) {
    process.env[`${name.toUpperCase()}_BASE_URL`] = url;
  }
  // Every DynamoDB request this process makes, as the SDK sends it.
  dynamoClient().middlewareStack.add(
    (next, context) => async (args) => {
      if (counting) {
        const input = args.input as { Key?: { pk?: unknown }; Item?: { pk?: unknown } };
        // Marshalled or not, depending on where in the stack the document client converts.
        const raw = input.Key?.pk ?? input.Item?.pk;
        const pk = typeof raw === 'string' ? raw : (raw as { S?: string } | undefined)?.S;
        sent.push({ command: context.commandName ?? '', pk });
      }
      return next(args);
    },
    { step: 'initialize', name: 'countCreatePaymentRequests' },
  );
});

async function counted(action: () => Promise<void>): Promise<Sent[]> {
  sent.length = 0;
  counting = true;
  try {
    await action();
  } finally {
    counting = false;
  }
  return [...sent];
}

describe('create payment’s DynamoDB requests (issue #15)', () => {
  it('costs the idempotency claim and the final transaction only, with the key, limits and routing cached', async () => {
    const merchant = await registerMerchant(api.request);
    const { key } = await createKey(api.request, merchant, 'test', 'full');
    const configured = await api.request('/v1/providers/paystack', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ mode: 'test', ...testCredentials('paystack') }),
    });
    expect(configured.status).toBe(200);
    const pay = async () => {
      const res = await api.request('/v1/payments', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${key}`,
          'idempotency-key': `idem-${Math.random()}`,
        },
        body: JSON.stringify({
          amount: 50_000,
          currency: 'NGN',
          customer: { email: 'buyer@example.com' },
        }),
      });
      expect(res.status).toBe(201);
    };
    // The first payment fills the caches: limits and enabled configurations, read together.
    const first = await counted(pay);
    expect(first.filter((s) => s.command === 'QueryCommand')).toHaveLength(1);
    // Within the caches' 5 s, and with this file's few requests far from a counter flush (every 10
    // hits per counter): no rate-limit write, no read at all.
    const warm = await counted(pay);
    expect(warm.map((s) => s.command)).toEqual(['PutItemCommand', 'TransactWriteItemsCommand']);
    expect(warm[0]?.pk).toMatch(/^IDEM#/);
  });
});
