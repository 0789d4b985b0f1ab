import type { Payment } from '#client';
import type { PageProps } from '../app.tsx';
import { DailyChart } from '../components/daily-chart.tsx';
import { Empty, Loaded } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { formatMoney } from '../money.ts';
import { providerLabel } from './payments.tsx';

const day = (iso: string) => iso.slice(0, 10);

/** Totals per currency (exact, BigInt), success rate per provider and payments per day. */
export function summarize(payments: readonly Payment[], now: Date) {
  const today = day(now.toISOString());
  const volume = new Map<string, { today: bigint; month: bigint }>();
  const byProvider = new Map<string, { succeeded: number; settled: number }>();
  const perDay = new Map<string, number>();
  for (let i = 29; i >= 0; i--) perDay.set(day(new Date(now.getTime() - i * 86_400_000).toISOString()), 0);
  for (const p of payments) {
    const d = day(p.createdAt);
    if (perDay.has(d)) perDay.set(d, (perDay.get(d) ?? 0) + 1);
    const stats = byProvider.get(p.provider) ?? { succeeded: 0, settled: 0 };
    if (p.status !== 'pending' && p.status !== 'processing') stats.settled++;
    if (p.status === 'succeeded' || p.status === 'partially_refunded' || p.status === 'refunded') {
      stats.succeeded++;
      const v = volume.get(p.currency) ?? { today: 0n, month: 0n };
      v.month += BigInt(p.amount);
      if (d === today) v.today += BigInt(p.amount);
      volume.set(p.currency, v);
    }
    byProvider.set(p.provider, stats);
  }
  return { volume, byProvider, perDay: [...perDay.entries()] };
}

export function OverviewPage({ client }: PageProps) {
  const data = useLoad(
    async () => {
      const now = new Date();
      const createdFrom = new Date(now.getTime() - 30 * 86_400_000).toISOString();
      const payments: Payment[] = [];
      let cursor: string | undefined;
      // At most 1,000 payments: enough for an overview; the Payments page has them all.
      for (let i = 0; i < 10; i++) {
        const page = await client.payments.list({ limit: 100, createdFrom, ...(cursor ? { cursor } : {}) });
        payments.push(...page.data);
        if (!page.hasMore || !page.nextCursor) break;
        cursor = page.nextCursor;
      }
      const [endpoints, events] = await Promise.all([
        client.webhookEndpoints.list(),
        client.events.list({ limit: 20 }),
      ]);
      const attempts = await Promise.all(events.data.map((e) => client.events.attempts(e.id)));
      const awaiting = attempts.flatMap((a) => a.deliveries).filter((d) => d.status === 'pending').length;
      return {
        summary: summarize(payments, now),
        endpoints: endpoints.data,
        awaiting,
        count: payments.length,
      };
    },
    [client],
    10_000,
  );
  return (
    <section>
      <h1>Overview</h1>
      <Loaded load={data} what="the overview">
        {({ summary, endpoints, awaiting, count }) => (
          <>
            <div class="cards">
              <article class="card" aria-labelledby="volume-h">
                <h2 id="volume-h">Volume (succeeded)</h2>
                {summary.volume.size === 0 ? (
                  <Empty>No successful payments in the last 30 days.</Empty>
                ) : (
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Currency</th>
                        <th scope="col" class="num">
                          Today
                        </th>
                        <th scope="col" class="num">
                          Last 30 days
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {[...summary.volume.entries()].map(([currency, v]) => (
                        <tr key={currency}>
                          <th scope="row">{currency}</th>
                          <td class="num">{formatMoney(v.today, currency)}</td>
                          <td class="num">{formatMoney(v.month, currency)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </article>
              <article class="card" aria-labelledby="rate-h">
                <h2 id="rate-h">Success rate per provider</h2>
                {summary.byProvider.size === 0 ? (
                  <Empty>No payments in the last 30 days.</Empty>
                ) : (
                  <ul>
                    {[...summary.byProvider.entries()].map(([provider, s]) => (
                      <li key={provider}>
                        {providerLabel[provider as keyof typeof providerLabel]}:{' '}
                        {s.settled === 0
                          ? 'no settled payments yet'
                          : `${Math.round((s.succeeded * 100) / s.settled)}% (${s.succeeded} of ${s.settled} settled)`}
                      </li>
                    ))}
                  </ul>
                )}
              </article>
              <article class="card" aria-labelledby="hooks-h">
                <h2 id="hooks-h">Webhooks</h2>
                <p>{awaiting} deliveries awaiting delivery (of the 20 latest events).</p>
                {endpoints.filter((e) => e.failingSince || !e.enabled).length === 0 ? (
                  <p>No endpoint is failing.</p>
                ) : (
                  <ul>
                    {endpoints
                      .filter((e) => e.failingSince || !e.enabled)
                      .map((e) => (
                        <li key={e.id}>
                          <code>{e.url}</code>: {e.enabled ? `failing since ${e.failingSince}` : 'disabled'}
                        </li>
                      ))}
                  </ul>
                )}
              </article>
            </div>
            <h2 id="chart-h">Payments per day, last 30 days ({count})</h2>
            <DailyChart days={summary.perDay} labelledBy="chart-h" />
          </>
        )}
      </Loaded>
    </section>
  );
}
