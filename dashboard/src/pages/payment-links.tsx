import { type CreatePaymentLinkInput, currencyCodes, type PaymentLink, type PayBridgeClient } from '#client';
import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import {
  CopyField,
  dateTime,
  Empty,
  ErrorNotice,
  Loaded,
  Pager,
  StatusBadge,
  usePager,
} from '../components/ui.tsx';
import { useAction, useLoad } from '../hooks.ts';
import { currencyDigits, decimalToMinor, formatMoney } from '../money.ts';
import { href, navigate } from '../router.ts';
import { PaymentTable, providerLabel, providers, type ProviderId } from './payments.tsx';

/** What the create form holds: the text a person typed, before it becomes an API body. */
export interface LinkDraft {
  title: string;
  description: string;
  currency: string;
  pricing: 'fixed' | 'customer';
  amount: string;
  min: string;
  max: string;
  /** None ticked: every provider the merchant enabled for the currency. */
  providers: ProviderId[];
  maxPayments: string;
  /** `yyyy-mm-ddThh:mm` of an `<input type="datetime-local">`, the browser's time zone. */
  expiresAt: string;
  redirectUrl: string;
}

export const emptyDraft: LinkDraft = {
  title: '',
  description: '',
  currency: 'NGN',
  pricing: 'fixed',
  amount: '',
  min: '',
  max: '',
  providers: [],
  maxPayments: '',
  expiresAt: '',
  redirectUrl: '',
};

export type DraftProblems = Partial<Record<keyof LinkDraft, string>>;

const decimals = (digits: number) =>
  digits === 0 ? 'a whole number' : `at most ${digits} decimal place${digits === 1 ? '' : 's'}`;

/**
 * The draft as the body of `POST /v1/payment-links`, or what is wrong with it, per field.
 * Amounts become integer minor units by string arithmetic (`decimalToMinor`): "20.50" NGN → 2050,
 * "1,000" UGX → 1000; a float never touches them. Empty optional fields are left out.
 */
export function paymentLinkInput(
  draft: LinkDraft,
  now: Date = new Date(),
): { input: CreatePaymentLinkInput; problems?: undefined } | { input?: undefined; problems: DraftProblems } {
  const problems: DraftProblems = {};
  const currency = draft.currency.trim().toUpperCase();
  const title = draft.title.trim();
  const description = draft.description.trim();
  if (!title) problems.title = 'Give the link a title: the page’s heading.';
  else if (title.length > 120) problems.title = 'At most 120 characters.';
  if (description.length > 500) problems.description = 'At most 500 characters.';
  if (!(currencyCodes as readonly string[]).includes(currency)) problems.currency = 'Choose a currency.';
  const digits = currencyDigits(currency);
  const money = (text: string, what: string): number | undefined => {
    const units = decimalToMinor(text, digits);
    if (units === undefined || units <= 0) {
      return void (problems[what as keyof LinkDraft] =
        `Enter an amount greater than zero, ${decimals(digits)}.`);
    }
    return units;
  };
  let amount: number | undefined;
  let bounds: { min: number; max: number } | undefined;
  if (draft.pricing === 'fixed') {
    amount = money(draft.amount, 'amount');
  } else {
    const min = money(draft.min, 'min');
    const max = money(draft.max, 'max');
    if (min !== undefined && max !== undefined) {
      if (min > max) problems.max = 'The maximum must be at least the minimum.';
      else bounds = { min, max };
    }
  }
  let maxPayments: number | undefined;
  if (draft.maxPayments.trim()) {
    const text = draft.maxPayments.trim();
    maxPayments = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
    if (!(maxPayments >= 1 && maxPayments <= 1_000_000)) {
      problems.maxPayments = 'A whole number from 1 to 1,000,000, or empty for no limit.';
    }
  }
  let expiresAt: string | undefined;
  if (draft.expiresAt) {
    const at = new Date(draft.expiresAt);
    if (Number.isNaN(at.getTime())) problems.expiresAt = 'Enter a date and time.';
    else if (at.getTime() <= now.getTime()) problems.expiresAt = 'Choose a time in the future.';
    else expiresAt = at.toISOString();
  }
  const redirectUrl = draft.redirectUrl.trim();
  if (redirectUrl) {
    let url: URL | undefined;
    try {
      url = new URL(redirectUrl);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || redirectUrl.length > 2000) {
      problems.redirectUrl = 'An https:// (or http://) address.';
    }
  }
  if (Object.keys(problems).length > 0) return { problems };
  const input: CreatePaymentLinkInput = { currency, title };
  if (amount !== undefined) input.amount = amount;
  if (bounds) input.allowCustomerAmount = bounds;
  if (description) input.description = description;
  if (draft.providers.length > 0) input.providers = providers.filter((p) => draft.providers.includes(p));
  if (maxPayments !== undefined) input.maxPayments = maxPayments;
  if (expiresAt) input.expiresAt = expiresAt;
  if (redirectUrl) input.redirectUrl = redirectUrl;
  return { input };
}

