import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSecretFromExtension } from '#runtime/secrets-extension';

let seen: { url?: string | undefined; token?: string | undefined } = {};
const server = createServer((req, res) => {
  seen = { url: req.url, token: req.headers['x-aws-parameters-secrets-token'] as string | undefined };
  if (!req.url?.includes('known')) {
    res.writeHead(400).end('{"message":"not found"}');
    return;
  }
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ SecretString: '{"keys":[]}' }));
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Stubbed, not assigned: the unit project shares its workers between files (isolate: false).
  vi.stubEnv('PARAMETERS_SECRETS_EXTENSION_HTTP_PORT', String((server.address() as AddressInfo).port));
  vi.stubEnv('AWS_SESSION_TOKEN', 'session-token');
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('JWT keys through the Parameters and Secrets extension', () => {
  it('asks for the secret by id with the session token and returns its string', async () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:1:secret:known-AbC';
    expect(await readSecretFromExtension(arn)).toBe('{"keys":[]}');
    expect(seen.url).toBe(`/secretsmanager/get?secretId=${encodeURIComponent(arn)}`);
    expect(seen.token).toBe('session-token');
  });

  it('returns nothing when the extension refuses', async () => {
    expect(await readSecretFromExtension('missing')).toBeUndefined();
  });
});
