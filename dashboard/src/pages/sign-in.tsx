import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ErrorNotice } from '../components/ui.tsx';
import { useAction } from '../hooks.ts';
import { type Session, signIn, signUp } from '../session.ts';

/** Sign in, or create a merchant account. */
export function SignInPage({
  onSignedIn,
  api = { signIn, signUp },
  notice,
}: {
  onSignedIn: (session: Session) => void;
  api?: { signIn: typeof signIn; signUp: typeof signUp };
  /** Shown above the form (e.g. why the saved session could not be restored). */
  notice?: ComponentChildren;
}) {
  const [creating, setCreating] = useState(false);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [businessName, setBusinessName] = useState('');
  const action = useAction(async () =>
    creating ? api.signUp({ email, password, businessName }) : api.signIn(email, password),
  );
  const submit = async (event: Event) => {
    event.preventDefault();
    const session = await action.run();
    if (session) onSignedIn(session);
  };
  return (
    <main class="auth" id="main">
      <h1>PayBridge</h1>
      <h2>{creating ? 'Create your merchant account' : 'Sign in to your dashboard'}</h2>
      {notice}
      <form onSubmit={(e) => void submit(e)} aria-label={creating ? 'Create account' : 'Sign in'}>
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete={creating ? 'new-password' : 'current-password'}
            required
            minLength={creating ? 12 : undefined}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {creating && (
          <>
            <p class="hint" id="password-hint">
              At least 12 characters, not a common password.
            </p>
            <label>
              Business name
              <input
                name="businessName"
                autoComplete="organization"
                required
                value={businessName}
                onInput={(e) => setBusinessName(e.currentTarget.value)}
              />
            </label>
          </>
        )}
        {action.error !== undefined && <ErrorNotice error={action.error} />}
        <button type="submit" class="primary" disabled={action.busy}>
          {creating ? 'Create account' : 'Sign in'}
        </button>
      </form>
      {!creating && (
        <p>
          <a href="#/forgot-password">Forgot password?</a>
        </p>
      )}
      <p>
        {creating ? 'Already have an account? ' : 'New to PayBridge? '}
        <button
          type="button"
          class="link"
          onClick={() => {
            setCreating(!creating);
            action.clearError();
          }}
        >
          {creating ? 'Sign in instead' : 'Create an account instead'}
        </button>
      </p>
    </main>
  );
}