/** The price of a link: "NGN 5,000.00", or "NGN 1,000.00 – NGN 50,000.00" when the customer chooses. */
export function linkPrice(link: Pick<PaymentLink, 'amount' | 'allowCustomerAmount' | 'currency'>): string {
  if (link.amount !== null) return formatMoney(link.amount, link.currency);
  if (link.allowCustomerAmount) {
    const { min, max } = link.allowCustomerAmount;
    return `${formatMoney(min, link.currency)} – ${formatMoney(max, link.currency)}`;
  }
  return '—';
}

/** "3 / 10", or "3" when the link has no limit. */
export const linkUsage = (link: Pick<PaymentLink, 'paymentsCount' | 'maxPayments'>): string =>
  link.maxPayments === null ? String(link.paymentsCount) : `${link.paymentsCount} / ${link.maxPayments}`;

/** What a customer opening the link sees now: active, or why not. */
export function linkState(
  link: Pick<PaymentLink, 'active' | 'expiresAt' | 'maxPayments' | 'paymentsCount'>,
  now: Date = new Date(),
): 'active' | 'inactive' | 'expired' | 'sold out' {
  if (!link.active) return 'inactive';
  if (link.expiresAt !== null && Date.parse(link.expiresAt) <= now.getTime()) return 'expired';
  if (link.maxPayments !== null && link.paymentsCount >= link.maxPayments) return 'sold out';
  return 'active';
}

/**
 * The QR image's address on the dashboard's own origin: the path of `qrCodeUrl`. Locally the API
 * is this origin; in the cloud CloudFront sends `/pay/*` to the API, so the image stays within the
 * CSP's `img-src 'self'` whichever host name the API put in the URL.
 */
export function sameOriginPath(url: string): string {
  const parsed = new URL(url, 'http://localhost');
  return `${parsed.pathname}${parsed.search}`;
}

export const qrPngPath = (qrCodeUrl: string): string => sameOriginPath(qrCodeUrl).replace(/\.svg$/, '.png');

export function PaymentLinksPage({ client, id }: PageProps & { id?: string | undefined }) {
  if (id) return <LinkDetail client={client} id={id} />;
  return <LinkList client={client} />;
}

function LinkList({ client }: { client: PayBridgeClient }) {
  const pager = usePager();
  const links = useLoad(
    () => client.paymentLinks.list({ limit: 25, ...(pager.cursor ? { cursor: pager.cursor } : {}) }),
    [client, pager.cursor],
    10_000,
  );
  const [creating, setCreating] = useState(false);
  return (
    <section>
      <h1>Payment links</h1>
      <p class="muted">
        A page to share on Instagram, WhatsApp or a printed QR code: the customer pays with any provider you
        offer, no website needed.
      </p>
      <div class="actions">
        <button
          type="button"
          class={creating ? undefined : 'primary'}
          aria-expanded={creating}
          aria-controls="new-link"
          onClick={() => setCreating(!creating)}
        >
          {creating ? 'Close the form' : 'New payment link'}
        </button>
      </div>
      {creating && (
        <div id="new-link" class="card">
          <h2>New payment link</h2>
          <CreateLinkForm
            create={(input) => client.paymentLinks.create(input)}
            onCreated={(link) => navigate('payment-links', link.id)}
          />
        </div>
      )}
      <h2>Links</h2>
      <Loaded load={links} what="payment links">
        {(page) => (
          <>
            {page.data.length === 0 ? (
              <Empty>No payment links yet. Make one with “New payment link”.</Empty>
            ) : (
              <LinkTable client={client} links={page.data} onChanged={links.reload} />
            )}
            <Pager pager={pager} hasMore={page.hasMore} nextCursor={page.nextCursor} label="Payment links" />
          </>
        )}
      </Loaded>
    </section>
  );
}

