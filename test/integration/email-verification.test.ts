import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { sha256 } from '#core/credentials';
import { dynamoClient } from '#runtime/clients';
import { outboxMessages } from '#runtime/mail';
import { keys } from '#store/keys';
import { setRole } from '#store/identity';
import { tableName } from '#store/table-name';
import { useApi } from '#test/http';
import {
  bearer,
  createKey,
  json,
  outboxToken,
  registerMerchant,
  type TestMerchant,
  verifyEmail,
} from '#test/merchants';

/**
 * SECURITY.md finding 8: sign-up sends a single-use, expiring verification link
 * (through the local outbox here); until it is opened the account works in test
 * mode only, and an operator can never grant admin to its address.
 */
const api = useApi();
type ErrorBody = {
  error: { type: string; code: string; message: string; param?: string; requestId: string };
};
type Me = { user: { emailVerified: boolean; emailVerifiedAt: string | null } };

const unverified = () => registerMerchant(api.request, 'Unverified Shop', { verified: false });
const verify = (token: string) => api.request('/v1/auth/verify-email', json({ token }));
const me = async (m: TestMerchant, mode: 'test' | 'live' = 'test') => {
  const res = await api.request('/v1/me', bearer(m.accessToken, { 'paybridge-mode': mode }));
  expect(res.status).toBe(200);
  return ((await res.json()) as Me).user;
};
const liveKey = (m: TestMerchant) =>
  api.request(
    '/v1/api-keys',
    json({ name: 'live key', mode: 'live' }, { authorization: `Bearer ${m.accessToken}` }),
  );
const resend = (m: TestMerchant) =>
  api.request('/v1/auth/verify-email/resend', { method: 'POST', ...bearer(m.accessToken) });
const tokenItem = async (token: string) =>
  (
    await dynamoClient().send(
      new GetCommand({ TableName: tableName(), Key: keys.emailToken(sha256(token)), ConsistentRead: true }),
    )
  ).Item;
const expectError = async (res: Response, status: number, code: string) => {
  expect(res.status).toBe(status);
  const body = (await res.json()) as ErrorBody;
  expect(body.error).toMatchObject({ code, requestId: res.headers.get('x-request-id') });
  expect(body.error.message.length).toBeGreaterThan(10);
  return body.error;
};

