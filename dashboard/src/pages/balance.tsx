import type { BalanceTransaction, ListBalanceTransactionsQuery, PayBridgeClient } from '#client';
import { useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { dateTime, Empty, ErrorNotice, Loaded, Pager, usePager } from '../components/ui.tsx';
import { useAction, useLoad } from '../hooks.ts';
import { formatMoney } from '../money.ts';
import { href } from '../router.ts';
import { providerLabel, providers } from './payments.tsx';

const kinds = [
  'charge',
  'fee',
  'refund_hold',
  'refund',
  'refund_void',
] as const satisfies readonly NonNullable<ListBalanceTransactionsQuery['kind']>[];
const kindLabel: Record<(typeof kinds)[number], string> = {
  charge: 'Charge',
  fee: 'Fee',
  refund_hold: 'Refund held',
  refund: 'Refund',
  refund_void: 'Refund released',
};

export interface TransactionFilters {
  kind: string;
  provider: string;
  currency: string;
}
const noFilters: TransactionFilters = { kind: '', provider: '', currency: '' };

export function transactionsQuery(
  filters: TransactionFilters,
  cursor: string | undefined,
  limit = 25,
): ListBalanceTransactionsQuery {
  const query: ListBalanceTransactionsQuery = { limit };
  if (filters.kind) query.kind = filters.kind as NonNullable<ListBalanceTransactionsQuery['kind']>;
  if (filters.provider) {
    query.provider = filters.provider as NonNullable<ListBalanceTransactionsQuery['provider']>;
  }
  if (filters.currency.trim()) query.currency = filters.currency.trim().toUpperCase();
  if (cursor) query.cursor = cursor;
  return query;
}

/** The most pages one "Export CSV" fetches (100 rows each): a sanity bound, said in the file when hit. */
export const maxExportPages = 100;

/**
 * Every balance transaction matching the filters as one CSV text: the API's CSV pages (100 rows each),
 * followed by their `PayBridge-Next-Cursor` header, with the header row once.
 */
export async function exportTransactionsCsv(
  client: PayBridgeClient,
  fetchFn: typeof fetch,
  filters: TransactionFilters,
): Promise<{ csv: string; rows: number; truncated: boolean }> {
  // The cursor of the next CSV page travels in a header the typed client does not return.
  const seen: { nextCursor: string | null } = { nextCursor: null };
  const capturing: typeof fetch = async (input, init) => {
    const response = await fetchFn(input, init);
    seen.nextCursor = response.headers.get('paybridge-next-cursor');
    return response;
  };
  const csvClient = client.with({ fetch: capturing });
  const lines: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxExportPages; page++) {
    seen.nextCursor = null;
    const text = await csvClient.balance.transactionsCsv(transactionsQuery(filters, cursor, 100));
    const [header = '', ...rows] = text.split('\n').filter((line) => line.length > 0);
    if (lines.length === 0) lines.push(header);
    lines.push(...rows);
    if (!seen.nextCursor) return { csv: `${lines.join('\n')}\n`, rows: lines.length - 1, truncated: false };
    cursor = seen.nextCursor;
  }
  return { csv: `${lines.join('\n')}\n`, rows: lines.length - 1, truncated: true };
}

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function BalancePage({ client, mode, fetch: fetchFn }: PageProps & { fetch: typeof fetch }) {
  const balance = useLoad(() => client.balance.get(), [client], 10_000);
  const [draft, setDraft] = useState<TransactionFilters>(noFilters);
  const [filters, setFilters] = useState<TransactionFilters>(noFilters);
  const pager = usePager();
  const transactions = useLoad(
    () => client.balance.transactions(transactionsQuery(filters, pager.cursor)),
    [client, filters, pager.cursor],
    10_000,
  );
  const [exported, setExported] = useState<string | undefined>(undefined);
  const exporter = useAction(async () => {
    setExported(undefined);
    const result = await exportTransactionsCsv(client, fetchFn, filters);
    download(`paybridge-${mode}-balance-transactions.csv`, result.csv);
    setExported(
      `Exported ${result.rows} transaction${result.rows === 1 ? '' : 's'}${
        result.truncated ? ` (the first ${maxExportPages * 100}; narrow the filters for the rest)` : ''
      }.`,
    );
  });
  const field = (name: keyof TransactionFilters) => ({
    value: draft[name],
    onInput: (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
      setDraft({ ...draft, [name]: e.currentTarget.value }),
  });
  return (
    <section>
      <h1>Balance</h1>
      <p class="muted">
        What the ledger says sits at each provider. PayBridge holds no funds: your provider accounts do.
      </p>
      <Loaded load={balance} what="the balance">
        {(b) => (
          <>
            {b.balances.length === 0 ? (
              <Empty>No balance yet: it starts with the first succeeded payment.</Empty>
            ) : (
              <table class="fit">
                <caption>
                  Balance per provider and currency, as of <time dateTime={b.asOf}>{dateTime(b.asOf)}</time>
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Provider</th>
                    <th scope="col" class="wide-only">
                      Currency
                    </th>
                    <th scope="col" class="num">
                      Available
                    </th>
                    <th scope="col" class="num">
                      Pending refunds
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {b.balances.map((row) => (
                    <tr key={`${row.provider}-${row.currency}`}>
                      <td>{providerLabel[row.provider]}</td>
                      <td class="wide-only">{row.currency}</td>
                      <td class="num">{formatMoney(row.available, row.currency)}</td>
                      <td class="num">{formatMoney(row.pendingRefunds, row.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Loaded>
      <h2>Balance transactions</h2>
      <form
        class="filters"
        aria-label="Filter balance transactions"
        onSubmit={(e) => {
          e.preventDefault();
          pager.reset();
          setFilters(draft);
        }}
      >
        <label>
          Kind
          <select {...field('kind')}>
            <option value="">Any</option>
            {kinds.map((k) => (
              <option value={k}>{kindLabel[k]}</option>
            ))}
          </select>
        </label>
        <label>
          Provider
          <select {...field('provider')}>
            <option value="">Any</option>
            {providers.map((p) => (
              <option value={p}>{providerLabel[p]}</option>
            ))}
          </select>
        </label>
        <label>
          Currency
          <input {...field('currency')} placeholder="NGN" maxLength={3} size={5} />
        </label>
        <button type="submit">Apply filters</button>
        <button type="button" disabled={exporter.busy} onClick={() => void exporter.run()}>
          {exporter.busy ? 'Exporting…' : 'Export CSV'}
        </button>
      </form>
      <p role="status" class="muted">
        {exported ?? ''}
      </p>
      {exporter.error !== undefined && <ErrorNotice error={exporter.error} />}
      <Loaded load={transactions} what="balance transactions">
        {(page) => (
          <>
            {page.data.length === 0 ? (
              <Empty>No balance transactions{filters === noFilters ? ' yet' : ' match these filters'}.</Empty>
            ) : (
              <TransactionTable transactions={page.data} />
            )}
            <Pager
              pager={pager}
              hasMore={page.hasMore}
              nextCursor={page.nextCursor}
              label="Balance transactions"
            />
          </>
        )}
      </Loaded>
    </section>
  );
}

function TransactionTable({ transactions }: { transactions: BalanceTransaction[] }) {
  return (
    <table>
      <caption class="visually-hidden">Balance transactions, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Created</th>
          <th scope="col">Kind</th>
          <th scope="col" class="num">
            Amount
          </th>
          <th scope="col">Provider</th>
          <th scope="col">Source</th>
          <th scope="col">Accounts</th>
        </tr>
      </thead>
      <tbody>
        {transactions.map((t) => (
          <tr key={t.id} data-transaction-id={t.id}>
            <td>{dateTime(t.createdAt)}</td>
            <td>{kindLabel[t.kind]}</td>
            <td class="num">{formatMoney(t.amount, t.currency)}</td>
            <td>{providerLabel[t.provider]}</td>
            <td>
              <a href={href(t.source.type === 'payment' ? 'payments' : 'refunds', t.source.id)}>
                {t.source.id}
              </a>
            </td>
            <td class="muted">
              {t.lines
                .map((l) => `${l.account.replace(/_/g, ' ')} ${l.amount > 0 ? 'debit' : 'credit'}`)
                .join(', ')}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
