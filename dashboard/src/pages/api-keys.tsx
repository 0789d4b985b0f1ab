import type { ApiKey, ApiKeyWithSecret, Mode } from '#client';
import { useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { dateTime, Empty, ErrorNotice, Loaded, ShownOnce, StatusBadge } from '../components/ui.tsx';
import { useAction, useLoad } from '../hooks.ts';

export type KeyScope = 'server' | 'full';

export function ApiKeysPage({ client, mode }: PageProps) {
  const keys = useLoad(() => client.apiKeys.list({ limit: 100 }), [client]);
  const [created, setCreated] = useState<ApiKeyWithSecret | undefined>(undefined);
  return (
    <section>
      <h1>API keys</h1>
      <p class="muted">
        Developers: a key carries its mode. Your servers send it as <code>Authorization: Bearer</code>.
      </p>
      <CreateKeyForm
        defaultMode={mode}
        create={(name, keyMode, scope) => client.apiKeys.create({ name, mode: keyMode, scope })}
        onCreated={(key) => {
          setCreated(key);
          keys.reload();
        }}
      />
      {created && <ShownOnce label={`API key ${created.name}`} value={created.key} />}
      <h2>Keys</h2>
      <Loaded load={keys} what="API keys">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No API keys yet.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Prefix</th>
                  <th scope="col">Mode</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Status</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {page.data.map((key) => (
                  <KeyRow
                    key={key.id}
                    apiKey={key}
                    revoke={() => client.apiKeys.revoke(key.id)}
                    onRevoked={keys.reload}
                  />
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </section>
  );
}

export function CreateKeyForm({
  defaultMode,
  create,
  onCreated,
}: {
  defaultMode: Mode;
  create: (name: string, mode: Mode, scope: KeyScope) => Promise<ApiKeyWithSecret>;
  onCreated: (key: ApiKeyWithSecret) => void;
}) {
  const [name, setName] = useState('');
  const [keyMode, setKeyMode] = useState<Mode>(defaultMode);
  const [scope, setScope] = useState<KeyScope>('server');
  const action = useAction(create);
  return (
    <form
      class="inline-form"
      aria-label="Create API key"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(name.trim(), keyMode, scope).then((key) => {
          if (key) {
            setName('');
            onCreated(key);
          }
        });
      }}
    >
      <label>
        Key name
        <input required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        Key mode
        <select value={keyMode} onChange={(e) => setKeyMode(e.currentTarget.value as Mode)}>
          <option value="test">test</option>
          <option value="live">live</option>
        </select>
      </label>
      <label>
        Key scope
        <select
          value={scope}
          aria-describedby="key-scope-hint"
          onChange={(e) => setScope(e.currentTarget.value as KeyScope)}
        >
          <option value="server">server: payments, refunds and reads</option>
          <option value="full">full: also provider credentials and webhook endpoints</option>
        </select>
      </label>
      <p class="hint" id="key-scope-hint">
        Give a key <code>full</code> scope only if it must manage providers or webhook endpoints.
      </p>
      <button type="submit" class="primary" disabled={action.busy}>
        Create key
      </button>
      {action.error !== undefined && <ErrorNotice error={action.error} />}
    </form>
  );
}

function KeyRow({
  apiKey,
  revoke,
  onRevoked,
}: {
  apiKey: ApiKey;
  revoke: () => Promise<ApiKey>;
  onRevoked: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const action = useAction(revoke);
  return (
    <tr>
      <td>{apiKey.name}</td>
      <td>
        <code>{apiKey.prefix}…</code>
      </td>
      <td>{apiKey.mode}</td>
      <td>{apiKey.scope}</td>
      <td>{dateTime(apiKey.createdAt)}</td>
      <td>{apiKey.lastUsedAt ? dateTime(apiKey.lastUsedAt) : 'never'}</td>
      <td>
        <StatusBadge status={apiKey.revokedAt ? 'revoked' : 'active'} />
      </td>
      <td>
        {!apiKey.revokedAt &&
          (confirming ? (
            <span role="group" aria-label={`Confirm revoking ${apiKey.name}`}>
              Revoke {apiKey.name}? Requests with it stop within seconds.{' '}
              <button
                type="button"
                class="danger"
                disabled={action.busy}
                onClick={() => void action.run().then((k) => k && onRevoked())}
              >
                Confirm revoke
              </button>{' '}
              <button type="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </span>
          ) : (
            <button type="button" onClick={() => setConfirming(true)} aria-label={`Revoke ${apiKey.name}`}>
              Revoke
            </button>
          ))}
        {action.error !== undefined && <ErrorNotice error={action.error} />}
      </td>
    </tr>
  );
}
