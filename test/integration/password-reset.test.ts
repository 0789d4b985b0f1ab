import { randomUUID } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { sha256 } from '#core/credentials';
import { dynamoClient } from '#runtime/clients';
import { outboxMessages } from '#runtime/mail';
import { keys } from '#store/keys';
import { tableName } from '#store/table-name';
import { useApi } from '#test/http';
import { bearer, json, outboxToken, registerMerchant, type TestMerchant } from '#test/merchants';

/**
 * Password reset (SECURITY.md, low findings): an emailed single-use, expiring
 * link through the outbox; the request never says whether an account exists.
 */
const api = useApi();
type ErrorBody = { error: { type: string; code: string; message: string; param?: string } };

const ask = (email: string) => api.request('/v1/auth/password-reset', json({ email }));
const confirm = (token: string, password: string) =>
  api.request('/v1/auth/password-reset/confirm', json({ token, password }));
const signIn = (m: Pick<TestMerchant, 'email'>, password: string) =>
  api.request('/v1/auth/login', json({ email: m.email, password }));
const resetLink = async (m: TestMerchant) => {
  expect((await ask(m.email)).status).toBe(202);
  return outboxToken(m.email, 'password_reset');
};
const newPassword = () => `a brand new passphrase ${randomUUID().slice(0, 8)}`;
const expectError = async (res: Response, status: number, code: string) => {
  expect(res.status).toBe(status);
  const body = (await res.json()) as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
  return body.error;
};

describe('password reset', () => {
  it('answers a known and an unknown address the same 202, and emails only the known one', async () => {
    const m = await registerMerchant(api.request);
    const stranger = `nobody-${randomUUID()}@example.com`;
    const [known, unknown] = [await ask(m.email), await ask(stranger)];
    expect([known.status, unknown.status]).toEqual([202, 202]);
    expect(await known.text()).toBe(await unknown.text());
    const headers = (res: Response) =>
      [...res.headers.keys()].filter((h) => !['x-request-id', 'date'].includes(h)).sort();
    expect(headers(known)).toEqual(headers(unknown));
    expect(known.headers.get('content-length')).toBe(unknown.headers.get('content-length'));
    expect(outboxMessages({ to: m.email, kind: 'password_reset' })).toHaveLength(1);
    expect(outboxMessages({ to: stranger })).toHaveLength(0);
    // Capitals and spaces name the same login.
    expect((await ask(` ${m.email.toUpperCase()} `)).status).toBe(202);
    expect(outboxMessages({ to: m.email, kind: 'password_reset' })).toHaveLength(2);
  });

  it('sets the new password with the link, ends every session, and records a security event', async () => {
    const m = await registerMerchant(api.request);
    const token = await resetLink(m);
    const message = outboxMessages({ to: m.email, kind: 'password_reset' }).at(-1);
    expect(message?.link).toMatch(/\/reset-password#token=pbr_[A-Za-z0-9_-]{43}$/);
    // Only the token's hash is stored, expiring in an hour.
    const item = (
      await dynamoClient().send(
        new GetCommand({ TableName: tableName(), Key: keys.emailToken(sha256(token)), ConsistentRead: true }),
      )
    ).Item;
    expect(JSON.stringify(item)).not.toContain(token);
    expect(Number(item?.expiresAt)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 3600);

    const password = newPassword();
    expect((await confirm(token, password)).status).toBe(204);
    // The old session is over; the old password no longer works, the new one does.
    expect((await api.request('/v1/auth/refresh', json({ refreshToken: m.refreshToken }))).status).toBe(401);
    expect((await signIn(m, m.password)).status).toBe(401);
    const session = await signIn(m, password);
    expect(session.status).toBe(200);
    const { accessToken } = (await session.json()) as { accessToken: string };
    const events = await api.request('/v1/security-events', bearer(accessToken));
    const list = ((await events.json()) as { data: { kind: string; detail: Record<string, string> }[] }).data;
    expect(list.find((e) => e.kind === 'password_reset')).toMatchObject({
      detail: { userId: m.userId, by: 'email_link' },
    });
  });

  it('uses a link once', async () => {
    const m = await registerMerchant(api.request);
    const token = await resetLink(m);
    const password = newPassword();
    expect((await confirm(token, password)).status).toBe(204);
    const used = await expectError(await confirm(token, newPassword()), 400, 'token_used');
    expect(used).toMatchObject({ type: 'invalid_request', param: 'token' });
    expect((await signIn(m, password)).status).toBe(200);
  });

  it('refuses an expired link, a forged one, a verification link, and one sent before a later password change', async () => {
    const m = await registerMerchant(api.request);
    const token = await resetLink(m);
    await dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.emailToken(sha256(token)),
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
      }),
    );
    const expired = await expectError(await confirm(token, newPassword()), 400, 'token_expired');
    expect(expired.message).toMatch(/expired/);
    await expectError(await confirm(`pbr_${'A'.repeat(43)}`, newPassword()), 400, 'invalid_token');
    await expectError(await confirm('', newPassword()), 400, 'invalid_field');

    const fresh = await registerMerchant(api.request, 'Fresh', { verified: false });
    await expectError(await confirm(await outboxToken(fresh.email), newPassword()), 400, 'invalid_token');

    // A link, then the password changed another way: the link is void.
    const stale = await resetLink(m);
    const changed = newPassword();
    const change = await api.request('/v1/auth/password', {
      method: 'POST',
      headers: { authorization: `Bearer ${m.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: m.password, newPassword: changed }),
    });
    expect(change.status).toBe(204);
    await expectError(await confirm(stale, newPassword()), 400, 'token_expired');
    expect((await signIn(m, changed)).status).toBe(200);
  });

  it('refuses a weak password with the sign-up rules, and leaves the link usable', async () => {
    const m = await registerMerchant(api.request);
    const token = await resetLink(m);
    const weak = await expectError(await confirm(token, 'short'), 422, 'weak_password');
    expect(weak.param).toBe('password');
    await expectError(await confirm(token, 'password1234'), 422, 'weak_password');
    await expectError(await confirm(token, 'a'.repeat(16)), 422, 'weak_password');
    const password = newPassword();
    expect((await confirm(token, password)).status).toBe(204);
    expect((await signIn(m, password)).status).toBe(200);
  });

  it('sends at most 3 links an hour to one address, and answers 202 all the same', async () => {
    const m = await registerMerchant(api.request);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await ask(m.email)).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202]);
    expect(outboxMessages({ to: m.email, kind: 'password_reset' })).toHaveLength(3);
  });

  it('lifts a sign-in lockout and proves the address of an unverified account', async () => {
    const m = await registerMerchant(api.request, 'Locked Shop', { verified: false });
    for (let i = 0; i < 5; i++) await signIn(m, `wrong password number ${i}`);
    expect((await signIn(m, m.password)).status).toBe(429);
    const password = newPassword();
    expect((await confirm(await resetLink(m), password)).status).toBe(204);
    const session = await signIn(m, password);
    expect(session.status).toBe(200);
    const { accessToken } = (await session.json()) as { accessToken: string };
    const me = await api.request('/v1/me', bearer(accessToken));
    expect(((await me.json()) as { user: { emailVerified: boolean } }).user.emailVerified).toBe(true);
  });
});
