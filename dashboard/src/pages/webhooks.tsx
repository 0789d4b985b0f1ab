import {
  type CreateWebhookEndpointInput,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryAttemptList,
  eventTypes,
  type Event,
  type PayBridgeClient,
  type WebhookEndpoint,
} from '#client';
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { dateTime, Empty, ErrorNotice, Loaded, ShownOnce, StatusBadge } from '../components/ui.tsx';
import { useAction, useLoad } from '../hooks.ts';
import { href } from '../router.ts';

type Subscribed = CreateWebhookEndpointInput['events'];

/** How many events the page reads deliveries of per page (each costs one attempts call). */
export const recentEvents = 20;

/** The deliveries of the newest `pages` pages of events, regrouped per endpoint. */
export interface RecentDeliveries {
  readonly byEndpoint: Map<string, EndpointDelivery[]>;
  /** How many events were read. */
  readonly events: number;
  /** Whether older events exist beyond them. */
  readonly more: boolean;
}

/**
 * Reads the newest `pages` pages of events (cursor pagination, newest first) and every attempt of each,
 * so each endpoint's deliveries can go back as far as the merchant asks ("Show older events").
 */
export async function loadRecentDeliveries(
  client: Pick<PayBridgeClient, 'events'>,
  pages: number,
): Promise<RecentDeliveries> {
  const events: Event[] = [];
  let cursor: string | undefined;
  let more = false;
  for (let page = 0; page < pages; page++) {
    const next = await client.events.list({ limit: recentEvents, ...(cursor ? { cursor } : {}) });
    events.push(...next.data);
    more = next.hasMore;
    cursor = next.nextCursor ?? undefined;
    if (!more || !cursor) break;
  }
  const lists = new Map<string, DeliveryAttemptList>();
  await Promise.all(events.map(async (e) => lists.set(e.id, await client.events.attempts(e.id))));
  return { byEndpoint: deliveriesByEndpoint(events, lists), events: events.length, more };
}

export function WebhooksPage({ client }: PageProps) {
  const endpoints = useLoad(() => client.webhookEndpoints.list(), [client]);
  // The newest events and every attempt of each, polled: each endpoint's deliveries come from here.
  const [pages, setPages] = useState(1);
  const recent = useLoad(() => loadRecentDeliveries(client, pages), [client, pages], 4000);
  const [secret, setSecret] = useState<{ label: string; value: string } | undefined>(undefined);
  return (
    <section>
      <h1>Webhooks</h1>
      <CreateEndpointForm
        create={(url, events) => client.webhookEndpoints.create({ url, events })}
        onCreated={(e) => {
          setSecret({ label: `Signing secret for ${e.url}`, value: e.secret });
          endpoints.reload();
        }}
      />
      {secret && <ShownOnce label={secret.label} value={secret.value} />}
      <h2>Endpoints</h2>
      <Loaded load={endpoints} what="webhook endpoints">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No endpoints yet: add the URL where your server receives PayBridge events.</Empty>
          ) : (
            page.data.map((endpoint) => (
              <EndpointCard
                key={endpoint.id}
                client={client}
                endpoint={endpoint}
                onChanged={endpoints.reload}
                onSecret={(value) => setSecret({ label: `New signing secret for ${endpoint.url}`, value })}
              >
                <Loaded load={recent} what={`deliveries to ${endpoint.url}`}>
                  {({ byEndpoint, events, more }) => (
                    <EndpointDeliveries
                      client={client}
                      endpoint={endpoint}
                      deliveries={byEndpoint.get(endpoint.id) ?? []}
                      events={events}
                      onResent={recent.reload}
                      {...(more ? { onOlder: () => setPages(pages + 1) } : {})}
                    />
                  )}
                </Loaded>
              </EndpointCard>
            ))
          )
        }
      </Loaded>
    </section>
  );
}

export function CreateEndpointForm({
  create,
  onCreated,
}: {
  create: (url: string, events: Subscribed) => Promise<WebhookEndpoint & { secret: string }>;
  onCreated: (endpoint: WebhookEndpoint & { secret: string }) => void;
}) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<Subscribed>(['*']);
  const action = useAction(create);
  return (
    <form
      aria-label="Add webhook endpoint"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(url.trim(), events).then((created) => {
          if (created) {
            setUrl('');
            onCreated(created);
          }
        });
      }}
    >
      <label>
        Endpoint URL
        <input
          type="url"
          required
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
          placeholder="https://shop.example/webhooks/paybridge"
        />
      </label>
      <EventPicker value={events} onChange={setEvents} legend="Events to send" />
      <button type="submit" class="primary" disabled={action.busy || events.length === 0}>
        Add endpoint
      </button>
      {action.error !== undefined && <ErrorNotice error={action.error} />}
    </form>
  );
}

