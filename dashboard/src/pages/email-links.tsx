import { PayBridgeError } from '#client';
import { useEffect, useState } from 'preact/hooks';
import { minPasswordLength, newPasswordProblems } from '../auth-links.ts';
import { ErrorNotice } from '../components/ui.tsx';
import { useAction } from '../hooks.ts';

/** The sign-in page and the request form, as links from the emailed-link pages (served at their own paths). */
const signInHref = '/';
const forgotHref = '/#/forgot-password';

/** The API's refusals of an emailed link (used, expired, unknown): what to say, no "Error:" dump. */
const linkCodes = new Set(['invalid_token', 'token_used', 'token_expired']);

function linkProblem(error: unknown): string {
  if (error instanceof PayBridgeError && linkCodes.has(error.code)) return error.message;
  if (error instanceof PayBridgeError && error.status === 429) {
    return 'Too many attempts from this address. Wait a minute, then open the link again.';
  }
  return 'We could not check this link just now. Reload the page to try again.';
}

const missingLink = 'This link is incomplete. Copy the whole link from the email into the address bar.';

/** A "Resend link" button and what became of it (sent, or our error). */
function ResendButton({ email, resend }: { email: string; resend: () => Promise<unknown> }) {
  const [sent, setSent] = useState(false);
  const action = useAction(resend);
  return (
    <div class="resend">
      <button
        type="button"
        disabled={action.busy}
        onClick={() => void action.run().then((r) => r !== undefined && setSent(true))}
      >
        Resend link
      </button>
      <span role="status">
        {sent && !action.busy && action.error === undefined
          ? `We sent a new link to ${email}. It works once, for 24 hours.`
          : ''}
      </span>
      {action.error !== undefined && <ErrorNotice error={action.error} />}
    </div>
  );
}

/** Who is signed in on this browser, for the emailed-link pages: still checking, nobody, or a user. */
export type SignedIn = 'checking' | undefined | { email: string; resend: () => Promise<unknown> };

/**
 * `/verify-email#token=pbv_…`: verifies the address with the emailed token as soon as the page
 * opens; says so, or why the link did not work, with a way to a new one.
 */
export function VerifyEmailPage({
  token,
  verify,
  signedIn,
}: {
  token: string | undefined;
  verify: (token: string) => Promise<unknown>;
  signedIn: SignedIn;
}) {
  const [state, setState] = useState<'verifying' | 'verified' | { problem: string }>(
    token ? 'verifying' : { problem: missingLink },
  );
  useEffect(() => {
    if (!token) return;
    verify(token).then(
      () => setState('verified'),
      (error: unknown) => setState({ problem: linkProblem(error) }),
    );
  }, [token]);
  return (
    <main class="auth" id="main">
      <h1>PayBridge</h1>
      <h2>Verify your email address</h2>
      {state === 'verifying' && (
        <p role="status" class="muted">
          Verifying your email address…
        </p>
      )}
      {state === 'verified' && (
        <>
          <div class="notice ok" role="status">
            <strong>Your email address is verified.</strong> Live mode is open to your account.
          </div>
          <p>
            <a href={signInHref} class="button primary">
              {typeof signedIn === 'object' ? 'Continue to the dashboard' : 'Sign in'}
            </a>
          </p>
        </>
      )}
      {typeof state === 'object' && (
        <>
          <div class="notice error" role="alert">
            <strong>This link did not work.</strong> {state.problem}
          </div>
          {signedIn === 'checking' ? (
            <p role="status" class="muted">
              Checking whether you are signed in…
            </p>
          ) : signedIn ? (
            <>
              <p>Ask for a new link: we email it to {signedIn.email}.</p>
              <ResendButton email={signedIn.email} resend={signedIn.resend} />
              <p>
                <a href={signInHref}>Back to the dashboard</a>
              </p>
            </>
          ) : (
            <p>
              <a href={signInHref}>Sign in</a> to ask for a new link: the dashboard offers one until your
              address is verified.
            </p>
          )}
        </>
      )}
    </main>
  );
}

/**
 * `/reset-password#token=pbr_…`: a new password (the sign-up rules), then sign in with it. Every
 * session of the account ends when it is set.
 */
