// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PayBridgeError } from '#client';
import { App, type AuthApi } from '../../../dashboard/src/app.tsx';
import {
  authLinkPage,
  forgetFragment,
  fragmentToken,
  newPasswordProblems,
} from '../../../dashboard/src/auth-links.ts';
import {
  ForgotPasswordPage,
  ResetPasswordPage,
  VerifyEmailNotice,
  VerifyEmailPage,
} from '../../../dashboard/src/pages/email-links.tsx';
import { SignInPage } from '../../../dashboard/src/pages/sign-in.tsx';

afterEach(() => {
  cleanup();
  history.replaceState(null, '', '/');
});

const verifyToken = `pbv_${'A1b2-_'.repeat(7)}x`;
const resetToken = `pbr_${'Zz9_-y'.repeat(7)}q`;

const apiError = (status: number, code: string, message: string) =>
  new PayBridgeError(
    status,
    { error: { type: 'invalid_request', code, message, requestId: 'req-1' } },
    new Headers(),
  );

const submitWith = (name: string) =>
  fireEvent.submit(screen.getByRole('button', { name }).closest('form') as HTMLFormElement);

describe('the emailed links: path and fragment', () => {
  it('knows the two paths the API’s links open (functions/core/identity.ts)', () => {
    expect(authLinkPage('/verify-email')).toBe('verify-email');
    expect(authLinkPage('/reset-password/')).toBe('reset-password');
    for (const path of ['/', '/index.html', '/verify-email/x', '/reset-password.html', '/VERIFY-EMAIL']) {
      expect(authLinkPage(path), path).toBeUndefined();
    }
  });

  it('reads the token from the fragment, as the API writes it', () => {
    expect(fragmentToken(`#token=${verifyToken}`)).toBe(verifyToken);
    expect(fragmentToken(`#token=${verifyToken}`, 'verify-email')).toBe(verifyToken);
    expect(fragmentToken(`token=${resetToken}`, 'reset-password')).toBe(resetToken);
    // Other parameters a mail client or tracker adds are ignored; a line break it wrapped in is dropped.
    expect(fragmentToken(`#utm_source=mail&token=${verifyToken}&x=1`)).toBe(verifyToken);
    expect(fragmentToken(`#token=${verifyToken.slice(0, 20)}%0A${verifyToken.slice(20)}`)).toBe(verifyToken);
  });

  it('finds no token in a missing, cut or foreign fragment, nor one for the other page', () => {
    for (const hash of [
      '',
      '#',
      '#token=',
      '#/overview',
      '#token=pbv_short',
      '#token=abc_' + 'x'.repeat(43),
    ]) {
      expect(fragmentToken(hash), hash).toBeUndefined();
    }
    expect(fragmentToken(`#token=${verifyToken}<script>`)).toBeUndefined();
    expect(fragmentToken(`#token=${resetToken}`, 'verify-email')).toBeUndefined();
    expect(fragmentToken(`#token=${verifyToken}`, 'reset-password')).toBeUndefined();
  });

  it('takes the token out of the address bar and history', () => {
    history.replaceState(null, '', `/verify-email?x=1#token=${verifyToken}`);
    forgetFragment();
    expect(location.pathname + location.search + location.hash).toBe('/verify-email?x=1');
  });
});

describe('new password rules (as at sign-up)', () => {
  it('asks for 12 to 256 characters, not one repeated, typed twice the same', () => {
    expect(newPasswordProblems('a long passphrase', 'a long passphrase')).toEqual({});
    expect(newPasswordProblems('short', 'short').password).toBe('Use at least 12 characters.');
    expect(newPasswordProblems('x'.repeat(257), 'x'.repeat(257)).password).toBe(
      'Use at most 256 characters.',
    );
    expect(newPasswordProblems('aaaaaaaaaaaa', 'aaaaaaaaaaaa').password).toMatch(/repeats one character/);
    expect(newPasswordProblems('a long passphrase', 'a long passphrasE')).toEqual({
      confirmation: 'The two passwords are not the same.',
    });
  });
});