function EventPicker({
  value,
  onChange,
  legend,
}: {
  value: Subscribed;
  onChange: (v: Subscribed) => void;
  legend: string;
}) {
  const all = value.includes('*');
  return (
    <fieldset class="events">
      <legend>{legend}</legend>
      <label>
        <input
          type="checkbox"
          checked={all}
          onChange={(e) => onChange(e.currentTarget.checked ? ['*'] : [])}
        />{' '}
        All events
      </label>
      {!all &&
        eventTypes.map((type) => (
          <label key={type}>
            <input
              type="checkbox"
              checked={value.includes(type)}
              onChange={(e) =>
                onChange(e.currentTarget.checked ? [...value, type] : value.filter((v) => v !== type))
              }
            />{' '}
            {type}
          </label>
        ))}
    </fieldset>
  );
}

function EndpointCard({
  client,
  endpoint,
  onChanged,
  onSecret,
  children,
}: {
  client: PayBridgeClient;
  endpoint: WebhookEndpoint;
  onChanged: () => void;
  onSecret: (secret: string) => void;
  children?: ComponentChildren;
}) {
  const [editing, setEditing] = useState(false);
  const [events, setEvents] = useState<Subscribed>(endpoint.events as Subscribed);
  const [since, setSince] = useState('');
  const [message, setMessage] = useState('');
  const action = useAction(async (what: () => Promise<string>) => setMessage(await what()));
  const name = endpoint.url;
  return (
    <article class="card" aria-label={`Endpoint ${name}`}>
      <h3>
        <code>{endpoint.url}</code>{' '}
        <StatusBadge
          status={!endpoint.enabled ? 'disabled' : endpoint.failingSince ? 'failing' : 'enabled'}
        />
      </h3>
      <p class="muted">
        {endpoint.id} · events {endpoint.events.join(', ')}
        {endpoint.failingSince && <> · failing since {dateTime(endpoint.failingSince)}</>}
        {endpoint.disabledReason && <> · disabled: {endpoint.disabledReason}</>}
        {endpoint.secretRotatedUntil && (
          <> · previous secret signs until {dateTime(endpoint.secretRotatedUntil)}</>
        )}
      </p>
      <div class="actions">
        <button
          type="button"
          onClick={() =>
            void action.run(async () => {
              await client.webhookEndpoints.update(endpoint.id, { enabled: !endpoint.enabled });
              onChanged();
              return endpoint.enabled ? 'Endpoint disabled.' : 'Endpoint enabled.';
            })
          }
        >
          {endpoint.enabled ? 'Disable' : 'Enable'}
        </button>
        <button type="button" onClick={() => setEditing(!editing)} aria-expanded={editing}>
          Edit events
        </button>
        <button
          type="button"
          onClick={() =>
            void action.run(async () => {
              const rotated = await client.webhookEndpoints.rotateSecret(endpoint.id);
              onSecret(rotated.secret);
              onChanged();
              return 'Secret rotated: the old one keeps signing for 24 hours.';
            })
          }
        >
          Rotate secret
        </button>
        <button
          type="button"
          onClick={() =>
            void action.run(async () => {
              const event = await client.webhookEndpoints.test(endpoint.id);
              return `Test event ${event.id} queued.`;
            })
          }
        >
          Send test event
        </button>
      </div>
      {editing && (
        <form
          aria-label={`Edit events of ${name}`}
          onSubmit={(e) => {
            e.preventDefault();
            void action.run(async () => {
              await client.webhookEndpoints.update(endpoint.id, { events });
              setEditing(false);
              onChanged();
              return 'Events saved.';
            });
          }}
        >
          <EventPicker value={events} onChange={setEvents} legend={`Events sent to ${name}`} />
          <button type="submit" disabled={events.length === 0}>
            Save events
          </button>
        </form>
      )}
      <form
        class="inline-form"
        aria-label={`Recover failed deliveries of ${name}`}
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            const { resent } = await client.webhookEndpoints.recover(endpoint.id, {
              since: new Date(since).toISOString(),
            });
            return `${resent} failed deliveries queued again.`;
          });
        }}
      >
        <label>
          Failed since
          <input
            type="datetime-local"
            required
            value={since}
            onInput={(e) => setSince(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Recover failed since…</button>
      </form>
      {message && <p role="status">{message}</p>}
      {action.error !== undefined && <ErrorNotice error={action.error} />}
      {children}
    </article>
  );
}

/** One event's delivery to one endpoint, and every attempt of it, oldest first. */
export interface EndpointDelivery {
  event: Event;
  delivery: Delivery;
  attempts: DeliveryAttempt[];
}