describe('finding 8: email verification', () => {
  it('emails a single-use link at sign-up, and keeps only its hash in the table', async () => {
    const m = await unverified();
    const messages = outboxMessages({ to: m.email });
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message).toMatchObject({ kind: 'verify_email', to: m.email });
    expect(message?.link).toMatch(/\/verify-email#token=pbv_[A-Za-z0-9_-]{43}$/);
    expect(message?.text).toContain(message?.link);
    const token = await outboxToken(m.email);
    const item = await tokenItem(token);
    expect(item).toMatchObject({ purpose: 'verify_email', email: m.email, usedAt: null });
    expect(JSON.stringify(item)).not.toContain(token);
    // Expires in 24 hours; the record stays a week longer (to say "expired"), then DynamoDB's TTL drops it.
    const now = Date.now() / 1000;
    expect(Number(item?.expiresAt)).toBeGreaterThan(now + 23.9 * 3600);
    expect(Number(item?.expiresAt)).toBeLessThan(now + 24.1 * 3600);
    expect(Number(item?.ttl)).toBe(Number(item?.expiresAt) + 7 * 24 * 3600);
    expect((await me(m)).emailVerified).toBe(false);
  });

  it('keeps an unverified account in test mode: no live key, no live dashboard call (403 email_unverified)', async () => {
    const m = await unverified();
    const refused = await expectError(await liveKey(m), 403, 'email_unverified');
    expect(refused.type).toBe('permission');
    expect(refused.message).toMatch(/verify/i);
    expect(refused.message).toContain('/v1/auth/verify-email/resend');
    const live = { authorization: `Bearer ${m.accessToken}`, 'paybridge-mode': 'live' };
    await expectError(await api.request('/v1/payments', { headers: live }), 403, 'email_unverified');
    await expectError(
      await api.request('/v1/webhook-endpoints', {
        method: 'POST',
        headers: { ...live, 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'https://93.184.216.34/hook', events: ['*'] }),
      }),
      403,
      'email_unverified',
    );
    // Naming live mode in the query or the body is live mode too.
    await expectError(
      await api.request('/v1/providers?mode=live', bearer(m.accessToken)),
      403,
      'email_unverified',
    );
    await expectError(
      await api.request('/v1/providers/paystack', {
        method: 'PUT',
        headers: { authorization: `Bearer ${m.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ mode: 'live', secretKey: 'sk_live_aaaa0000aaaa0000' }),
      }),
      403,
      'email_unverified',
    );
    // Test mode works meanwhile, and /v1/me answers in either mode.
    expect((await createKey(api.request, m, 'test')).key).toMatch(/^sk_test_/);
    expect((await api.request('/v1/payments', bearer(m.accessToken))).status).toBe(200);
    expect(await me(m, 'live')).toMatchObject({ emailVerified: false, emailVerifiedAt: null });
  });

  it('verifies with the link: live keys and live mode open up, and the owner sees a security event', async () => {
    const m = await unverified();
    expect((await liveKey(m)).status).toBe(403);
    const res = await verify(await outboxToken(m.email));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { emailVerified: boolean; emailVerifiedAt: string };
    expect(body.emailVerified).toBe(true);
    expect(await me(m)).toEqual(
      expect.objectContaining({ emailVerified: true, emailVerifiedAt: body.emailVerifiedAt }),
    );
    const key = await liveKey(m);
    expect(key.status).toBe(201);
    expect(((await key.json()) as { key: string }).key).toMatch(/^sk_live_/);
    const live = await api.request('/v1/payments', bearer(m.accessToken, { 'paybridge-mode': 'live' }));
    expect(live.status).toBe(200);
    const events = await api.request('/v1/security-events', bearer(m.accessToken));
    const kinds = ((await events.json()) as { data: { kind: string }[] }).data.map((e) => e.kind);
    expect(kinds).toContain('email_verified');
  });

  it('refuses a used, a forged, an expired and a reset link with 400 and a human message', async () => {
    const m = await unverified();
    const token = await outboxToken(m.email);
    expect((await verify(token)).status).toBe(200);
    const used = await expectError(await verify(token), 400, 'token_used');
    expect(used).toMatchObject({ type: 'invalid_request', param: 'token' });
    expect(used.message).toMatch(/already been used/);

    // Forged: the right shape, or a real token with one character changed.
    await expectError(await verify(`pbv_${'A'.repeat(43)}`), 400, 'invalid_token');
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    await expectError(await verify(flipped), 400, 'invalid_token');
    await expectError(await verify('not a token'), 400, 'invalid_token');

    // Expired: a fresh link whose 24 hours are over.
    const late = await unverified();
    const lateToken = await outboxToken(late.email);
    await dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.emailToken(sha256(lateToken)),
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
      }),
    );
    const expired = await expectError(await verify(lateToken), 400, 'token_expired');
    expect(expired.message).toMatch(/expired/);
    expect((await me(late)).emailVerified).toBe(false);

    // A password-reset link is not a verification link.
    await api.request('/v1/auth/password-reset', json({ email: late.email }));
    const reset = await outboxToken(late.email, 'password_reset');
    await expectError(await verify(reset), 400, 'invalid_token');
    await expectError(await verify(`pbv_${reset.slice(4)}`), 400, 'invalid_token');
    expect((await me(late)).emailVerified).toBe(false);
  });

  it('resends a link to the signed-in user; an already verified address gets 409, and verifying twice is harmless', async () => {
    const m = await unverified();
    const first = await outboxToken(m.email);
    const res = await resend(m);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ sent: true, expiresAt: expect.any(String) });
    expect(outboxMessages({ to: m.email, kind: 'verify_email' })).toHaveLength(2);
    const second = await outboxToken(m.email);
    expect(second).not.toBe(first);
    const verified = (await (await verify(second)).json()) as { emailVerifiedAt: string };
    // The older, unused link of the same address: idempotent, nothing changes.
    const again = await verify(first);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { emailVerifiedAt: string }).emailVerifiedAt).toBe(
      verified.emailVerifiedAt,
    );
    await expectError(await resend(m), 409, 'already_verified');
    // Another merchant's session resends to its own address only.
    const other = await unverified();
    expect((await resend(other)).status).toBe(202);
    expect(outboxMessages({ to: m.email, kind: 'verify_email' })).toHaveLength(2);
  });

  it('limits resends to 5 an hour per user (429 with Retry-After)', async () => {
    const m = await unverified();
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      last = await resend(m);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await last?.json()) as ErrorBody).error.code).toBe('too_many_emails');
    // 1 at sign-up + 5 resends.
    expect(outboxMessages({ to: m.email })).toHaveLength(6);
  });

  it('never lets grant-admin make an unverified address an admin', async () => {
    const m = await unverified();
    const grant = () =>
      promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'local/admin.ts', 'grant-admin', m.email.toUpperCase()],
        { env: process.env },
      ).then(
        (out) => ({ code: 0, stdout: out.stdout, stderr: out.stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    const refused = await grant();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not verified/);
    // The store refuses it too, in the transaction that would change the role.
    expect(await setRole(m.email, 'admin', { requireProvenEmail: true })).toBe(false);
    const login = await dynamoClient().send(
      new GetCommand({ TableName: tableName(), Key: keys.login(m.email), ConsistentRead: true }),
    );
    expect(login.Item?.role).toBe('owner');

    await verifyEmail(api.request, m);
    const granted = await grant();
    expect(granted).toMatchObject({ code: 0 });
    expect(granted.stdout).toContain('admin');
  }, 60_000);

  it('grandfathers accounts from before verification for live mode, but admin still needs a verified address', async () => {
    const m = await registerMerchant(api.request, 'Old Shop', { verified: false });
    // An account as it was stored before this change: no verification attributes at all.
    for (const key of [keys.login(m.email), keys.user(m.merchantId, m.userId)]) {
      await dynamoClient().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: key,
          UpdateExpression: 'REMOVE emailVerifiedAt, emailVerified',
        }),
      );
    }
    expect(await me(m)).toMatchObject({ emailVerified: true, emailVerifiedAt: null });
    expect((await liveKey(m)).status).toBe(201);
    expect(await setRole(m.email, 'admin', { requireProvenEmail: true })).toBe(false);
    // It may ask for a link to prove the address.
    expect((await resend(m)).status).toBe(202);
    expect((await verify(await outboxToken(m.email))).status).toBe(200);
    expect((await me(m)).emailVerifiedAt).toEqual(expect.any(String));
    expect(await setRole(m.email, 'admin', { requireProvenEmail: true })).toBe(true);
  });

  it('shows the local outbox at GET /_local/outbox on the local API server', async () => {
    const m = await unverified();
    const res = await api.request(`/_local/outbox?to=${encodeURIComponent(m.email)}`);
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: { kind: string; to: string; link: string }[] };
    expect(data).toEqual([expect.objectContaining({ kind: 'verify_email', to: m.email })]);
  });
});
