import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { capturePostings, posting, type Posting } from '#core/ledger';
import { newId } from '#core/ids';
import { dynamoClient } from '#runtime/clients';
import { allPostings, listPostings, postingItems } from '#store/ledger';

/**
 * Ledger entries on DynamoDB Local: a capture's charge and fee are one item (one
 * table and one index write), read back as two postings; lists page through
 * entries without losing or repeating a posting whatever the limit; a retried
 * capture still posts nothing twice.
 */

const mode = 'test' as const;

function capture(merchantId: string, amount: number, fee: number | null, at: string): Posting[] {
  return capturePostings(
    { id: newId('pay'), merchantId, mode, provider: 'paystack', currency: 'NGN' },
    amount,
    fee,
    at,
  );
}

function refundHold(merchantId: string, paymentId: string, amount: number, at: string): Posting {
  return posting(
    {
      merchantId,
      mode,
      provider: 'paystack',
      currency: 'NGN',
      paymentId,
      source: { type: 'refund', id: newId('re') },
    },
    'refund_hold',
    amount,
    at,
  );
}

const write = (postings: readonly Posting[]) =>
  dynamoClient().send(new TransactWriteCommand({ TransactItems: postingItems(postings) }));

/** A merchant with, newest first: a refund hold, a capture with a fee, a capture without, a capture with a fee. */
async function ledgerOf(): Promise<{ merchantId: string; newestFirst: Posting[] }> {
  const merchantId = newId('mer');
  const first = capture(merchantId, 10_000, 150, '2026-12-01T10:00:00.000Z');
  const second = capture(merchantId, 20_000, null, '2026-12-01T11:00:00.000Z');
  const third = capture(merchantId, 30_000, 450, '2026-12-01T12:00:00.000Z');
  const hold = refundHold(merchantId, third[0]?.paymentId ?? '', 5_000, '2026-12-01T13:00:00.000Z');
  for (const postings of [first, second, third, [hold]]) await write(postings);
  // Newest first by time; one entry's postings in the order they were made.
  return { merchantId, newestFirst: [hold, ...third, ...second, ...first] };
}

describe('ledger entries', () => {
  it('writes a capture with a fee as one item holding both postings, and a lone posting as before', () => {
    const merchantId = newId('mer');
    const items = postingItems(capture(merchantId, 10_000, 150, new Date().toISOString()));
    const puts = items.filter((i) => i.Put);
    expect(puts).toHaveLength(1);
    expect(puts[0]?.Put?.Item).toMatchObject({ kind: 'charge', more: [{ kind: 'fee', amount: 150 }] });
    expect(items.filter((i) => i.Update)).toHaveLength(1);
    const single = postingItems(capture(merchantId, 10_000, null, new Date().toISOString()));
    expect(single.filter((i) => i.Put)).toHaveLength(1);
    expect(single[0]?.Put?.Item).not.toHaveProperty('more');
  });

  it('reads every posting back, in the invariant check and in lists', async () => {
    const { merchantId, newestFirst } = await ledgerOf();
    const all = await allPostings(merchantId, mode);
    expect(all.map((p) => p.id).sort()).toEqual(newestFirst.map((p) => p.id).sort());
    expect(all.find((p) => p.kind === 'fee' && p.amount === 450)).toEqual(
      newestFirst.find((p) => p.kind === 'fee' && p.amount === 450),
    );
    const page = await listPostings(merchantId, mode, {}, 100);
    expect(page.data).toEqual(newestFirst);
    expect(page.hasMore).toBe(false);
  });

  it.each([1, 2, 3, 4])(
    'pages through entries %i posting(s) at a time, none lost or repeated',
    async (limit) => {
      const { merchantId, newestFirst } = await ledgerOf();
      const seen: Posting[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 20; pages += 1) {
        const page = await listPostings(merchantId, mode, {}, limit, cursor);
        expect(page.data.length).toBeLessThanOrEqual(limit);
        seen.push(...page.data);
        if (!page.hasMore || page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(seen.map((p) => p.id)).toEqual(newestFirst.map((p) => p.id));
    },
  );

  it('filters by kind inside entries', async () => {
    const { merchantId, newestFirst } = await ledgerOf();
    const fees = await listPostings(merchantId, mode, { kind: 'fee' }, 100);
    expect(fees.data).toEqual(newestFirst.filter((p) => p.kind === 'fee'));
    // A filtered page may hold fewer than its limit (the list convention): page to the end.
    const charges: Posting[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages += 1) {
      const page = await listPostings(merchantId, mode, { kind: 'charge' }, 1, cursor);
      charges.push(...page.data);
      if (!page.hasMore || page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(charges).toEqual(newestFirst.filter((p) => p.kind === 'charge'));
  });

  it('refuses a cursor whose posting offset is not a small number', async () => {
    const { merchantId } = await ledgerOf();
    await expect(listPostings(merchantId, mode, {}, 1, '.x')).rejects.toMatchObject({
      code: 'invalid_cursor',
    });
    await expect(listPostings(merchantId, mode, {}, 1, 'abc.0')).rejects.toMatchObject({
      code: 'invalid_cursor',
    });
  });

  it('never posts a capture twice: the retried transaction fails whole', async () => {
    const merchantId = newId('mer');
    const postings = capture(merchantId, 10_000, 150, new Date().toISOString());
    await write(postings);
    await expect(write(postings)).rejects.toThrow();
    expect(await allPostings(merchantId, mode)).toHaveLength(2);
  });
});