function LinkTable({
  client,
  links,
  onChanged,
}: {
  client: PayBridgeClient;
  links: readonly PaymentLink[];
  onChanged: () => void;
}) {
  return (
    <table>
      <caption class="visually-hidden">Payment links, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Title</th>
          <th scope="col" class="num">
            Amount
          </th>
          <th scope="col">Currency</th>
          <th scope="col">Active</th>
          <th scope="col" class="num">
            Payments
          </th>
          <th scope="col">Expires</th>
        </tr>
      </thead>
      <tbody>
        {links.map((link) => (
          <tr key={link.id} data-link-id={link.id}>
            <td>
              <a href={href('payment-links', link.id)}>{link.title}</a>
              {/* The id is on the link's page: a phone keeps the column for the title. */}
              <div class="muted wide-only">
                <code>{link.id}</code>
              </div>
            </td>
            <td class="num">
              {linkPrice(link)}
              {link.amount === null && <div class="muted">customer chooses</div>}
            </td>
            <td>{link.currency}</td>
            <td>
              <ActiveSwitch client={client} link={link} onChanged={onChanged} />
            </td>
            <td class="num">{linkUsage(link)}</td>
            <td>
              {link.expiresAt ? dateTime(link.expiresAt) : 'Never'}
              {linkState(link) === 'expired' && (
                <div>
                  <StatusBadge status="expired" />
                </div>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The list's toggle: PATCH `active`, then the list reloads. */
function ActiveSwitch({
  client,
  link,
  onChanged,
}: {
  client: PayBridgeClient;
  link: PaymentLink;
  onChanged: () => void;
}) {
  const action = useAction((active: boolean) => client.paymentLinks.update(link.id, { active }));
  const [shown, setShown] = useState(link.active);
  // A reload (or a change made elsewhere) wins over what was last clicked.
  useEffect(() => setShown(link.active), [link.active]);
  return (
    <>
      <label class="switch">
        <input
          type="checkbox"
          role="switch"
          aria-label={`Active: ${link.title}`}
          checked={shown}
          disabled={action.busy}
          onChange={(e) => {
            const active = e.currentTarget.checked;
            setShown(active);
            void action.run(active).then((updated) => {
              if (!updated) setShown(!active);
              onChanged();
            });
          }}
        />
        <span>Active</span>
      </label>
      {action.error !== undefined && <ErrorNotice error={action.error} />}
    </>
  );
}

/** The create form: fixed amount or customer-chosen bounds, and the optional limits. */
export function CreateLinkForm({
  create,
  onCreated,
  now = () => new Date(),
}: {
  create: (input: CreatePaymentLinkInput) => Promise<PaymentLink>;
  onCreated: (link: PaymentLink) => void;
  now?: () => Date;
}) {
  const [draft, setDraft] = useState<LinkDraft>(emptyDraft);
  const [problems, setProblems] = useState<DraftProblems>({});
  const action = useAction(create);
  const currency = draft.currency;
  const field = (
    name: 'title' | 'description' | 'amount' | 'min' | 'max' | 'maxPayments' | 'expiresAt' | 'redirectUrl',
  ) => ({
    value: draft[name],
    onInput: (e: { currentTarget: HTMLInputElement | HTMLTextAreaElement }) =>
      setDraft({ ...draft, [name]: e.currentTarget.value }),
    'aria-invalid': problems[name] ? true : undefined,
    'aria-describedby': problems[name] ? `link-${name}-problem` : undefined,
  });
  const problem = (name: keyof LinkDraft) =>
    problems[name] && (
      <span class="field-problem" id={`link-${name}-problem`}>
        {problems[name]}
      </span>
    );
  const submit = (e: Event) => {
    e.preventDefault();
    if (action.busy) return;
    const result = paymentLinkInput(draft, now());
    if (result.problems) {
      setProblems(result.problems);
      return;
    }
    setProblems({});
    void action.run(result.input).then((link) => link && onCreated(link));
  };
  const invalid = Object.keys(problems).length;
  return (
    <form aria-label="New payment link" noValidate onSubmit={submit}>
      <label>
        Title
        <input required maxLength={120} placeholder="Ankara dress, size M" {...field('title')} />
        {problem('title')}
      </label>
      <label>
        Description (optional)
        <textarea rows={2} maxLength={500} {...field('description')} />
        {problem('description')}
      </label>
      <label>
        Currency
        <select value={currency} onChange={(e) => setDraft({ ...draft, currency: e.currentTarget.value })}>
          {currencyCodes.map((c) => (
            <option value={c}>{c}</option>
          ))}
        </select>
        {problem('currency')}
      </label>
      <fieldset class="choices">
        <legend>Price</legend>
        <label>
          <input
            type="radio"
            name="pricing"
            checked={draft.pricing === 'fixed'}
            onChange={() => setDraft({ ...draft, pricing: 'fixed' })}
          />{' '}
          Fixed amount
        </label>
        <label>
          <input
            type="radio"
            name="pricing"
            checked={draft.pricing === 'customer'}
            onChange={() => setDraft({ ...draft, pricing: 'customer' })}
          />{' '}
          The customer chooses, within bounds
        </label>
      </fieldset>
      {draft.pricing === 'fixed' ? (
        <label>
          Amount ({currency})
          <input inputMode="decimal" required placeholder="5,000.00" {...field('amount')} />
          {problem('amount')}
        </label>
      ) : (
        <div class="form-row">
          <label>
            Minimum ({currency})
            <input inputMode="decimal" required {...field('min')} />
            {problem('min')}
          </label>
          <label>
            Maximum ({currency})
            <input inputMode="decimal" required {...field('max')} />
            {problem('max')}
          </label>
        </div>
      )}
      <fieldset class="choices">
        <legend>Providers offered</legend>
        {providers.map((p) => (
          <label key={p}>
            <input
              type="checkbox"
              checked={draft.providers.includes(p)}
              onChange={(e) =>
                setDraft({
                  ...draft,
                  providers: e.currentTarget.checked
                    ? [...draft.providers, p]
                    : draft.providers.filter((x) => x !== p),
                })
              }
            />{' '}
            {providerLabel[p]}
          </label>
        ))}
        <p class="hint">None ticked: every provider you have enabled for the currency.</p>
      </fieldset>
      <div class="form-row">
        <label>
          Maximum payments (optional)
          <input inputMode="numeric" placeholder="No limit" {...field('maxPayments')} />
          {problem('maxPayments')}
        </label>
        <label>
          Expires (optional)
          <input type="datetime-local" {...field('expiresAt')} />
          {problem('expiresAt')}
        </label>
      </div>
      <label>
        After paying, continue to (optional)
        <input type="url" placeholder="https://shop.example/thanks" {...field('redirectUrl')} />
        {problem('redirectUrl')}
      </label>
      {invalid > 0 && (
        <div class="notice error" role="alert">
          Check the {invalid === 1 ? 'field' : `${invalid} fields`} marked below.
        </div>
      )}
      <button type="submit" class="primary" disabled={action.busy}>
        {action.busy ? 'Creating…' : 'Create payment link'}
      </button>
      {action.error !== undefined && <ErrorNotice error={action.error} />}
    </form>
  );
}

function LinkDetail({ client, id }: { client: PayBridgeClient; id: string }) {
  const link = useLoad(() => client.paymentLinks.get(id), [client, id], 10_000);
  const toggle = useAction(async (active: boolean) => {
    const updated = await client.paymentLinks.update(id, { active });
    link.reload();
    return updated;
  });
  return (
    <section>
      <p>
        <a href={href('payment-links')}>← All payment links</a>
      </p>
      <Loaded load={link} what="the payment link">
        {(l) => {
          const state = linkState(l);
          return (
            <>
              <h1>{l.title}</h1>
              <div class="link-detail">
                <figure class="qr">
                  <img
                    src={sameOriginPath(l.qrCodeUrl)}
                    width={220}
                    height={220}
                    alt={`QR code of the payment link ${l.url}`}
                  />
                  <figcaption>
                    <a href={qrPngPath(l.qrCodeUrl)} download={`${l.id}-qr.png`}>
                      Download QR code (PNG)
                    </a>
                  </figcaption>
                </figure>
                <div class="link-facts">
                  <CopyField label="Payment link URL" value={l.url} />
                  <p>
                    <a href={l.url} target="_blank" rel="noopener noreferrer">
                      Open the payment page
                    </a>
                  </p>
                  <dl class="summary">
                    <dt>Status</dt>
                    <dd>
                      <StatusBadge status={state.replace(' ', '_')} />
                    </dd>
                    <dt>Amount</dt>
                    <dd>
                      {linkPrice(l)}
                      {l.amount === null && ' (the customer chooses)'}
                    </dd>
                    <dt>Payments</dt>
                    <dd>{linkUsage(l)}</dd>
                    <dt>Expires</dt>
                    <dd>{l.expiresAt ? dateTime(l.expiresAt) : 'Never'}</dd>
                    <dt>Providers</dt>
                    <dd>
                      {l.providers === null
                        ? 'Every provider enabled for the currency'
                        : l.providers.map((p) => providerLabel[p]).join(', ')}
                    </dd>
                    {l.description && (
                      <>
                        <dt>Description</dt>
                        <dd>{l.description}</dd>
                      </>
                    )}
                    <dt>After paying</dt>
                    <dd>{l.redirectUrl ? <code>{l.redirectUrl}</code> : 'The done page only'}</dd>
                    <dt>ID</dt>
                    <dd>
                      <code>{l.id}</code>
                    </dd>
                    <dt>Created</dt>
                    <dd>{dateTime(l.createdAt)}</dd>
                  </dl>
                  <div class="actions">
                    <button
                      type="button"
                      class={l.active ? 'danger' : 'primary'}
                      disabled={toggle.busy}
                      onClick={() => void toggle.run(!l.active)}
                    >
                      {l.active ? 'Deactivate' : 'Activate'}
                    </button>
                    <span class="muted">
                      {l.active
                        ? 'Deactivating turns the page off: it says so and takes no payment.'
                        : 'The page is off: it takes no payment until you activate it.'}
                    </span>
                  </div>
                  {toggle.error !== undefined && <ErrorNotice error={toggle.error} />}
                </div>
              </div>
              <h2>Payments through this link</h2>
              <LinkPayments client={client} id={l.id} />
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

function LinkPayments({ client, id }: { client: PayBridgeClient; id: string }) {
  const pager = usePager();
  const payments = useLoad(
    () => client.paymentLinks.payments(id, { limit: 25, ...(pager.cursor ? { cursor: pager.cursor } : {}) }),
    [client, id, pager.cursor],
    5000,
  );
  return (
    <Loaded load={payments} what="the link’s payments">
      {(page) => (
        <>
          {page.data.length === 0 ? (
            <Empty>No payments through this link yet.</Empty>
          ) : (
            <PaymentTable payments={page.data} caption="Payments through this link, newest first" />
          )}
          <Pager pager={pager} hasMore={page.hasMore} nextCursor={page.nextCursor} label="Link payments" />
        </>
      )}
    </Loaded>
  );
}
