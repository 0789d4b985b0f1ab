/**
 * The emailed links the API writes (functions/core/identity.ts): `<base>/verify-email#token=pbv_…`
 * and `<base>/reset-password#token=pbr_…`. The token rides in the fragment, which browsers never
 * send to a server (no access log or `Referer` sees it); the page reads it and then removes it from
 * the address bar and history.
 */

export type AuthLinkPage = 'verify-email' | 'reset-password';

/** The emailed-link page a path names (`/verify-email`, `/reset-password`, a trailing slash allowed). */
export function authLinkPage(pathname: string): AuthLinkPage | undefined {
  const path = pathname.replace(/\/+$/, '');
  if (path === '/verify-email') return 'verify-email';
  if (path === '/reset-password') return 'reset-password';
  return undefined;
}

const tokenPrefix: Record<AuthLinkPage, string> = { 'verify-email': 'pbv_', 'reset-password': 'pbr_' };

/**
 * The token in a link's fragment (`#token=…`, as `location.hash` gives it), or undefined when it
 * is missing or cannot be one: tokens are `pbv_`/`pbr_` and base64url. Whitespace a mail client
 * wrapped into the link is dropped; other parameters (`&utm_…`) are ignored.
 */
export function fragmentToken(hash: string, page?: AuthLinkPage): string | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token')?.replace(/\s+/g, '');
  if (!token || !/^pb[vr]_[\w-]{16,}$/.test(token)) return undefined;
  if (page && !token.startsWith(tokenPrefix[page])) return undefined;
  return token;
}

/** Takes the token out of the address bar and history (a reload or a shared screen no longer shows it). */
export function forgetFragment(): void {
  if (location.hash) history.replaceState(history.state, '', location.pathname + location.search);
}

export const minPasswordLength = 12;
export const maxPasswordLength = 256;

/**
 * What is wrong with a new password before it is sent: the sign-up rules the page can check
 * (length, one repeated character); the API also refuses common passwords and ones that contain
 * the email name, and the form shows its answer.
 */
export function newPasswordProblems(
  password: string,
  confirmation: string,
): { password?: string; confirmation?: string } {
  const problems: { password?: string; confirmation?: string } = {};
  if (password.length < minPasswordLength)
    problems.password = `Use at least ${minPasswordLength} characters.`;
  else if (password.length > maxPasswordLength) {
    problems.password = `Use at most ${maxPasswordLength} characters.`;
  } else if (/^(.)\1+$/.test(password)) {
    problems.password = 'This password repeats one character; choose another.';
  }
  if (confirmation !== password) problems.confirmation = 'The two passwords are not the same.';
  return problems;
}
