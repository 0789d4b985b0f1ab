import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useApi } from '#test/http';
import { bearer, createKey, json, registerMerchant } from '#test/merchants';

// Before any handler module loads: the logger takes its level from the
// environment, and Powertools resets to that level after every invocation.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

const api = useApi();
const lines: string[] = [];

beforeAll(() => {
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe('logs', () => {
  it('never contain a password, access or refresh token, or API key, on success or failure paths', async () => {
    const m = await registerMerchant(api.request);
    const key = await createKey(api.request, m, 'live');
    await api.request('/v1/me', bearer(key.key));
    await api.request('/v1/auth/login', json({ email: m.email, password: `${m.password}-wrong` }));
    const login = await api.request('/v1/auth/login', json({ email: m.email, password: m.password }));
    const tokens = (await login.json()) as { accessToken: string; refreshToken: string };
    await api.request('/v1/auth/refresh', json({ refreshToken: tokens.refreshToken }));
    await api.request('/v1/auth/refresh', json({ refreshToken: tokens.refreshToken })); // reuse
    await api.request('/v1/me', bearer(`${key.key.slice(0, -1)}X`)); // wrong key
    await api.request('/v1/me', bearer(`${tokens.accessToken}x`)); // broken token

    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(5); // the capture works: requests were logged
    expect(text).toContain(m.merchantId); // merchant id is logged once known
    for (const secret of [
      m.password,
      key.key,
      key.key.slice(8, 40),
      m.accessToken,
      m.refreshToken,
      tokens.accessToken,
      tokens.refreshToken,
      tokens.refreshToken.split('.')[1] as string,
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
