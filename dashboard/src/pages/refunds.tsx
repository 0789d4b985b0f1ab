import type { ListRefundsQuery, Payment, Refund } from '#client';
import { useRef, useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { dateTime, Empty, ErrorNotice, Loaded, Pager, StatusBadge, usePager } from '../components/ui.tsx';
import { useAction, useLoad } from '../hooks.ts';
import { currencyDigits, decimalToMinor, formatMoney, minorToDecimal } from '../money.ts';
import { href } from '../router.ts';

export const refundStatuses = [
  'pending',
  'requires_action',
  'succeeded',
  'failed',
] as const satisfies readonly NonNullable<ListRefundsQuery['status']>[];

export const refundReasons = [
  { value: 'requested_by_customer', label: 'Requested by customer' },
  { value: 'duplicate', label: 'Duplicate payment' },
  { value: 'fraudulent', label: 'Fraudulent' },
  { value: 'other', label: 'Other' },
] as const;
export type RefundReason = (typeof refundReasons)[number]['value'];
const reasonLabel = (reason: string | null) =>
  reason ? (refundReasons.find((r) => r.value === reason)?.label ?? reason) : '—';

export interface RefundFilters {
  status: string;
  payment: string;
  from: string; // yyyy-mm-dd
  to: string;
}
const noFilters: RefundFilters = { status: '', payment: '', from: '', to: '' };

/** The query the API filters by: status, payment, created range; the cursor of the page. */
export function refundsQuery(filters: RefundFilters, cursor: string | undefined): ListRefundsQuery {
  const query: ListRefundsQuery = { limit: 25 };
  if (filters.status) query.status = filters.status as NonNullable<ListRefundsQuery['status']>;
  if (filters.payment.trim()) query.payment = filters.payment.trim();
  if (filters.from) query.createdFrom = new Date(`${filters.from}T00:00:00`).toISOString();
  if (filters.to) query.createdTo = new Date(`${filters.to}T23:59:59.999`).toISOString();
  if (cursor) query.cursor = cursor;
  return query;
}

/** Refunds that still count against the payment: everything but failed ones. */
export function refundableRemainder(payment: Pick<Payment, 'amount'>, refunds: readonly Refund[]): number {
  const held = refunds.filter((r) => r.status !== 'failed').reduce((sum, r) => sum + BigInt(r.amount), 0n);
  const left = BigInt(payment.amount) - held;
  return left > 0n ? Number(left) : 0;
}

/** What a refund waits on, or why it failed, in words. */
function refundNote(refund: Refund): string | undefined {
  if (refund.status === 'requires_action') return refund.nextAction ?? 'The provider needs something.';
  if (refund.status === 'failed') return refund.failureReason ?? 'The provider refused it.';
  return undefined;
}

export function RefundTable({
  refunds,
  caption,
  showPayment = true,
}: {
  refunds: readonly Refund[];
  caption: string;
  showPayment?: boolean;
}) {
  return (
    <table>
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Refund</th>
          <th scope="col" class="num">
            Amount
          </th>
          <th scope="col">Status</th>
          {showPayment && <th scope="col">Payment</th>}
          <th scope="col">Reason</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {refunds.map((r) => {
          const note = refundNote(r);
          return (
            <tr key={r.id} data-refund-id={r.id}>
              <td>
                <a href={href('refunds', r.id)}>{r.id}</a>
              </td>
              <td class="num">{formatMoney(r.amount, r.currency)}</td>
              <td>
                <StatusBadge status={r.status} />
                {note && <div class="muted">{note}</div>}
              </td>
              {showPayment && (
                <td>
                  <a href={href('payments', r.paymentId)}>{r.paymentId}</a>
                </td>
              )}
              <td>{reasonLabel(r.reason)}</td>
              <td>{dateTime(r.createdAt)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function RefundsPage({ client, id }: PageProps & { id?: string | undefined }) {
  if (id) return <RefundDetail client={client} id={id} />;
  return <RefundList client={client} />;
}

function RefundList({ client }: Pick<PageProps, 'client'>) {
  const [draft, setDraft] = useState<RefundFilters>(noFilters);
  const [filters, setFilters] = useState<RefundFilters>(noFilters);
  const pager = usePager();
  const refunds = useLoad(
    () => client.refunds.list(refundsQuery(filters, pager.cursor)),
    [client, filters, pager.cursor],
    5000,
  );
  const field = (name: keyof RefundFilters) => ({
    value: draft[name],
    onInput: (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
      setDraft({ ...draft, [name]: e.currentTarget.value }),
  });
  return (
    <section>
      <h1>Refunds</h1>
      <p class="muted">
        Money given back through the provider that took the payment. Refund a payment from its page.
      </p>
      <form
        class="filters"
        aria-label="Filter refunds"
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
            {refundStatuses.map((s) => (
              <option value={s}>{s.replace(/_/g, ' ')}</option>
            ))}
          </select>
        </label>
        <label>
          Payment ID
          <input {...field('payment')} placeholder="pay_…" size={28} />
        </label>
        <label>
          From
          <input type="date" {...field('from')} />
        </label>
        <label>
          To
          <input type="date" {...field('to')} />
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
      <Loaded load={refunds} what="refunds">
        {(page) => (
          <>
            {page.data.length === 0 ? (
              <Empty>
                {filters === noFilters
                  ? 'No refunds yet. Refund a succeeded payment from its page.'
                  : 'No refunds match these filters.'}
              </Empty>
            ) : (
              <RefundTable refunds={page.data} caption="Refunds, newest first" />
            )}
            <Pager pager={pager} hasMore={page.hasMore} nextCursor={page.nextCursor} label="Refunds" />
          </>
        )}
      </Loaded>
    </section>
  );
}

function RefundDetail({ client, id }: Pick<PageProps, 'client'> & { id: string }) {
  const refund = useLoad(() => client.refunds.get(id), [client, id], 5000);
  return (
    <section>
      <p>
        <a href={href('refunds')}>← All refunds</a>
      </p>
      <h1>Refund {id}</h1>
      <Loaded load={refund} what="the refund">
        {(r) => (
          <dl class="summary">
            <dt>Amount</dt>
            <dd>{formatMoney(r.amount, r.currency)}</dd>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={r.status} />
              {refundNote(r) && <> ({refundNote(r)})</>}
            </dd>
            <dt>Payment</dt>
            <dd>
              <a href={href('payments', r.paymentId)}>{r.paymentId}</a>
            </dd>
            <dt>Reason</dt>
            <dd>{reasonLabel(r.reason)}</dd>
            <dt>Provider refund</dt>
            <dd>{r.providerRefundId ? <code>{r.providerRefundId}</code> : '—'}</dd>
            <dt>Created</dt>
            <dd>{dateTime(r.createdAt)}</dd>
            <dt>Updated</dt>
            <dd>{dateTime(r.updatedAt)}</dd>
            <dt>Mode</dt>
            <dd>{r.mode}</dd>
          </dl>
        )}
      </Loaded>
    </section>
  );
}

/** A fresh Idempotency-Key: one per submission, so a double click or a retry makes one refund. */
export const newIdempotencyKey = (): string => `dashboard-refund-${crypto.randomUUID()}`;

/**
 * "Refund": the amount (the remainder by default), a reason, then a confirmation. The
 * Idempotency-Key is made when the form is submitted and kept through the confirmation, so
 * however often "Confirm refund" is pressed for this submission, the API makes one refund.
 */
export function RefundForm({
  payment,
  remainder,
  create,
  onRefunded,
  makeKey = newIdempotencyKey,
}: {
  payment: Pick<Payment, 'id' | 'amount' | 'currency' | 'customer'>;
  remainder: number;
  create: (
    input: { amount: number; reason: RefundReason },
    opts: { idempotencyKey: string },
  ) => Promise<Refund>;
  onRefunded: (refund: Refund) => void;
  makeKey?: () => string;
}) {
  const digits = currencyDigits(payment.currency);
  const [amountText, setAmountText] = useState(() => minorToDecimal(remainder, digits));
  const [reason, setReason] = useState<RefundReason>('requested_by_customer');
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [pending, setPending] = useState<{ amount: number; reason: RefundReason } | undefined>(undefined);
  const key = useRef<string | undefined>(undefined);
  const inFlight = useRef(false);
  const action = useAction(create);

  const submit = (e: Event) => {
    e.preventDefault();
    const amount = decimalToMinor(amountText, digits);
    if (amount === undefined || amount <= 0) {
      setProblem(
        `Enter an amount greater than zero with at most ${digits} decimal place${digits === 1 ? '' : 's'}.`,
      );
      return;
    }
    if (amount > remainder) {
      setProblem(`At most ${formatMoney(remainder, payment.currency)} can still be refunded.`);
      return;
    }
    setProblem(undefined);
    action.clearError();
    key.current = makeKey();
    setPending({ amount, reason });
  };
  const confirm = async () => {
    if (!pending || !key.current || inFlight.current) return;
    inFlight.current = true;
    const refund = await action.run(pending, { idempotencyKey: key.current });
    inFlight.current = false;
    if (refund) {
      key.current = undefined;
      setPending(undefined);
      onRefunded(refund);
    }
  };

  if (remainder <= 0) return <p class="muted">Nothing is left to refund on this payment.</p>;
  return (
    <form class="inline-form" aria-label="Refund" onSubmit={submit}>
      <label>
        Refund amount ({payment.currency})
        <input
          inputMode="decimal"
          required
          value={amountText}
          disabled={pending !== undefined}
          aria-describedby="refund-remainder"
          onInput={(e) => setAmountText(e.currentTarget.value)}
        />
      </label>
      <label>
        Reason
        <select
          value={reason}
          disabled={pending !== undefined}
          onChange={(e) => setReason(e.currentTarget.value as RefundReason)}
        >
          {refundReasons.map((r) => (
            <option value={r.value}>{r.label}</option>
          ))}
        </select>
      </label>
      <p class="hint" id="refund-remainder">
        Up to {formatMoney(remainder, payment.currency)} can be refunded.
      </p>
      {problem && (
        <div class="notice error" role="alert">
          {problem}
        </div>
      )}
      {pending ? (
        <div role="group" aria-label="Confirm refund">
          <p>
            Refund <strong>{formatMoney(pending.amount, payment.currency)}</strong> to{' '}
            {payment.customer.email}? The provider sends the money back; this cannot be undone.
          </p>
          <button type="button" class="danger" disabled={action.busy} onClick={() => void confirm()}>
            {action.busy ? 'Refunding…' : 'Confirm refund'}
          </button>{' '}
          <button
            type="button"
            disabled={action.busy}
            onClick={() => {
              key.current = undefined;
              setPending(undefined);
            }}
          >
            Cancel
          </button>
        </div>
      ) : (
        <button type="submit" class="primary">
          Refund
        </button>
      )}
      {action.error !== undefined && <ErrorNotice error={action.error} />}
    </form>
  );
}