export function ResetPasswordPage({
  token,
  confirm,
  onDone,
}: {
  token: string | undefined;
  confirm: (token: string, password: string) => Promise<unknown>;
  onDone: () => void;
}) {
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [problems, setProblems] = useState<{ password?: string; confirmation?: string }>({});
  const action = useAction(async (t: string) => {
    await confirm(t, password);
    return true;
  });
  const error = action.error;
  // The API's password rules (common, contains the email name) belong next to the field.
  const passwordProblem =
    problems.password ??
    (error instanceof PayBridgeError && error.code === 'weak_password' ? error.message : undefined);
  const linkError =
    error !== undefined && !(error instanceof PayBridgeError && error.code === 'weak_password');

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!token) return;
    const found = newPasswordProblems(password, confirmation);
    setProblems(found);
    if (found.password || found.confirmation) {
      action.clearError();
      return;
    }
    if (await action.run(token)) onDone();
  };

  return (
    <main class="auth" id="main">
      <h1>PayBridge</h1>
      <h2>Choose a new password</h2>
      {!token ? (
        <>
          <div class="notice error" role="alert">
            <strong>This link did not work.</strong> {missingLink}
          </div>
          <p>
            <a href={forgotHref}>Ask for a new link</a>
          </p>
        </>
      ) : (
        <form onSubmit={(e) => void submit(e)} aria-label="Choose a new password" noValidate>
          <p class="hint">Every session of your account ends when you set it: you then sign in with it.</p>
          <label>
            New password
            <input
              type="password"
              name="password"
              autoComplete="new-password"
              required
              minLength={minPasswordLength}
              aria-describedby={passwordProblem ? 'new-password-problem' : 'new-password-hint'}
              aria-invalid={passwordProblem ? 'true' : undefined}
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          {passwordProblem ? (
            <p class="field-problem" id="new-password-problem">
              {passwordProblem}
            </p>
          ) : (
            <p class="hint" id="new-password-hint">
              At least {minPasswordLength} characters, not a common password.
            </p>
          )}
          <label>
            Confirm new password
            <input
              type="password"
              name="confirmation"
              autoComplete="new-password"
              required
              aria-describedby={problems.confirmation ? 'confirmation-problem' : undefined}
              aria-invalid={problems.confirmation ? 'true' : undefined}
              value={confirmation}
              onInput={(e) => setConfirmation(e.currentTarget.value)}
            />
          </label>
          {problems.confirmation && (
            <p class="field-problem" id="confirmation-problem">
              {problems.confirmation}
            </p>
          )}
          {(problems.password || problems.confirmation || passwordProblem) && (
            <div class="notice error" role="alert">
              Check the marked fields.
            </div>
          )}
          {linkError && (
            <div class="notice error" role="alert">
              <strong>This link did not work.</strong> {linkProblem(error)}{' '}
              <a href={forgotHref}>Ask for a new link</a>
            </div>
          )}
          <button type="submit" class="primary" disabled={action.busy}>
            Set new password
          </button>
        </form>
      )}
      <p>
        <a href={signInHref}>Back to sign in</a>
      </p>
    </main>
  );
}

/** What the request form always says: whether an account uses the address is nobody's business. */
export const resetRequested = (email: string) =>
  `If an account exists for ${email}, we have sent it a link to choose a new password. The link works once, for an hour; check your spam folder if it does not arrive.`;

/** `#/forgot-password` (signed out): asks for a reset link; the answer never says whether the account exists. */
export function ForgotPasswordPage({ request }: { request: (email: string) => Promise<unknown> }) {
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<string | undefined>(undefined);
  const action = useAction(async (to: string) => {
    await request(to);
    return to;
  });
  const submit = async (event: Event) => {
    event.preventDefault();
    const to = email.trim();
    setSentTo(undefined);
    const done = await action.run(to);
    if (done !== undefined) setSentTo(done);
  };
  return (
    <main class="auth" id="main">
      <h1>PayBridge</h1>
      <h2>Reset your password</h2>
      <form onSubmit={(e) => void submit(e)} aria-label="Reset your password">
        <p class="hint">
          Enter the email address you sign in with. We email it a link to choose a new password.
        </p>
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
        {action.error !== undefined && <ErrorNotice error={action.error} />}
        <button type="submit" class="primary" disabled={action.busy}>
          Email me a reset link
        </button>
      </form>
      <div role="status">{sentTo !== undefined && <p class="notice ok">{resetRequested(sentTo)}</p>}</div>
      <p>
        <a href="#/">Back to sign in</a>
      </p>
    </main>
  );
}

/**
 * Across the top of the dashboard while the address is unverified: live mode is locked until the
 * emailed link is opened; a new link on request. `refused`: the user just tried the live switch.
 */
export function VerifyEmailNotice({
  email,
  resend,
  refused,
}: {
  email: string;
  resend: () => Promise<unknown>;
  refused: boolean;
}) {
  return (
    <section
      class={`notice warn verify-notice${refused ? ' refused' : ''}`}
      aria-labelledby="verify-notice-title"
    >
      <p>
        <strong id="verify-notice-title">Verify your email to use live mode</strong>
      </p>
      {refused && (
        <p role="alert">
          Live mode stays locked until your email address is verified: PayBridge needs to know it can reach
          you before real money moves.
        </p>
      )}
      <p>Open the link we sent to {email}. Until then your account works with test data only.</p>
      <ResendButton email={email} resend={resend} />
    </section>
  );
}
