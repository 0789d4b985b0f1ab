import { describe, expect, it } from 'vitest';
import type { Actor } from '#core/actor';
import { sha256 } from '#core/credentials';
import { Conflict, Forbidden, RateLimited, Unauthenticated, ValidationFailed } from '#core/errors';
import {
  authenticateApiKey,
  changePassword,
  confirmPasswordReset,
  createApiKey,
  type Deps,
  lockout,
  login,
  logout,
  logoutEverywhere,
  passwordResetAccepted,
  refresh,
  refreshGraceMs,
  refreshIdleSeconds,
  register,
  requestPasswordReset,
  revokeApiKey,
  scopeAllows,
  verifyEmail,
} from '#core/identity';
import type { MailMessage } from '#core/mail';
import { ManualClock } from '#test/memory/clock';
import { FakeTokenSigner, fastHashing, MemoryIdentityStore } from '#test/memory/identity';
import { meta } from '#test/memory/world';

const password = 'a long passphrase';

function identityWorld() {
  const clock = new ManualClock();
  const store = new MemoryIdentityStore();
  const tokens = new FakeTokenSigner();
  const mail: MailMessage[] = [];
  const deps: Deps = {
    store,
    tokens,
    now: clock.now,
    passwordHashing: fastHashing,
    mail: {
      send: async (message) => {
        mail.push(message);
      },
    },
  };
  /** The single-use token of the last link mailed to `to`. */
  const lastToken = (to: string) => {
    const message = mail.filter((m) => m.to === to).at(-1);
    return /#token=(pb[vr]_[A-Za-z0-9_-]{43})$/.exec(message?.link ?? '')?.[1] as string;
  };
  const signUp = async (email = 'owner@shop.example') => {
    const out = await register(deps, { email, password, businessName: 'Shop' }, meta, 'https://dash.example');
    const claims = tokens.claims(out.accessToken);
    const actor: Extract<Actor, { kind: 'user' }> = {
      kind: 'user',
      merchantId: out.merchant.id,
      userId: out.user.id,
      email: out.user.email,
      role: 'owner',
      sessionId: claims.sessionId,
      mode: 'test',
    };
    return { ...out, actor };
  };
  return { clock, store, tokens, mail, deps, lastToken, signUp };
}