describe('verify-email page', () => {
  it('verifies with the token at once and offers the dashboard', async () => {
    const verify = vi.fn(async () => ({}));
    render(
      <VerifyEmailPage token={verifyToken} verify={verify} signedIn={{ email: 'a@b.co', resend: vi.fn() }} />,
    );
    await screen.findByText('Your email address is verified.');
    expect(verify).toHaveBeenCalledExactlyOnceWith(verifyToken);
    expect(screen.getByRole('link', { name: 'Continue to the dashboard' }).getAttribute('href')).toBe('/');
  });

  it('says why a link failed, and resends to a signed-in user', async () => {
    const resend = vi.fn(async () => ({ sent: true }));
    render(
      <VerifyEmailPage
        token={verifyToken}
        verify={() =>
          Promise.reject(apiError(400, 'token_expired', 'This link has expired. Ask for a new one.'))
        }
        signedIn={{ email: 'a@b.co', resend }}
      />,
    );
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('This link has expired.');
    expect(alert.textContent).not.toContain('req-1');
    fireEvent.click(screen.getByRole('button', { name: 'Resend link' }));
    await screen.findByText('We sent a new link to a@b.co. It works once, for 24 hours.');
    expect(resend).toHaveBeenCalledOnce();
  });

  it('sends nobody to the API without a token, and points a signed-out user to sign in', () => {
    const verify = vi.fn();
    render(<VerifyEmailPage token={undefined} verify={verify} signedIn={undefined} />);
    expect(screen.getByRole('alert').textContent).toContain('This link is incomplete.');
    expect(screen.queryByRole('button', { name: 'Resend link' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Sign in' }).getAttribute('href')).toBe('/');
    expect(verify).not.toHaveBeenCalled();
  });

  it('is what the app shows at /verify-email, the token gone from the address bar', async () => {
    history.replaceState(null, '', `/verify-email#token=${verifyToken}`);
    const auth: AuthApi = {
      verifyEmail: vi.fn(async () => ({})),
      confirmPasswordReset: vi.fn(),
      requestPasswordReset: vi.fn(),
    };
    render(<App restore={async () => undefined} auth={auth} />);
    await screen.findByText('Your email address is verified.');
    expect(auth.verifyEmail).toHaveBeenCalledWith(verifyToken);
    expect(location.hash).toBe('');
    expect(screen.getByRole('link', { name: 'Sign in' })).toBeTruthy();
  });

  it('verifies a second link pasted into the open page (the fragment changes, no reload)', async () => {
    history.replaceState(null, '', `/verify-email#token=${verifyToken}`);
    const verify = vi
      .fn()
      .mockRejectedValueOnce(apiError(400, 'token_used', 'This link has already been used.'))
      .mockResolvedValueOnce({});
    const auth: AuthApi = {
      verifyEmail: verify,
      confirmPasswordReset: vi.fn(),
      requestPasswordReset: vi.fn(),
    };
    render(<App restore={async () => undefined} auth={auth} />);
    await screen.findByText(/This link has already been used\./);
    const second = `pbv_${'Q'.repeat(43)}`;
    history.replaceState(null, '', `/verify-email#token=${second}`);
    dispatchEvent(new HashChangeEvent('hashchange'));
    await screen.findByText('Your email address is verified.');
    expect(verify).toHaveBeenLastCalledWith(second);
    expect(location.hash).toBe('');
  });
});

describe('reset-password form', () => {
  const fill = (password: string, confirmation = password) => {
    fireEvent.input(screen.getByLabelText('New password'), { target: { value: password } });
    fireEvent.input(screen.getByLabelText('Confirm new password'), { target: { value: confirmation } });
  };

  it('sends the token and the new password, then hands over to sign-in', async () => {
    const confirm = vi.fn(async () => undefined);
    const onDone = vi.fn();
    render(<ResetPasswordPage token={resetToken} confirm={confirm} onDone={onDone} />);
    fill('a long passphrase');
    submitWith('Set new password');
    await waitFor(() => expect(onDone).toHaveBeenCalledOnce());
    expect(confirm).toHaveBeenCalledWith(resetToken, 'a long passphrase');
  });

  it('marks the fields the rules refuse before anything is sent', async () => {
    const confirm = vi.fn();
    render(<ResetPasswordPage token={resetToken} confirm={confirm} onDone={vi.fn()} />);
    fill('short', 'shorter');
    submitWith('Set new password');
    await screen.findByText('Use at least 12 characters.');
    screen.getByText('The two passwords are not the same.');
    expect(screen.getByLabelText('New password').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByLabelText('Confirm new password').getAttribute('aria-describedby')).toBe(
      'confirmation-problem',
    );
    expect(confirm).not.toHaveBeenCalled();
  });

  it('puts the API’s password refusal by the field, a dead link in an alert with a way to a new one', async () => {
    const confirm = vi
      .fn()
      .mockRejectedValueOnce(apiError(422, 'weak_password', 'This password is too common; choose another.'))
      .mockRejectedValueOnce(apiError(400, 'token_used', 'This link has already been used.'));
    const onDone = vi.fn();
    render(<ResetPasswordPage token={resetToken} confirm={confirm} onDone={onDone} />);
    fill('password1234');
    submitWith('Set new password');
    const problem = await screen.findByText('This password is too common; choose another.');
    expect(problem.id).toBe('new-password-problem');
    fill('a long passphrase');
    submitWith('Set new password');
    await screen.findByText(/This link has already been used\./);
    expect(screen.getByRole('link', { name: 'Ask for a new link' }).getAttribute('href')).toBe(
      '/#/forgot-password',
    );
    expect(onDone).not.toHaveBeenCalled();
  });

  it('offers a new link instead of a form when the link has no token', () => {
    render(<ResetPasswordPage token={undefined} confirm={vi.fn()} onDone={vi.fn()} />);
    expect(screen.queryByLabelText('New password')).toBeNull();
    screen.getByRole('link', { name: 'Ask for a new link' });
  });

  it('leads from /reset-password to the sign-in page at / with a note', async () => {
    history.replaceState(null, '', `/reset-password#token=${resetToken}`);
    const auth: AuthApi = {
      verifyEmail: vi.fn(),
      confirmPasswordReset: vi.fn(async () => undefined),
      requestPasswordReset: vi.fn(),
    };
    render(<App restore={async () => undefined} auth={auth} />);
    expect(location.hash).toBe('');
    fill('a long passphrase');
    submitWith('Set new password');
    await screen.findByText('Sign in to your dashboard');
    expect(auth.confirmPasswordReset).toHaveBeenCalledWith(resetToken, 'a long passphrase');
    expect(location.pathname).toBe('/');
    expect(screen.getByRole('status').textContent).toContain('Sign in with your new password.');
  });
});

describe('forgot-password request', () => {
  it('is linked from the sign-in page (not from sign-up)', () => {
    render(<SignInPage onSignedIn={vi.fn()} api={{ signIn: vi.fn(), signUp: vi.fn() }} />);
    expect(screen.getByRole('link', { name: 'Forgot password?' }).getAttribute('href')).toBe(
      '#/forgot-password',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Create an account instead' }));
    expect(screen.queryByRole('link', { name: 'Forgot password?' })).toBeNull();
  });

  it('always says a link went out if an account exists', async () => {
    const request = vi.fn(async () => ({ accepted: true }));
    render(<ForgotPasswordPage request={request} />);
    fireEvent.input(screen.getByLabelText('Email'), { target: { value: ' ada@example.com ' } });
    submitWith('Email me a reset link');
    await screen.findByText(/^If an account exists for ada@example.com, we have sent it a link/);
    expect(request).toHaveBeenCalledWith('ada@example.com');
  });

  it('shows a refusal (too many requests) as our error', async () => {
    const request = vi.fn(async () => {
      throw apiError(429, 'rate_limited', 'Too many requests from this address. Slow down.');
    });
    render(<ForgotPasswordPage request={request} />);
    fireEvent.input(screen.getByLabelText('Email'), { target: { value: 'ada@example.com' } });
    submitWith('Email me a reset link');
    expect((await screen.findByRole('alert')).textContent).toContain('Slow down.');
    expect(screen.queryByText(/If an account exists/)).toBeNull();
  });

  it('is what the signed-out app shows at #/forgot-password', async () => {
    history.replaceState(null, '', '/#/forgot-password');
    const auth: AuthApi = {
      verifyEmail: vi.fn(),
      confirmPasswordReset: vi.fn(),
      requestPasswordReset: vi.fn(async () => ({})),
    };
    render(<App restore={async () => undefined} auth={auth} />);
    await screen.findByText('Reset your password');
  });
});

describe('unverified notice', () => {
  it('names the address, resends, and explains a refused live switch', async () => {
    const resend = vi.fn(async () => ({ sent: true }));
    const { rerender } = render(<VerifyEmailNotice email="a@b.co" resend={resend} refused={false} />);
    const region = screen.getByRole('region', { name: 'Verify your email to use live mode' });
    expect(region.textContent).toContain('a@b.co');
    expect(screen.queryByRole('alert')).toBeNull();
    rerender(<VerifyEmailNotice email="a@b.co" resend={resend} refused />);
    expect(screen.getByRole('alert').textContent).toContain('Live mode stays locked');
    fireEvent.click(screen.getByRole('button', { name: 'Resend link' }));
    await screen.findByText('We sent a new link to a@b.co. It works once, for 24 hours.');
  });

  it('shows a resend refusal (limit reached) as our error', async () => {
    const resend = vi.fn(async () => {
      throw apiError(429, 'too_many_emails', 'At most 5 verification emails an hour.');
    });
    render(<VerifyEmailNotice email="a@b.co" resend={resend} refused={false} />);
    fireEvent.click(screen.getByRole('button', { name: 'Resend link' }));
    expect((await screen.findByRole('alert')).textContent).toContain(
      'At most 5 verification emails an hour.',
    );
    expect(screen.queryByText(/We sent a new link/)).toBeNull();
  });
});
