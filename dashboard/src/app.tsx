import type { Mode } from '#client';
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { type AuthLinkPage, authLinkPage, forgetFragment, fragmentToken } from './auth-links.ts';
import { ErrorNotice } from './components/ui.tsx';
import { ApiKeysPage } from './pages/api-keys.tsx';
import { BalancePage } from './pages/balance.tsx';
import {
  ForgotPasswordPage,
  ResetPasswordPage,
  type SignedIn,
  VerifyEmailNotice,
  VerifyEmailPage,
} from './pages/email-links.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { PaymentLinksPage } from './pages/payment-links.tsx';
import { firstPaymentsPath, PaymentDetailPage, PaymentsPage } from './pages/payments.tsx';
import { ProvidersPage } from './pages/providers.tsx';
import { RefundsPage } from './pages/refunds.tsx';
import { SecurityPage } from './pages/security.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { WebhooksPage } from './pages/webhooks.tsx';
import { currentRoute, href, useRoute } from './router.ts';
import { publicClient, restoreSession, type Session, type SessionApi, sessionClient } from './session.ts';
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

/** The signed-out calls the emailed-link pages and the reset request make (a fake in unit tests). */
export interface AuthApi {
  verifyEmail(token: string): Promise<unknown>;
  confirmPasswordReset(token: string, password: string): Promise<unknown>;
  requestPasswordReset(email: string): Promise<unknown>;
}

const authApi: AuthApi = {
  verifyEmail: (token) => publicClient().auth.verifyEmail({ token }),
  confirmPasswordReset: (token, password) => publicClient().auth.confirmPasswordReset({ token, password }),
  requestPasswordReset: (email) => publicClient().auth.requestPasswordReset({ email }),
};

/** The emailed-link page at this path and its token, read once and then out of the address bar (a credential). */
function readLink(): { page: AuthLinkPage; token: string | undefined } | undefined {
  const page = authLinkPage(location.pathname);
  if (!page) return undefined;
  const token = fragmentToken(location.hash, page);
  forgetFragment();
  return { page, token };
}

/**
 * The emailed links open the dashboard at `/verify-email#token=…` and `/reset-password#token=…`
 * (functions/core/identity.ts); every other page is a hash route under `/`.
 */
/** Restores the session; on the payments list, its first page is asked for alongside `GET /v1/me`. */
function restoreLanding(): Promise<Session | undefined> {
  const [section, id] = currentRoute();
  return restoreSession(section === 'payments' && !id ? { prefetchPath: firstPaymentsPath() } : {});
}

export function App({
  restore = restoreLanding,
  auth = authApi,
}: {
  restore?: () => Promise<Session | undefined>;
  auth?: AuthApi;
}) {
  const [link, setLink] = useState(readLink);
  // A link pasted into the address bar of an open link page changes the fragment only: no reload.
  useEffect(() => {
    const onHashChange = () => {
      const page = authLinkPage(location.pathname);
      if (page && fragmentToken(location.hash, page)) setLink(readLink());
    };
    addEventListener('hashchange', onHashChange);
    return () => removeEventListener('hashchange', onHashChange);
  }, []);
  const [notice, setNotice] = useState<ComponentChildren>(undefined);
  if (link?.page === 'verify-email') {
    return <VerifyEmailRoute key={link.token} token={link.token} restore={restore} auth={auth} />;
  }
  if (link?.page === 'reset-password') {
    return (
      <ResetPasswordPage
        key={link.token}
        token={link.token}
        confirm={auth.confirmPasswordReset}
        onDone={() => {
          // On to the sign-in page at `/`: every session ended, the new password signs in.
          history.replaceState(null, '', '/');
          setNotice(
            <p class="notice ok" role="status">
              Your password is changed and every session of your account has ended. Sign in with your new
              password.
            </p>,
          );
          setLink(undefined);
        }}
      />
    );
  }
  return <Dashboard restore={restore} auth={auth} notice={notice} />;
}

/** `/verify-email`: verifies with the token; a signed-in user (from the refresh cookie) may ask for a new link. */
function VerifyEmailRoute({
  token,
  restore,
  auth,
}: {
  token: string | undefined;
  restore: () => Promise<Session | undefined>;
  auth: AuthApi;
}) {
  const [signedIn, setSignedIn] = useState<SignedIn>('checking');
  useEffect(() => {
    restore().then(
      (s) =>
        setSignedIn(
          s && {
            email: s.email,
            resend: () => sessionClient(s).client('test').auth.resendVerification(),
          },
        ),
      () => setSignedIn(undefined),
    );
  }, []);
  return <VerifyEmailPage token={token} verify={auth.verifyEmail} signedIn={signedIn} />;
}

function Dashboard({
  restore,
  auth,
  notice,
}: {
  restore: () => Promise<Session | undefined>;
  auth: AuthApi;
  notice: ComponentChildren;
}) {
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [route] = useRoute();
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
    if (route === 'forgot-password') return <ForgotPasswordPage request={auth.requestPasswordReset} />;
    return (
      <SignInPage
        notice={typeof restoring === 'object' ? <ErrorNotice error={restoring.error} /> : notice}
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
  // Until the emailed link is opened the account is test mode only (live answers 403 email_unverified).
  const [verified, setVerified] = useState(session.emailVerified);
  const [liveRefused, setLiveRefused] = useState(false);
  const recheckVerified = async (): Promise<boolean> => {
    const me = await api.client('test').me.get();
    const now = me.user?.emailVerified ?? true;
    session.emailVerified = now;
    setVerified(now);
    return now;
  };
  // Verified in another tab (or on a phone): the notice goes when this one is looked at again.
  useEffect(() => {
    if (verified) return;
    const onFocus = () => void recheckVerified().catch(() => undefined);
    addEventListener('focus', onFocus);
    return () => removeEventListener('focus', onFocus);
  }, [verified]);
  const switchMode = (input: HTMLInputElement) => {
    if (input.checked) return setMode('test');
    if (verified) return setMode('live');
    // Not yet: stay in test mode, ask the API once more (a link opened elsewhere), then explain.
    input.checked = true;
    void recheckVerified().then(
      (now) => {
        setLiveRefused(!now);
        if (now) setMode('live');
      },
      () => setLiveRefused(true),
    );
  };

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
            aria-describedby={verified ? undefined : 'verify-notice-title'}
            onChange={(e) => switchMode(e.currentTarget)}
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
      {!verified && (
        <VerifyEmailNotice
          email={session.email}
          refused={liveRefused}
          resend={() => client.auth.resendVerification()}
        />
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
