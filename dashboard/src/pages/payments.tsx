import type {
  DeliveryAttemptList,
  Event,
  ListPaymentsQuery,
  Payment,
  PaymentActivity,
  Refund,
} from '#client';
import { useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { dateTime, Empty, ErrorNotice, Loaded, Pager, StatusBadge, usePager } from '../components/ui.tsx';
import { useAction, useLoad } from '../hooks.ts';
import { formatMoney } from '../money.ts';
import { href } from '../router.ts';
import { RefundForm, refundableRemainder, RefundTable } from './refunds.tsx';

export const paymentStatuses = [
  'pending',
  'processing',
  'succeeded',
  'failed',
  'cancelled',
  'expired',
  'requires_review',
  'partially_refunded',
  'refunded',
] as const satisfies readonly NonNullable<ListPaymentsQuery['status']>[];
export const providers = [
  'paystack',
  'flutterwave',
  'stripe',
  'chapa',
] as const satisfies readonly NonNullable<ListPaymentsQuery['provider']>[];
export type ProviderId = (typeof providers)[number];
export const providerLabel: Record<(typeof providers)[number], string> = {
  paystack: 'Paystack',
  flutterwave: 'Flutterwave',
  stripe: 'Stripe',
  chapa: 'Chapa',
};

export interface PaymentFilters {
  status: string;
  provider: string;
  currency: string;
  from: string; // yyyy-mm-dd
  to: string;
  search: string; // a reference, or a customer email
}
export const noPaymentFilters: PaymentFilters = {
  status: '',
  provider: '',
  currency: '',
  from: '',
  to: '',
  search: '',
};
const noFilters = noPaymentFilters;

/**
 * The query the API filters by: every filter is applied by the server, so pages stay full. A search
 * with "@" is a customer email (exact, any case); anything else is a reference.
 */
export function paymentsQuery(filters: PaymentFilters, cursor: string | undefined): ListPaymentsQuery {
  const query: ListPaymentsQuery = { limit: 25 };
  if (filters.status) query.status = filters.status as NonNullable<ListPaymentsQuery['status']>;
  if (filters.provider) query.provider = filters.provider as NonNullable<ListPaymentsQuery['provider']>;
  const currency = filters.currency.trim().toUpperCase();
  if (currency) query.currency = currency;
  if (filters.from) query.createdFrom = new Date(`${filters.from}T00:00:00`).toISOString();
  if (filters.to) query.createdTo = new Date(`${filters.to}T23:59:59.999`).toISOString();
  const search = filters.search.trim();
  if (search.includes('@')) query.email = search;
  else if (search) query.reference = search;
  if (cursor) query.cursor = cursor;
  return query;
}

/** The payments page's first request (no filters, first page), as the client sends it: a reload prefetches it. */
export function firstPaymentsPath(): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(paymentsQuery(noFilters, undefined))) {
    if (value !== undefined) search.set(name, String(value));
  }
  return `/v1/payments?${search}`;
}