/**
 * The events' deliveries regrouped per endpoint: for each endpoint, its deliveries newest event first
 * (the events' order), each with its attempts oldest first.
 */
export function deliveriesByEndpoint(
  events: readonly Event[],
  lists: ReadonlyMap<string, Pick<DeliveryAttemptList, 'data' | 'deliveries'>>,
): Map<string, EndpointDelivery[]> {
  const byEndpoint = new Map<string, EndpointDelivery[]>();
  for (const event of events) {
    const list = lists.get(event.id);
    if (!list) continue;
    for (const delivery of list.deliveries) {
      const attempts = list.data
        .filter((a) => a.deliveryId === delivery.id)
        .sort((x, y) => x.at.localeCompare(y.at) || x.attempt - y.attempt);
      const mine = byEndpoint.get(delivery.endpointId) ?? [];
      mine.push({ event, delivery, attempts });
      byEndpoint.set(delivery.endpointId, mine);
    }
  }
  return byEndpoint;
}

const delivered = (status: number | null) => status !== null && status >= 200 && status < 300;

/**
 * An endpoint's deliveries among the newest events: per event its delivery status and every attempt
 * (status, latency, first bytes of the answer), and "Resend" of that event to this endpoint.
 */
export function EndpointDeliveries({
  client,
  endpoint,
  deliveries,
  events,
  onResent,
  onOlder,
}: {
  client: PayBridgeClient;
  endpoint: WebhookEndpoint;
  deliveries: readonly EndpointDelivery[];
  /** How many of the newest events these deliveries come from. */
  events: number;
  onResent: () => void;
  /** Reads another page of older events; absent when there are none. */
  onOlder?: () => void;
}) {
  const resend = useAction((eventId: string) => client.events.resend(eventId, { endpointId: endpoint.id }));
  const [resent, setResent] = useState('');
  const url = endpoint.url;
  return (
    <section class="deliveries" aria-label={`Deliveries to ${url}`}>
      <h4>Deliveries</h4>
      {resent && <p role="status">{resent}</p>}
      {resend.error !== undefined && <ErrorNotice error={resend.error} />}
      {deliveries.length === 0 ? (
        <Empty>No deliveries to this endpoint among the {events} newest events.</Empty>
      ) : (
        <table>
          <caption class="visually-hidden">
            Deliveries to {url} of the {events} newest events, newest first, with every attempt
          </caption>
          <thead>
            <tr>
              <th scope="col">Attempt</th>
              <th scope="col">When</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Latency
              </th>
              <th scope="col">Answer (first bytes)</th>
            </tr>
          </thead>
          {deliveries.map(({ event, delivery, attempts }) => (
            <tbody key={delivery.id} aria-label={`Delivery of ${event.type} ${event.id}`}>
              <tr class="group">
                <th scope="rowgroup" colSpan={5}>
                  <strong>{event.type}</strong> <code>{event.id}</code> · {dateTime(event.createdAt)}
                  {event.paymentId && (
                    <>
                      {' '}
                      · <a href={href('payments', event.paymentId)}>{event.paymentId}</a>
                    </>
                  )}{' '}
                  · <StatusBadge status={delivery.status} />{' '}
                  <button
                    type="button"
                    class="link"
                    aria-label={`Resend ${event.id} to ${url}`}
                    disabled={resend.busy}
                    onClick={() =>
                      void resend.run(event.id).then((r) => {
                        if (r) {
                          setResent(`${event.type} ${event.id} queued again to ${url}.`);
                          onResent();
                        }
                      })
                    }
                  >
                    Resend
                  </button>
                </th>
              </tr>
              {attempts.length === 0 && (
                <tr>
                  <td>—</td>
                  <td>{delivery.nextAttemptAt ? `next ${dateTime(delivery.nextAttemptAt)}` : '—'}</td>
                  <td>waiting for its first attempt</td>
                  <td class="num">—</td>
                  <td>—</td>
                </tr>
              )}
              {attempts.map((a) => (
                <tr key={a.id}>
                  <td>{a.attempt}</td>
                  <td>{dateTime(a.at)}</td>
                  <td>
                    <StatusBadge status={delivered(a.status) ? 'delivered' : 'failed'} />{' '}
                    {a.status === null ? (a.error ?? 'no answer') : `HTTP ${a.status}`}
                  </td>
                  <td class="num">{Math.round(a.latencyMs)} ms</td>
                  <td>
                    <code>{(a.responseBody ?? '').slice(0, 80) || '—'}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          ))}
        </table>
      )}
      {onOlder && (
        <button type="button" onClick={onOlder} aria-label={`Show older events delivered to ${url}`}>
          Show older events
        </button>
      )}
    </section>
  );
}