describe('registration', () => {
  it('creates the merchant and its unverified owner, signs them in and mails a verification link', async () => {
    const w = identityWorld();
    const out = await w.signUp('  Owner@Shop.Example ');
    expect(out.user).toMatchObject({ email: 'owner@shop.example', role: 'owner', emailVerified: false });
    expect(out.merchant).toMatchObject({ businessName: 'Shop', contactEmail: 'owner@shop.example' });
    expect(out.refreshToken).toMatch(/^rt_ses_/);
    expect(w.mail).toEqual([
      expect.objectContaining({
        kind: 'verify_email',
        to: 'owner@shop.example',
        link: expect.stringMatching(/^https:\/\/dash\.example\/verify-email#token=pbv_/),
      }),
    ]);
    // Only the hash of the emailed token is kept.
    expect(await w.store.getEmailToken(sha256(w.lastToken('owner@shop.example')))).toMatchObject({
      usedAt: null,
    });
  });

  it('refuses a weak password (422) and a password made of the email name', async () => {
    const w = identityWorld();
    for (const weak of ['short', 'aaaaaaaaaaaaaaa', 'alicebob1234']) {
      await expect(
        register(w.deps, { email: 'alicebob@x.example', password: weak, businessName: 'S' }, meta),
      ).rejects.toMatchObject({ code: 'weak_password', status: 422, param: 'password' });
    }
  });

  it('allows one account per mailbox, whatever the case, and exactly one of concurrent sign-ups', async () => {
    const w = identityWorld();
    await w.signUp('owner@shop.example');
    await expect(w.signUp('OWNER@shop.example')).rejects.toBeInstanceOf(Conflict);
    const race = await Promise.allSettled([
      w.signUp('new@shop.example'),
      w.signUp('new@shop.example'),
      w.signUp('New@Shop.example'),
    ]);
    expect(race.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(race.filter((r) => r.status === 'rejected').map((r) => (r.reason as Conflict).code)).toEqual([
      'email_taken',
      'email_taken',
    ]);
  });
});

describe('sign-in and its lockout', () => {
  it('answers an unknown email exactly as a wrong password', async () => {
    const w = identityWorld();
    await w.signUp();
    const wrong = await login(
      w.deps,
      { email: 'owner@shop.example', password: 'not the passphrase' },
      meta,
    ).catch((e: unknown) => e);
    const unknown = await login(w.deps, { email: 'nobody@shop.example', password }, meta).catch(
      (e: unknown) => e,
    );
    expect(wrong).toBeInstanceOf(Unauthenticated);
    expect(unknown).toBeInstanceOf(Unauthenticated);
    expect([(wrong as Unauthenticated).code, (wrong as Error).message]).toEqual([
      (unknown as Unauthenticated).code,
      (unknown as Error).message,
    ]);
    expect(w.store.eventsOf('login_failed').map((e) => e.detail.reason ?? e.detail.failures)).toEqual([
      '1',
      'unknown_email',
    ]);
  });

  it('locks the login on the fifth failure for 15 minutes, even against the right password, then lets it in', async () => {
    const w = identityWorld();
    await w.signUp();
    const attempt = (pw: string) => login(w.deps, { email: 'owner@shop.example', password: pw }, meta);
    for (let i = 1; i < lockout.maxFailures; i++)
      await expect(attempt('wrong password!')).rejects.toBeInstanceOf(Unauthenticated);
    const fifth = attempt('wrong password!');
    await expect(fifth).rejects.toBeInstanceOf(RateLimited);
    await expect(fifth).rejects.toMatchObject({ code: 'account_locked', retryAfter: 900 });
    expect(w.store.eventsOf('account_locked')).toHaveLength(1);
    w.clock.advance(lockout.lockMs - 1_000);
    await expect(attempt(password)).rejects.toMatchObject({ code: 'account_locked', retryAfter: 1 });
    w.clock.advance(1_000);
    await expect(attempt(password)).resolves.toMatchObject({ tokenType: 'Bearer' });
    // A success clears the count: four more failures do not lock.
    for (let i = 1; i < lockout.maxFailures; i++)
      await expect(attempt('wrong password!')).rejects.toBeInstanceOf(Unauthenticated);
    await expect(attempt(password)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('counts failures per 15-minute window: old failures expire', async () => {
    const w = identityWorld();
    await w.signUp();
    const attempt = () => login(w.deps, { email: 'owner@shop.example', password: 'wrong password!' }, meta);
    for (let i = 0; i < 4; i++) await expect(attempt()).rejects.toBeInstanceOf(Unauthenticated);
    w.clock.advance(lockout.windowMs + 1);
    for (let i = 0; i < 4; i++) await expect(attempt()).rejects.toBeInstanceOf(Unauthenticated);
    expect(w.store.eventsOf('account_locked')).toEqual([]);
  });

  it('checks at most five passwords however many attempts arrive at once', async () => {
    const w = identityWorld();
    await w.signUp();
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        login(w.deps, { email: 'owner@shop.example', password: 'wrong password!' }, meta),
      ),
    );
    const checked = w.store.eventsOf('login_failed').length + w.store.eventsOf('account_locked').length;
    expect(checked).toBe(lockout.maxFailures);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof RateLimited).length).toBe(
      12 - 4,
    );
  });

  it('refuses a suspended account after the password check', async () => {
    const w = identityWorld();
    await w.signUp();
    w.store.setLogin('owner@shop.example', { status: 'suspended' });
    await expect(login(w.deps, { email: 'owner@shop.example', password }, meta)).rejects.toMatchObject({
      code: 'account_suspended',
      status: 403,
    });
  });
});

describe('refresh tokens', () => {
  it('rotates on every refresh: the new token works, the family’s session is kept', async () => {
    const w = identityWorld();
    const first = await w.signUp();
    const second = await refresh(w.deps, first.refreshToken, meta);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(w.tokens.claims(second.accessToken).sessionId).toBe(first.actor.sessionId);
    w.clock.advance(refreshGraceMs + 1);
    await expect(refresh(w.deps, second.refreshToken, meta)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('revokes the whole family when an old token is presented again (reuse), and tells the owner', async () => {
    const w = identityWorld();
    const first = await w.signUp();
    const second = await refresh(w.deps, first.refreshToken, meta);
    w.clock.advance(refreshGraceMs + 1);
    await expect(refresh(w.deps, first.refreshToken, meta)).rejects.toMatchObject({
      code: 'invalid_refresh_token',
    });
    await expect(refresh(w.deps, second.refreshToken, meta)).rejects.toMatchObject({
      code: 'invalid_refresh_token',
    });
    expect(w.store.eventsOf('refresh_token_reused')).toEqual([
      expect.objectContaining({
        merchantId: first.merchant.id,
        detail: { userId: first.user.id, sessionId: first.actor.sessionId },
      }),
    ]);
  });

  it('answers two tabs refreshing with the same token at once with the same next token, not a theft', async () => {
    const w = identityWorld();
    const first = await w.signUp();
    const [a, b] = await Promise.all([
      refresh(w.deps, first.refreshToken, meta),
      refresh(w.deps, first.refreshToken, meta),
    ]);
    expect(a.refreshToken).toBe(b.refreshToken);
    expect(w.store.eventsOf('refresh_token_reused')).toEqual([]);
    await expect(refresh(w.deps, a.refreshToken, meta)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('ends a family left unused for 7 days, and any family 30 days after sign-in however often used', async () => {
    const w = identityWorld();
    const idle = await w.signUp('idle@shop.example');
    w.clock.advance(refreshIdleSeconds * 1000);
    await expect(refresh(w.deps, idle.refreshToken, meta)).rejects.toBeInstanceOf(Unauthenticated);

    const busy = await w.signUp('busy@shop.example');
    let token = busy.refreshToken;
    for (let day = 6; day < 30; day += 6) {
      w.clock.advance(6 * 86_400_000);
      token = (await refresh(w.deps, token, meta)).refreshToken;
    }
    w.clock.advance(6 * 86_400_000); // day 30
    await expect(refresh(w.deps, token, meta)).rejects.toBeInstanceOf(Unauthenticated);
  });

  it('ends every session at its next refresh after sign-out everywhere, a suspension or a role change', async () => {
    for (const end of ['everywhere', 'suspend', 'role'] as const) {
      const w = identityWorld();
      const first = await w.signUp();
      const other = await login(w.deps, { email: 'owner@shop.example', password }, meta);
      if (end === 'everywhere') await logoutEverywhere(w.deps, first.actor, meta);
      if (end === 'suspend') w.store.setLogin('owner@shop.example', { status: 'suspended' });
      if (end === 'role') w.store.setLogin('owner@shop.example', { role: 'admin' });
      await expect(refresh(w.deps, other.refreshToken, meta)).rejects.toBeInstanceOf(Unauthenticated);
      await expect(refresh(w.deps, first.refreshToken, meta)).rejects.toBeInstanceOf(Unauthenticated);
    }
  });

  it('ends one session on sign-out, leaving the others', async () => {
    const w = identityWorld();
    const first = await w.signUp();
    const other = await login(w.deps, { email: 'owner@shop.example', password }, meta);
    await logout(w.deps, first.actor, meta);
    await expect(refresh(w.deps, first.refreshToken, meta)).rejects.toBeInstanceOf(Unauthenticated);
    await expect(refresh(w.deps, other.refreshToken, meta)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });
});

describe('API keys', () => {
  it('creates a server key by default, shows the secret once and keeps only its hash', async () => {
    const w = identityWorld();
    const { actor } = await w.signUp();
    const out = await createApiKey(w.deps, actor, { name: ' server ', mode: 'test' }, meta);
    expect(out).toMatchObject({ name: 'server', mode: 'test', scope: 'server', revokedAt: null });
    expect(out.key).toMatch(/^sk_test_/);
    expect(out).not.toHaveProperty('hash');
    expect(await w.store.findApiKeyByHash(sha256(out.key))).toMatchObject({ id: out.id, scope: 'server' });
    expect(w.store.eventsOf('api_key_created')).toEqual([
      expect.objectContaining({
        detail: expect.objectContaining({ keyId: out.id, scope: 'server', byUser: actor.userId }),
      }),
    ]);
  });

  it('authenticates a key to its merchant, mode and scope until it is revoked', async () => {
    const w = identityWorld();
    const { actor } = await w.signUp();
    const full = await createApiKey(w.deps, actor, { name: 'ops', mode: 'test', scope: 'full' }, meta);
    expect(await authenticateApiKey(w.deps, full.key)).toEqual({
      kind: 'apiKey',
      merchantId: actor.merchantId,
      mode: 'test',
      keyId: full.id,
      scope: 'full',
    });
    await revokeApiKey(w.deps, actor, full.id, meta);
    expect(await authenticateApiKey(w.deps, full.key)).toBeUndefined();
    expect(await authenticateApiKey(w.deps, 'sk_test_not-a-key-we-issued')).toBeUndefined();
    expect(await authenticateApiKey(w.deps, 'whatever')).toBeUndefined();
  });

  it('lets a server key call server routes only; a full key anything', () => {
    expect(scopeAllows('server', 'server')).toBe(true);
    expect(scopeAllows('server', 'full')).toBe(false);
    expect(scopeAllows('full', 'full')).toBe(true);
    expect(scopeAllows('full', 'server')).toBe(true);
  });

  it('gives a live key only to a verified address', async () => {
    const w = identityWorld();
    const { actor } = await w.signUp();
    await expect(createApiKey(w.deps, actor, { name: 'live', mode: 'live' }, meta)).rejects.toMatchObject({
      code: 'email_unverified',
      status: 403,
    });
    await verifyEmail(w.deps, { token: w.lastToken('owner@shop.example') }, meta);
    await expect(createApiKey(w.deps, actor, { name: 'live', mode: 'live' }, meta)).resolves.toMatchObject({
      mode: 'live',
    });
  });
});

describe('emailed links', () => {
  it('verifies the address once; the link is spent', async () => {
    const w = identityWorld();
    const { user } = await w.signUp();
    const token = w.lastToken('owner@shop.example');
    await expect(verifyEmail(w.deps, { token }, meta)).resolves.toMatchObject({ emailVerified: true });
    expect(await w.store.getUser(user.merchantId, user.id)).toMatchObject({ emailVerified: true });
    await expect(verifyEmail(w.deps, { token }, meta)).rejects.toMatchObject({ code: 'token_used' });
    await expect(verifyEmail(w.deps, { token: `pbv_${'A'.repeat(43)}` }, meta)).rejects.toMatchObject({
      code: 'invalid_token',
    });
  });

  it('answers a reset request the same whether or not the address has an account, mailing only a real one', async () => {
    const w = identityWorld();
    await w.signUp();
    expect(await requestPasswordReset(w.deps, { email: 'nobody@shop.example' }, '')).toEqual(
      passwordResetAccepted,
    );
    expect(await requestPasswordReset(w.deps, { email: 'Owner@shop.example' }, '')).toEqual(
      passwordResetAccepted,
    );
    expect(w.mail.map((m) => [m.kind, m.to])).toEqual([
      ['verify_email', 'owner@shop.example'],
      ['password_reset', 'owner@shop.example'],
    ]);
  });

  it('resets the password once: new password in, old out, every session ended, the lockout cleared', async () => {
    const w = identityWorld();
    const first = await w.signUp();
    for (let i = 0; i < 4; i++)
      await login(w.deps, { email: 'owner@shop.example', password: 'wrong password!' }, meta).catch(
        () => undefined,
      );
    await requestPasswordReset(w.deps, { email: 'owner@shop.example' }, '');
    const token = w.lastToken('owner@shop.example');
    await confirmPasswordReset(w.deps, { token, password: 'another long passphrase' }, meta);
    await expect(
      confirmPasswordReset(w.deps, { token, password: 'yet another passphrase' }, meta),
    ).rejects.toMatchObject({ code: 'token_used' });
    await expect(refresh(w.deps, first.refreshToken, meta)).rejects.toBeInstanceOf(Unauthenticated);
    await expect(login(w.deps, { email: 'owner@shop.example', password }, meta)).rejects.toBeInstanceOf(
      Unauthenticated,
    );
    await expect(
      login(w.deps, { email: 'owner@shop.example', password: 'another long passphrase' }, meta),
    ).resolves.toMatchObject({ tokenType: 'Bearer' });
    // The link proved the address.
    expect(await w.store.getUser(first.user.merchantId, first.user.id)).toMatchObject({
      emailVerified: true,
    });
    expect(w.store.eventsOf('password_reset')).toHaveLength(1);
  });

  it('refuses an expired reset link, a weak new password (leaving the link unspent), and a link older than a password change', async () => {
    const w = identityWorld();
    const { actor } = await w.signUp();
    await requestPasswordReset(w.deps, { email: 'owner@shop.example' }, '');
    const token = w.lastToken('owner@shop.example');
    await expect(confirmPasswordReset(w.deps, { token, password: 'short' }, meta)).rejects.toBeInstanceOf(
      ValidationFailed,
    );
    await changePassword(
      w.deps,
      actor,
      { currentPassword: password, newPassword: 'a changed passphrase' },
      meta,
    );
    await expect(
      confirmPasswordReset(w.deps, { token, password: 'a third passphrase' }, meta),
    ).rejects.toMatchObject({ code: 'token_expired' });

    await requestPasswordReset(w.deps, { email: 'owner@shop.example' }, '');
    const late = w.lastToken('owner@shop.example');
    w.clock.advance(3600_000);
    await expect(
      confirmPasswordReset(w.deps, { token: late, password: 'a third passphrase' }, meta),
    ).rejects.toMatchObject({ code: 'token_expired' });
  });

  it('does not take a reset link as a verification link, nor the other way round', async () => {
    const w = identityWorld();
    await w.signUp();
    const verification = w.lastToken('owner@shop.example');
    await requestPasswordReset(w.deps, { email: 'owner@shop.example' }, '');
    const reset = w.lastToken('owner@shop.example');
    await expect(verifyEmail(w.deps, { token: reset }, meta)).rejects.toMatchObject({
      code: 'invalid_token',
    });
    await expect(
      confirmPasswordReset(w.deps, { token: verification, password: 'a third passphrase' }, meta),
    ).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('asks for the current password to change it, under the same lockout', async () => {
    const w = identityWorld();
    const { actor } = await w.signUp();
    await expect(
      changePassword(
        w.deps,
        actor,
        { currentPassword: 'wrong password!', newPassword: 'a changed passphrase' },
        meta,
      ),
    ).rejects.toBeInstanceOf(Forbidden);
    expect(w.store.eventsOf('login_failed')).toHaveLength(1);
  });
});