export function PaymentsPage({ client }: PageProps) {
  const [draft, setDraft] = useState<PaymentFilters>(noFilters);
  const [filters, setFilters] = useState<PaymentFilters>(noFilters);
  const pager = usePager();
  // Polled, so a payment completed at the provider shows up without reloading the app.
  const payments = useLoad(
    () => client.payments.list(paymentsQuery(filters, pager.cursor)),
    [client, filters, pager.cursor],
    3000,
  );
  const field = (name: keyof PaymentFilters) => ({
    value: draft[name],
    onInput: (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
      setDraft({ ...draft, [name]: e.currentTarget.value }),
  });
  return (
    <section>
      <h1>Payments</h1>
      <form
        class="filters"
        aria-label="Filter payments"
        onSubmit={(e) => {
          e.preventDefault();
          pager.reset();
          setFilters(draft);
        }}
      >
        <label>
          Status
          <select {...field('status')}>
            <option value="">Any</option>
            {paymentStatuses.map((s) => (
              <option value={s}>{s.replace(/_/g, ' ')}</option>
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
        <label>
          From
          <input type="date" {...field('from')} />
        </label>
        <label>
          To
          <input type="date" {...field('to')} />
        </label>
        <label>
          Reference or email
          <input type="search" {...field('search')} />
        </label>
        <button type="submit">Apply filters</button>
        <button
          type="button"
          onClick={() => {
            setDraft(noFilters);
            setFilters(noFilters);
            pager.reset();
          }}
        >
          Clear filters
        </button>
      </form>
      <Loaded load={payments} what="payments">
        {(page) => {
          const rows = page.data;
          return (
            <>
              {rows.length === 0 ? (
                <Empty>
                  {filters === noFilters
                    ? 'No payments yet. Create one with your API key: POST /v1/payments.'
                    : 'No payments match these filters.'}
                </Empty>
              ) : (
                <PaymentTable payments={rows} />
              )}
              <Pager pager={pager} hasMore={page.hasMore} nextCursor={page.nextCursor} label="Payments" />
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

export function PaymentTable({
  payments,
  caption = 'Payments, newest first',
}: {
  payments: readonly Payment[];
  caption?: string;
}) {
  return (
    <table>
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Payment</th>
          <th scope="col" class="num">
            Amount
          </th>
          <th scope="col">Status</th>
          <th scope="col">Customer</th>
          <th scope="col">Provider</th>
          <th scope="col">Reference</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {payments.map((p) => (
          <tr key={p.id} data-payment-id={p.id}>
            <td>
              <a href={href('payments', p.id)}>{p.id}</a>
            </td>
            <td class="num">{formatMoney(p.amount, p.currency)}</td>
            <td>
              <StatusBadge status={p.status} />
            </td>
            <td>{p.customer.email}</td>
            <td>{providerLabel[p.provider]}</td>
            <td>{p.reference ?? '—'}</td>
            <td>{dateTime(p.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface TimelineEntry {
  at: string;
  title: string;
  detail?: string;
  status?: string;
}

/** Where a settlement came from, in words. */
export const settledByLabel: Record<NonNullable<Payment['settledBy']>, string> = {
  webhook: 'the provider’s webhook',
  verify: 'a verify call',
  reconciliation: 'the reconciliation sweeper',
};

/** What PayBridge did with a provider webhook, in words. */
export const webhookOutcomeLabel: Record<
  Extract<PaymentActivity, { kind: 'provider_webhook' }>['outcome'],
  string
> = {
  applied: 'applied to the payment',
  duplicate: 'a duplicate, already applied',
  ignored: 'ignored: it does not move the payment',
  retry: 'not finished, to be retried',
  rejected: 'rejected, nothing applied',
};

/** Who asked the provider, in words. */
export const verifySourceLabel: Record<Extract<PaymentActivity, { kind: 'verify' }>['source'], string> = {
  api: 'Verify with provider (API or dashboard)',
  reconciliation: 'Verify by the reconciliation sweeper',
};

/** A provider webhook received, or a verify call, as a timeline entry: the result in words, not colour. */
export function activityEntry(entry: PaymentActivity): TimelineEntry {
  const provider = providerLabel[entry.provider];
  if (entry.kind === 'provider_webhook') {
    const detail = [
      webhookOutcomeLabel[entry.outcome],
      entry.reason ? `reason ${entry.reason}` : undefined,
      entry.providerEventId ? `${provider} event ${entry.providerEventId}` : undefined,
    ].filter((d): d is string => d !== undefined);
    return {
      at: entry.at,
      title: `${provider} webhook received: signature ${entry.signature}`,
      detail: detail.join('; '),
      status: entry.signature === 'valid' ? 'signature_valid' : 'signature_rejected',
    };
  }
  return {
    at: entry.at,
    title: `${verifySourceLabel[entry.source]}: ${provider}`,
    ...(entry.errorCode
      ? { detail: `the call failed: ${entry.errorCode}`, status: 'failed' }
      : entry.status
        ? { detail: `the payment is ${entry.status.replace(/_/g, ' ')}`, status: entry.status }
        : {}),
  };
}

/**
 * The payment's story: created, each provider attempt and failover, each provider webhook received
 * (with its signature result) and verify call, each event and each delivery attempt, each refund,
 * and the settling source.
 */
export function timeline(
  payment: Payment,
  events: Event[],
  attempts: Map<string, DeliveryAttemptList>,
  refunds: readonly Refund[] = [],
  activity: readonly PaymentActivity[] = [],
) {
  const entries: TimelineEntry[] = [
    {
      at: payment.createdAt,
      title: 'Payment created',
      detail: formatMoney(payment.amount, payment.currency),
    },
  ];
  payment.attempts.forEach((a, i) => {
    const next = payment.attempts[i + 1];
    entries.push({
      at: a.at,
      title: `${providerLabel[a.provider]}: checkout ${a.outcome}`,
      detail:
        a.outcome === 'failed'
          ? `${a.error?.code ?? 'error'}: ${a.error?.message ?? ''}${next ? ` — failed over to ${providerLabel[next.provider]}` : ''}`
          : `provider reference ${a.reference}`,
      status: a.outcome === 'failed' ? 'failed' : 'ok',
    });
  });
  for (const entry of activity) entries.push(activityEntry(entry));
  for (const event of events) {
    entries.push({ at: event.createdAt, title: `Event ${event.type}`, detail: event.id });
    for (const attempt of attempts.get(event.id)?.data ?? []) {
      entries.push({
        at: attempt.at,
        title: `Delivery attempt ${attempt.attempt} to ${attempt.endpointId}`,
        detail: `${attempt.status === null ? `no answer (${attempt.error ?? 'error'})` : `HTTP ${attempt.status}`}, ${Math.round(attempt.latencyMs)} ms`,
        status:
          attempt.status !== null && attempt.status >= 200 && attempt.status < 300 ? 'delivered' : 'failed',
      });
    }
  }
  for (const refund of refunds) {
    entries.push({
      at: refund.createdAt,
      title: `Refund ${refund.id} of ${formatMoney(refund.amount, refund.currency)}`,
      ...(refund.failureReason ? { detail: refund.failureReason } : {}),
      ...(refund.nextAction ? { detail: refund.nextAction } : {}),
      status: refund.status,
    });
  }
  if (payment.updatedAt !== payment.createdAt && payment.status !== 'pending') {
    const details = [
      payment.settledBy ? `settled by ${settledByLabel[payment.settledBy]}` : undefined,
      payment.lateSettlement ? 'paid after PayBridge had expired it' : undefined,
      payment.failureReason ?? undefined,
    ].filter((d): d is string => d !== undefined);
    entries.push({
      at: payment.updatedAt,
      title: `Status ${payment.status.replace(/_/g, ' ')}`,
      ...(details.length > 0 ? { detail: details.join('; ') } : {}),
      status: payment.status,
    });
  }
  return entries.sort((a, b) => a.at.localeCompare(b.at));
}

export function PaymentDetailPage({ client, id }: PageProps & { id: string }) {
  const payment = useLoad(() => client.payments.get(id), [client, id], 5000);
  const history = useLoad(
    async () => {
      const [events, activity] = await Promise.all([
        client.events.list({ paymentId: id, limit: 50 }),
        client.payments.activity(id),
      ]);
      const attempts = new Map<string, DeliveryAttemptList>();
      await Promise.all(events.data.map(async (e) => attempts.set(e.id, await client.events.attempts(e.id))));
      return { events: events.data, attempts, activity: activity.data };
    },
    [client, id],
    5000,
  );
  const verify = useAction(() => client.payments.verify(id));
  const refunds = useLoad(() => client.refunds.ofPayment(id), [client, id], 5000);
  return (
    <section>
      <p>
        <a href={href('payments')}>← All payments</a>
      </p>
      <h1>Payment {id}</h1>
      <Loaded load={payment} what="the payment">
        {(p) => (
          <>
            <dl class="summary">
              <dt>Amount</dt>
              <dd>{formatMoney(p.amount, p.currency)}</dd>
              <dt>Status</dt>
              <dd>
                <StatusBadge status={p.status} />
                {p.failureReason && <> ({p.failureReason})</>}
              </dd>
              <dt>Customer</dt>
              <dd>{p.customer.name ? `${p.customer.name} <${p.customer.email}>` : p.customer.email}</dd>
              <dt>Provider</dt>
              <dd>
                {providerLabel[p.provider]}, reference <code>{p.providerReference}</code>
              </dd>
              <dt>Your reference</dt>
              <dd>{p.reference ?? '—'}</dd>
              <dt>Description</dt>
              <dd>{p.description ?? '—'}</dd>
              <dt>Settled by</dt>
              <dd>{p.settledBy ? settledByLabel[p.settledBy] : '—'}</dd>
              <dt>Mode</dt>
              <dd>{p.mode}</dd>
            </dl>
            <div class="actions">
              <button
                type="button"
                disabled={verify.busy}
                onClick={() =>
                  void verify.run().then((v) => {
                    if (!v) return;
                    payment.reload();
                    refunds.reload();
                    history.reload();
                  })
                }
              >
                {verify.busy ? 'Verifying…' : 'Verify with provider'}
              </button>
              {verify.error !== undefined && <ErrorNotice error={verify.error} />}
            </div>
            <h2>Refunds</h2>
            <Loaded load={refunds} what="refunds">
              {(list) => (
                <>
                  {list.data.length === 0 ? (
                    <Empty>No refunds of this payment.</Empty>
                  ) : (
                    <RefundTable refunds={list.data} caption="Refunds of this payment" showPayment={false} />
                  )}
                  {p.status === 'succeeded' || p.status === 'partially_refunded' ? (
                    <RefundForm
                      key={`${p.status}-${list.data.length}`}
                      payment={p}
                      remainder={refundableRemainder(p, list.data)}
                      create={(input, opts) => client.refunds.create(id, input, opts)}
                      onRefunded={() => {
                        refunds.reload();
                        payment.reload();
                        history.reload();
                      }}
                    />
                  ) : (
                    <p class="muted">A payment can be refunded once it has succeeded.</p>
                  )}
                </>
              )}
            </Loaded>
            <h2>Timeline</h2>
            <Loaded load={history} what="the timeline">
              {(h) => (
                <ol class="timeline" aria-label="Timeline">
                  {timeline(
                    p,
                    h.events,
                    h.attempts,
                    refunds.state === 'ready' ? refunds.value.data : [],
                    h.activity,
                  ).map((entry) => (
                    <li>
                      <time dateTime={entry.at}>{dateTime(entry.at)}</time> <strong>{entry.title}</strong>
                      {entry.status && (
                        <>
                          {' '}
                          <StatusBadge status={entry.status} />
                        </>
                      )}
                      {entry.detail && <div class="muted">{entry.detail}</div>}
                    </li>
                  ))}
                </ol>
              )}
            </Loaded>
          </>
        )}
      </Loaded>
    </section>
  );
}
