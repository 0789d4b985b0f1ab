import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verificationEmail } from '#core/mail';
import { sesSender } from '#runtime/mail';

/** A stand-in for the SES v2 endpoint on loopback: records each request, answers like SES. */
const received: { method: string; url: string; body: Record<string, unknown>; authorization: string }[] = [];
let status = 200;
const server = createServer((req: IncomingMessage, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
      authorization: String(req.headers.authorization ?? ''),
    });
    if (status === 200) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"MessageId":"0100-test"}');
    } else {
      res
        .writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': 'MessageRejected' })
        .end('{"message":"Email address is not verified."}');
    }
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Stubbed, not assigned: the unit project shares its workers between files (isolate: false).
  vi.stubEnv('AWS_ENDPOINT_URL_SESV2', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret-example');
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the Amazon SES sender', () => {
  it('sends one plain-text SendEmail from the configured sender to the user, signed, with the kind as a tag', async () => {
    const message = verificationEmail(
      'ada@example.com',
      'https://app.example/verify-email#token=pbv_x',
      86_400,
    );
    await sesSender('no-reply@paybridge.example').send(message);
    expect(received).toHaveLength(1);
    const [call] = received;
    expect(call?.method).toBe('POST');
    expect(call?.url).toBe('/v2/email/outbound-emails');
    expect(call?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/ses\//);
    expect(call?.body).toEqual({
      FromEmailAddress: 'no-reply@paybridge.example',
      Destination: { ToAddresses: ['ada@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: { Text: { Data: message.text, Charset: 'UTF-8' } },
        },
      },
      EmailTags: [{ Name: 'kind', Value: 'verify_email' }],
    });
  });

  it('rejects when SES refuses the message, so the caller can say it was not sent', async () => {
    status = 400;
    const message = verificationEmail(
      'bob@example.com',
      'https://app.example/verify-email#token=pbv_y',
      86_400,
    );
    await expect(sesSender('no-reply@paybridge.example').send(message)).rejects.toThrow(/not verified/);
  });
});
