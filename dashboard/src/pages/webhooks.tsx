import {
  type CreateWebhookEndpointInput,
  type Delivery,
  type DeliveryAttemptList,
  eventTypes,
  type Event,
  type PayBridgeClient,
  type WebhookEndpoint,
} from '#client';
import { useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { dateTime, Empty, ErrorNotice, Loaded, ShownOnce, StatusBadge } from '../components/ui.tsx';
import { useAction, useLoad } from '../hooks.ts';
import { href } from '../router.ts';

type Subscribed = CreateWebhookEndpointInput['events'];

export function WebhooksPage({ client }: PageProps) {
  const endpoints = useLoad(() => client.webhookEndpoints.list(), [client]);
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
              />
            ))
          )
        }
      </Loaded>
      <h2>Recent events and deliveries</h2>
      <EventsLog
        client={client}
        endpointUrls={
          new Map(endpoints.state === 'ready' ? endpoints.value.data.map((e) => [e.id, e.url]) : [])
        }
      />
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
}: {
  client: PayBridgeClient;
  endpoint: WebhookEndpoint;
  onChanged: () => void;
  onSecret: (secret: string) => void;
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
    </article>
  );
}

/**
 * An event's deliveries grouped per endpoint (one delivery each): the attempts made, oldest first,
 * or the delivery still waiting for its first attempt. Endpoints in the order of their first delivery.
 */
export function deliveriesPerEndpoint(list: Pick<DeliveryAttemptList, 'data' | 'deliveries'>) {
  const groups = new Map<
    string,
    { endpointId: string; waiting: Delivery[]; attempts: DeliveryAttemptList['data'] }
  >();
  const group = (endpointId: string) => {
    let g = groups.get(endpointId);
    if (!g) groups.set(endpointId, (g = { endpointId, waiting: [], attempts: [] }));
    return g;
  };
  for (const d of list.deliveries) {
    const g = group(d.endpointId);
    if (!list.data.some((a) => a.deliveryId === d.id)) g.waiting.push(d);
  }
  for (const a of list.data) group(a.endpointId).attempts.push(a);
  for (const g of groups.values())
    g.attempts.sort((x, y) => x.at.localeCompare(y.at) || x.attempt - y.attempt);
  return [...groups.values()];
}

/**
 * Recent events, each with its deliveries grouped per endpoint and every attempt (status, latency,
 * first bytes of the answer).
 */
function EventsLog({
  client,
  endpointUrls,
}: {
  client: PayBridgeClient;
  endpointUrls: ReadonlyMap<string, string>;
}) {
  const events = useLoad(() => client.events.list({ limit: 20 }), [client], 4000);
  return (
    <Loaded load={events} what="events">
      {(page) =>
        page.data.length === 0 ? (
          <Empty>No events yet.</Empty>
        ) : (
          <ul class="events-log">
            {page.data.map((event) => (
              <EventEntry key={event.id} client={client} event={event} endpointUrls={endpointUrls} />
            ))}
          </ul>
        )
      }
    </Loaded>
  );
}

function EventEntry({
  client,
  event,
  endpointUrls,
}: {
  client: PayBridgeClient;
  event: Event;
  endpointUrls: ReadonlyMap<string, string>;
}) {
  const attempts = useLoad(() => client.events.attempts(event.id), [client, event.id], 4000);
  const resend = useAction((endpointId?: string) =>
    client.events.resend(event.id, endpointId ? { endpointId } : {}),
  );
  const [resent, setResent] = useState('');
  return (
    <li class="card" aria-label={`Event ${event.type} ${event.id}`}>
      <p>
        <strong>{event.type}</strong> <code>{event.id}</code> · {dateTime(event.createdAt)}
        {event.paymentId && (
          <>
            {' '}
            · <a href={href('payments', event.paymentId)}>{event.paymentId}</a>
          </>
        )}{' '}
        <button
          type="button"
          aria-label={`Resend ${event.id}`}
          disabled={resend.busy}
          onClick={() =>
            void resend.run(undefined).then((r) => {
              if (r) {
                setResent(`Queued again to ${r.deliveries.length} endpoint(s).`);
                attempts.reload();
              }
            })
          }
        >
          Resend
        </button>
      </p>
      {resent && <p role="status">{resent}</p>}
      {resend.error !== undefined && <ErrorNotice error={resend.error} />}
      <Loaded load={attempts} what="deliveries">
        {(list) =>
          list.deliveries.length === 0 ? (
            <Empty>No endpoint subscribed to this event.</Empty>
          ) : (
            <table>
              <caption class="visually-hidden">Delivery attempts of {event.id}, per endpoint</caption>
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
              {deliveriesPerEndpoint(list).map(({ endpointId, waiting, attempts: tried }) => {
                const url = endpointUrls.get(endpointId) ?? endpointId;
                return (
                  <tbody key={endpointId}>
                    <tr class="group">
                      <th scope="rowgroup" colSpan={5}>
                        <code>{url}</code>{' '}
                        <button
                          type="button"
                          class="link"
                          disabled={resend.busy}
                          onClick={() =>
                            void resend.run(endpointId).then((r) => {
                              if (r) {
                                setResent(`Queued again to ${url}.`);
                                attempts.reload();
                              }
                            })
                          }
                        >
                          Resend to this endpoint
                          <span class="visually-hidden">
                            {' '}
                            ({url}, {event.id})
                          </span>
                        </button>
                      </th>
                    </tr>
                    {waiting.map((d) => (
                      <tr key={d.id}>
                        <td>—</td>
                        <td>{d.nextAttemptAt ? `next ${dateTime(d.nextAttemptAt)}` : '—'}</td>
                        <td>
                          <StatusBadge status={d.status} />
                        </td>
                        <td class="num">—</td>
                        <td>—</td>
                      </tr>
                    ))}
                    {tried.map((a) => (
                      <tr key={a.id}>
                        <td>{a.attempt}</td>
                        <td>{dateTime(a.at)}</td>
                        <td>
                          <StatusBadge
                            status={
                              a.status !== null && a.status >= 200 && a.status < 300 ? 'delivered' : 'failed'
                            }
                          />{' '}
                          {a.status === null ? (a.error ?? 'no answer') : `HTTP ${a.status}`}
                        </td>
                        <td class="num">{Math.round(a.latencyMs)} ms</td>
                        <td>
                          <code>{(a.responseBody ?? '').slice(0, 80) || '—'}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                );
              })}
            </table>
          )
        }
      </Loaded>
    </li>
  );
}
