import type { Mode } from '#client';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ErrorNotice } from './components/ui.tsx';
import { ApiKeysPage } from './pages/api-keys.tsx';
import { BalancePage } from './pages/balance.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { PaymentLinksPage } from './pages/payment-links.tsx';
import { PaymentDetailPage, PaymentsPage } from './pages/payments.tsx';
import { ProvidersPage } from './pages/providers.tsx';
import { RefundsPage } from './pages/refunds.tsx';
import { SecurityPage } from './pages/security.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { WebhooksPage } from './pages/webhooks.tsx';
import { href, useRoute } from './router.ts';
import { restoreSession, type Session, type SessionApi, sessionClient } from './session.ts';
import type { PayBridgeClient } from '#client';

export interface PageProps {
  readonly client: PayBridgeClient;
  readonly mode: Mode;
}

const pages = [
  { path: 'overview', name: 'Overview' },
  { path: 'payments', name: 'Payments' },
  { path: 'payment-links', name: 'Payment links' },
  { path: 'refunds', name: 'Refunds' },
  { path: 'balance', name: 'Balance' },
  { path: 'webhooks', name: 'Webhooks' },
  { path: 'api-keys', name: 'API keys' },
  { path: 'providers', name: 'Providers' },
  { path: 'security', name: 'Security' },
] as const;

export function App({ restore = restoreSession }: { restore?: () => Promise<Session | undefined> }) {
  const [session, setSession] = useState<Session | undefined>(undefined);
  // A reload signs back in from the refresh cookie (HttpOnly: the page never sees it).
  const [restoring, setRestoring] = useState<'trying' | 'done' | { error: unknown }>('trying');
  useEffect(() => {
    restore().then(
      (s) => {
        if (s) setSession(s);
        setRestoring('done');
      },
      (error: unknown) => setRestoring({ error }),
    );
  }, []);
  // Each sign-in gets a fresh key: every page below remounts, so nothing of a previous merchant survives.
  const [generation, setGeneration] = useState(0);
  if (restoring === 'trying') {
    return (
      <main class="auth" id="main">
        <h1>PayBridge</h1>
        <p role="status" class="muted">
          Loading your session…
        </p>
      </main>
    );
  }
  if (!session) {
    return (
      <SignInPage
        notice={typeof restoring === 'object' ? <ErrorNotice error={restoring.error} /> : undefined}
        onSignedIn={(s) => {
          setGeneration((g) => g + 1);
          setSession(s);
        }}
      />
    );
  }
  return (
    <Shell
      key={generation}
      session={session}
      onSignedOut={() => {
        // The next user starts on the overview, not on the page the last one left open.
        history.replaceState(null, '', location.pathname);
        setSession(undefined);
      }}
    />
  );
}

function Shell({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const [mode, setMode] = useState<Mode>('test');
  const api: SessionApi = useMemo(() => sessionClient(session, { onExpired: onSignedOut }), [session]);
  const client = useMemo(() => api.client(mode), [api, mode]);
  const route = useRoute();
  const [section = 'overview', id] = route;
  const [signingOut, setSigningOut] = useState(false);

  const signOut = async (everywhere: boolean) => {
    setSigningOut(true);
    // Ends every session of the user (the other devices at their next refresh) …
    if (everywhere) await client.auth.logoutEverywhere().catch(() => undefined);
    // … and this one: revokes its refresh token's family and removes the cookie; signed out here
    // whatever the answer.
    await client.auth.logout().catch(() => undefined);
    onSignedOut();
  };

  const page = (() => {
    const props = { client, mode };
    switch (section) {
      case 'overview':
        return <OverviewPage {...props} />;
      case 'payments':
        return id ? <PaymentDetailPage {...props} id={id} /> : <PaymentsPage {...props} />;
      case 'payment-links':
        return <PaymentLinksPage {...props} id={id} />;
      case 'refunds':
        return <RefundsPage {...props} id={id} />;
      case 'balance':
        return <BalancePage {...props} fetch={api.fetch} />;
      case 'webhooks':
        return <WebhooksPage {...props} />;
      case 'api-keys':
        return <ApiKeysPage {...props} />;
      case 'providers':
        return <ProvidersPage {...props} />;
      case 'security':
        return <SecurityPage {...props} />;
      default:
        return <Placeholder title="Not found" text="There is no such page." />;
    }
  })();

  return (
    <div class={`shell mode-${mode}`}>
      <a
        class="skip"
        href="#main"
        onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}
      >
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">PayBridge</span>
        <span class="merchant">{session.businessName}</span>
        <label class="mode-switch">
          <input
            type="checkbox"
            role="switch"
            checked={mode === 'test'}
            onChange={(e) => setMode(e.currentTarget.checked ? 'test' : 'live')}
          />
          Test mode
        </label>
        <span class="who">{session.email}</span>
        <button type="button" onClick={() => void signOut(false)} disabled={signingOut}>
          Sign out
        </button>
        <button
          type="button"
          onClick={() => void signOut(true)}
          disabled={signingOut}
          title="Ends your sessions on every device and browser"
        >
          Sign out everywhere
        </button>
      </header>
      {mode === 'test' ? (
        <p class="mode-banner" role="note">
          <strong>Test mode</strong>: you are looking at test data. No real money moves.
        </p>
      ) : (
        <p class="mode-banner live" role="note">
          <strong>Live mode</strong>: real payments.
        </p>
      )}
      <div class="layout">
        <nav class="sidebar" aria-label="Dashboard">
          <ul>
            {pages.map((p) => (
              <li key={p.path}>
                <a href={href(p.path)} aria-current={section === p.path ? 'page' : undefined}>
                  {p.name}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          {/* Keyed by mode: switching remounts the page, so no test row lingers in live mode. */}
          <div key={mode}>{page}</div>
        </main>
      </div>
    </div>
  );
}

function Placeholder({ title, text }: { title: string; text: string }) {
  return (
    <section>
      <h1>{title}</h1>
      <p>{text}</p>
    </section>
  );
}
