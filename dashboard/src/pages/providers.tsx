import type { ProviderConfig } from '#client';
import { useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { CopyField, dateTime, ErrorNotice, Loaded, StatusBadge } from '../components/ui.tsx';
import { useAction, useLoad } from '../hooks.ts';
import { providerLabel, providers } from './payments.tsx';

type Provider = (typeof providers)[number];

/** Where each provider wants our webhook URL, and which secret it signs with. */
const setup: Record<Provider, { where: string; webhookSecret?: string }> = {
  paystack: { where: 'Paystack dashboard → Settings → API Keys & Webhooks → Webhook URL.' },
  flutterwave: {
    where: 'Flutterwave dashboard → Settings → Webhooks: the URL, and the same secret hash you enter here.',
    webhookSecret: 'Secret hash',
  },
  stripe: {
    where:
      'Stripe dashboard → Developers → Webhooks → Add endpoint, events checkout.session.*; paste its signing secret here.',
    webhookSecret: 'Webhook signing secret (whsec_…)',
  },
  chapa: {
    where: 'Chapa dashboard → Settings → Webhooks: the URL, and the same secret hash you enter here.',
    webhookSecret: 'Secret hash',
  },
};

export function ProvidersPage({ client, mode }: PageProps) {
  const configs = useLoad(() => client.providers.list({ mode }), [client, mode]);
  return (
    <section>
      <h1>Providers</h1>
      <p class="muted">
        Credentials for {mode} mode. Secrets are encrypted and never shown again, here or in the API.
      </p>
      <Loaded load={configs} what="providers">
        {(page) => (
          <div class="cards">
            {providers.map((p) => (
              <ProviderCard
                key={p}
                provider={p}
                config={page.data.find((c) => c.provider === p)}
                save={(secretKey, webhookSecret) =>
                  client.providers.configure(p, {
                    mode,
                    secretKey,
                    ...(webhookSecret ? { webhookSecret } : {}),
                  })
                }
                onSaved={configs.reload}
              />
            ))}
          </div>
        )}
      </Loaded>
    </section>
  );
}

export function ProviderCard({
  provider,
  config,
  save,
  onSaved,
}: {
  provider: Provider;
  config: ProviderConfig | undefined;
  save: (secretKey: string, webhookSecret: string) => Promise<ProviderConfig>;
  onSaved: () => void;
}) {
  const name = providerLabel[provider];
  const [secretKey, setSecretKey] = useState('');
  const [webhookSecret, setWebhookSecret] = useState('');
  const action = useAction(save);
  const info = setup[provider];
  return (
    <article class="card" aria-labelledby={`provider-${provider}`}>
      <h2 id={`provider-${provider}`}>{name}</h2>
      <p>
        Health:{' '}
        {config ? (
          <>
            <StatusBadge status={config.enabled ? 'ok' : 'disabled'} /> configured, key ending{' '}
            <code>{config.secretKeyLast4}</code>, updated {dateTime(config.updatedAt)}; currencies{' '}
            {config.currencies.join(', ')}
          </>
        ) : (
          <StatusBadge status="not_configured" />
        )}
      </p>
      <form
        aria-label={`Configure ${name}`}
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(secretKey.trim(), webhookSecret.trim()).then((saved) => {
            if (saved) {
              // Secret fields are emptied: nothing typed is kept or echoed back.
              setSecretKey('');
              setWebhookSecret('');
              onSaved();
            }
          });
        }}
      >
        <label>
          {name} secret key
          <input
            type="password"
            autoComplete="off"
            required
            value={secretKey}
            placeholder={config ? `•••• ${config.secretKeyLast4} (enter a new key to replace it)` : ''}
            onInput={(e) => setSecretKey(e.currentTarget.value)}
          />
        </label>
        {info.webhookSecret && (
          <label>
            {name} {info.webhookSecret.toLowerCase()}
            <input
              type="password"
              autoComplete="off"
              value={webhookSecret}
              onInput={(e) => setWebhookSecret(e.currentTarget.value)}
            />
          </label>
        )}
        <button type="submit" class="primary" disabled={action.busy}>
          Save {name}
        </button>
        {action.error !== undefined && <ErrorNotice error={action.error} />}
      </form>
      {config?.health && <WebhookHealth name={name} health={config.health} />}
      {config && (
        <div>
          <h3>Webhook URL</h3>
          <CopyField label={`${name} webhook URL`} value={config.webhookUrl} />
          <p class="hint">Paste it in the {info.where}</p>
        </div>
      )}
    </article>
  );
}

/**
 * The provider's webhooks at a glance: the last one accepted, the signatures refused in the
 * last 24 h, and how the latest payment events were settled. Every warning is said in words.
 */
export function WebhookHealth({
  name,
  health,
}: {
  name: string;
  health: NonNullable<ProviderConfig['health']>;
}) {
  const onlySwept = health.settledByReconciliation > 0 && health.settledByWebhook === 0;
  return (
    <section aria-labelledby={`health-${name.toLowerCase()}`}>
      <h3 id={`health-${name.toLowerCase()}`}>{name} webhook health</h3>
      <dl>
        <dt>Last webhook received</dt>
        <dd>{health.lastWebhookAt ? dateTime(health.lastWebhookAt) : 'none yet'}</dd>
        <dt>Signature failures in the last 24 h</dt>
        <dd>
          {health.signatureFailures24h}
          {health.signatureFailures24h > 0 && (
            <>
              {' '}
              <StatusBadge status="warning" /> check the webhook secret here against the one at {name}; each
              failure is listed under Security
            </>
          )}
        </dd>
        <dt>Payments settled only by reconciliation</dt>
        <dd>
          {health.settledByReconciliation} of your latest payment events ({health.settledByWebhook} settled by{' '}
          {name}’s webhook)
          {onlySwept && (
            <>
              {' '}
              <StatusBadge status="warning" /> no webhook is getting through: check the webhook URL at {name}
            </>
          )}
        </dd>
      </dl>
    </section>
  );
}
