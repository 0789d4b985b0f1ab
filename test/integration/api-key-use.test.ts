import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiKeyCacheMs } from '#edge/auth';
import { dynamoClient } from '#runtime/clients';
import { keys } from '#store/keys';
import { touchApiKey } from '#store/identity';
import { tableName } from '#store/table-name';
import { useApi } from '#test/http';
import { bearer, createKey, registerMerchant } from '#test/merchants';

const api = useApi();

let counting = false;
const keyWrites: string[] = [];
beforeAll(() => {
  // The lastUsedAt writes this process sends: UpdateItem on a KEY# item.
  dynamoClient().middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: { sk?: unknown } };
      const raw = input.Key?.sk;
      const sk = typeof raw === 'string' ? raw : (raw as { S?: string } | undefined)?.S;
      if (counting && context.commandName === 'UpdateItemCommand' && sk?.startsWith('KEY#')) {
        keyWrites.push(sk);
      }
      return next(args);
    },
    { step: 'initialize', name: 'countKeyWrites' },
  );
});

const lastUsedAt = async (merchantId: string, keyId: string) =>
  (
    await dynamoClient().send(
      new GetCommand({ TableName: tableName(), Key: keys.apiKey(merchantId, keyId), ConsistentRead: true }),
    )
  ).Item?.lastUsedAt as string | null | undefined;

describe('an API key’s lastUsedAt (issue #15)', () => {
  it('is written once per 5 minutes per key and container, not on each cache refill', async () => {
    const merchant = await registerMerchant(api.request);
    const { id, key } = await createKey(api.request, merchant, 'test', 'full');
    counting = true;
    try {
      expect((await api.request('/v1/me', bearer(key))).status).toBe(200);
      expect(keyWrites).toHaveLength(1);
      expect(await lastUsedAt(merchant.merchantId, id)).toEqual(expect.any(String));
      // Past the key cache: the lookup runs again, the write does not.
      await new Promise((resolve) => setTimeout(resolve, apiKeyCacheMs + 200));
      expect((await api.request('/v1/me', bearer(key))).status).toBe(200);
      expect(keyWrites).toHaveLength(1);
    } finally {
      counting = false;
    }
  });

  it('takes another container’s later time, and never goes back to an earlier one', async () => {
    const merchant = await registerMerchant(api.request);
    const { id } = await createKey(api.request, merchant, 'test', 'full');
    const at = new Date('2026-12-07T12:00:00.000Z');
    await touchApiKey(merchant.merchantId, id, at);
    // Another container, a minute later (within 5 minutes of the first write): recorded.
    await touchApiKey(merchant.merchantId, id, new Date(at.getTime() + 60_000));
    expect(await lastUsedAt(merchant.merchantId, id)).toBe('2026-12-07T12:01:00.000Z');
    // A slower container's earlier time arrives late: refused, the later time stays.
    await touchApiKey(merchant.merchantId, id, at);
    expect(await lastUsedAt(merchant.merchantId, id)).toBe('2026-12-07T12:01:00.000Z');
    // A key that does not exist is not created by a touch.
    await touchApiKey(merchant.merchantId, 'key_missing', at);
    expect(await lastUsedAt(merchant.merchantId, 'key_missing')).toBeUndefined();
  });
});
