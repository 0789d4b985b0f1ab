import * as z from 'zod/mini';
import { type Posting, postingKinds } from '#core/ledger';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { currency, limit, objectId, pageParams, providerName, createdRange } from '#edge/schemas';
import { ledger } from '#app/ledger';

const query = z.strictObject({
  limit,
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  kind: z.optional(z.enum(postingKinds)),
  provider: z.optional(providerName),
  currency: z.optional(currency),
  payment: z.optional(objectId('pay', 'a payment')),
  createdFrom: z.optional(z.string().check(z.iso.datetime())),
  createdTo: z.optional(z.string().check(z.iso.datetime())),
  format: z.optional(z.enum(['json', 'csv'])),
});

/** The answer's fields in order, id first. */
export const publicPosting = (p: Posting) => ({
  id: p.id,
  kind: p.kind,
  amount: p.amount,
  currency: p.currency,
  provider: p.provider,
  lines: p.lines.map((l) => ({ account: l.account, amount: l.amount })),
  source: { type: p.source.type, id: p.source.id },
  paymentId: p.paymentId,
  createdAt: p.createdAt,
});

const csvHeader =
  'id,created_at,kind,provider,currency,amount,source_type,source_id,payment_id,debit_account,credit_account';
const csvCell = (value: string | number) => {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};
const csvRow = (p: Posting) =>
  [
    p.id,
    p.createdAt,
    p.kind,
    p.provider,
    p.currency,
    p.amount,
    p.source.type,
    p.source.id,
    p.paymentId,
    p.lines.find((l) => l.amount > 0)?.account ?? '',
    p.lines.find((l) => l.amount < 0)?.account ?? '',
  ]
    .map(csvCell)
    .join(',');

/** GET /v1/balance-transactions — ledger postings newest first; `?format=csv` for a spreadsheet. */
export const handler = http({ query }, async ({ actor, query }) => {
  const caller = requireMerchant(actor);
  const { limit, cursor } = pageParams(query);
  const { createdFrom, createdTo } = createdRange(query);
  const page = await ledger.listPostings(
    caller.merchantId,
    caller.mode,
    {
      kind: query.kind,
      provider: query.provider,
      currency: query.currency,
      paymentId: query.payment,
      createdFrom,
      createdTo,
    },
    limit,
    cursor,
  );
  if (query.format === 'csv') {
    return {
      text: [csvHeader, ...page.data.map(csvRow)].join('\n') + '\n',
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': 'attachment; filename="balance-transactions.csv"',
        ...(page.nextCursor ? { 'paybridge-next-cursor': page.nextCursor } : {}),
      },
    };
  }
  return { body: { ...page, data: page.data.map(publicPosting) } };
});
