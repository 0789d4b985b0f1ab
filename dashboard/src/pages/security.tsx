import { useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { dateTime, Empty, Loaded, Pager, usePager } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';

/** The audit log and security events, with a filter on what happened. */
export function SecurityPage({ client }: PageProps) {
  const [filter, setFilter] = useState('');
  const auditPager = usePager();
  const eventsPager = usePager();
  const audit = useLoad(
    () => client.auditLogs.list({ limit: 50, cursor: auditPager.cursor }),
    [client, auditPager.cursor],
  );
  const events = useLoad(
    () => client.securityEvents.list({ limit: 50, cursor: eventsPager.cursor }),
    [client, eventsPager.cursor],
  );
  const matches = (...values: string[]) =>
    !filter || values.some((v) => v.toLowerCase().includes(filter.trim().toLowerCase()));
  return (
    <section>
      <h1>Security</h1>
      <label class="filter">
        Filter by action, kind, IP or actor
        <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      </label>
      <h2>Audit log</h2>
      <Loaded load={audit} what="the audit log">
        {(page) => {
          const rows = page.data.filter((e) => matches(e.action, e.ip, e.actor.id, e.target.id));
          return (
            <>
              {rows.length === 0 ? (
                <Empty>No audit entries{filter ? ' match' : ''}.</Empty>
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Action</th>
                      <th scope="col">Actor</th>
                      <th scope="col">Target</th>
                      <th scope="col">IP</th>
                      <th scope="col">Request ID</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((e) => (
                      <tr key={e.id}>
                        <td>{dateTime(e.createdAt)}</td>
                        <td>{e.action}</td>
                        <td>
                          {e.actor.type} {e.actor.id}
                        </td>
                        <td>
                          {e.target.type} {e.target.id}
                        </td>
                        <td>{e.ip}</td>
                        <td>
                          <code>{e.requestId}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <Pager
                pager={auditPager}
                hasMore={page.hasMore}
                nextCursor={page.nextCursor}
                label="Audit log"
              />
            </>
          );
        }}
      </Loaded>
      <h2>Security events</h2>
      <Loaded load={events} what="security events">
        {(page) => {
          const rows = page.data.filter((e) => matches(e.kind, e.ip, ...Object.values(e.detail)));
          return (
            <>
              {rows.length === 0 ? (
                <Empty>No security events{filter ? ' match' : ''}.</Empty>
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Kind</th>
                      <th scope="col">IP</th>
                      <th scope="col">Detail</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((e) => (
                      <tr key={e.id}>
                        <td>{dateTime(e.createdAt)}</td>
                        <td>{e.kind.replace(/_/g, ' ')}</td>
                        <td>{e.ip}</td>
                        <td>
                          {Object.entries(e.detail)
                            .map(([k, v]) => `${k}: ${v}`)
                            .join(', ') || '—'}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <Pager
                pager={eventsPager}
                hasMore={page.hasMore}
                nextCursor={page.nextCursor}
                label="Security events"
              />
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
