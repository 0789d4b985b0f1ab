import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  newEndpointSecret,
  signWebhook,
  SIGNATURE_TOLERANCE_SECONDS,
  verifyWebhookSignature,
} from '#core/webhook-signature';

/** Test vectors from the Standard Webhooks reference libraries (PROVIDERS.md). */
const jsVector = {
  source: 'the JavaScript library',
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const rustVector = {
  source: 'the Rust library',
  secret: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
  id: 'msg_27UH4WbU6Z5A5EzD8u03UvzRbpk',
  timestamp: 1649367553,
  body: '{"email":"test@example.com","username":"test_user"}',
  signature: 'v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=',
};
const vectors = [jsVector, rustVector];

const nowSeconds = () => Math.floor(Date.now() / 1000);

function headersFor(id: string, timestamp: number, signature: string) {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
}

describe('newEndpointSecret', () => {
  it('is whsec_ followed by the base64 of 24 to 32 random bytes', () => {
    const secret = newEndpointSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64').length;
    expect(bytes).toBeGreaterThanOrEqual(24);
    expect(bytes).toBeLessThanOrEqual(32);
  });

  it('never repeats', () => {
    const secrets = new Set(Array.from({ length: 100 }, newEndpointSecret));
    expect(secrets.size).toBe(100);
  });
});

describe('signWebhook', () => {
  it.each(vectors)('reproduces the test vector of $source', ({ secret, id, timestamp, body, signature }) => {
    expect(signWebhook({ id, timestamp, body, secrets: [secret] })).toBe(signature);
  });

  it('signs once per secret, space-separated, while a rotated secret is still valid', () => {
    const first = jsVector;
    const header = signWebhook({
      id: first.id,
      timestamp: first.timestamp,
      body: first.body,
      secrets: [newEndpointSecret(), first.secret],
    });
    const parts = header.split(' ');
    expect(parts).toHaveLength(2);
    expect(parts[1]).toBe(first.signature);
    expect(parts[0]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('signs the exact body bytes: re-serialised JSON gets a different signature', () => {
    const vector = jsVector;
    const reserialised = JSON.stringify(JSON.parse(vector.body));
    expect(reserialised).not.toBe(vector.body);
    expect(signWebhook({ ...vector, body: reserialised, secrets: [vector.secret] })).not.toBe(
      vector.signature,
    );
  });

  it('signs non-ASCII bodies as UTF-8, as the reference library does', () => {
    const secret = newEndpointSecret();
    const body = JSON.stringify({ name: 'Adébáyọ̀ — ₦5,000 💸' });
    const timestamp = nowSeconds();
    const ours = signWebhook({ id: 'evt_utf8', timestamp, body, secrets: [secret] });
    expect(ours).toBe(new Webhook(secret).sign('evt_utf8', new Date(timestamp * 1000), body));
  });

  it.each([
    ['no secret at all', { secrets: [] }],
    ['a secret without the whsec_ prefix', { secrets: ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] }],
    ['a secret that is not base64', { secrets: ['whsec_not base64!'] }],
    ['an empty secret', { secrets: ['whsec_'] }],
    ['an id with a space', { id: 'evt 1' }],
    ['an empty id', { id: '' }],
    ['a fractional timestamp', { timestamp: 1614265330.5 }],
    ['a negative timestamp', { timestamp: -1 }],
  ])('refuses to sign with %s', (_case, override) => {
    const valid = { id: 'evt_1', timestamp: 1614265330, body: '{}', secrets: [newEndpointSecret()] };
    expect(() => signWebhook({ ...valid, ...override })).toThrow(TypeError);
  });
});

describe('verifyWebhookSignature', () => {
  it.each(vectors)('accepts the test vector of $source', ({ secret, id, timestamp, body, signature }) => {
    const result = verifyWebhookSignature({
      body,
      headers: headersFor(id, timestamp, signature),
      secrets: secret,
      now: timestamp + 10,
    });
    expect(result).toEqual({ valid: true, id, timestamp });
  });

  it('accepts a rotation header with either the old or the new secret', () => {
    const oldSecret = newEndpointSecret();
    const newSecret = newEndpointSecret();
    const timestamp = nowSeconds();
    const body = '{"type":"payment.succeeded"}';
    const signature = signWebhook({ id: 'evt_rot', timestamp, body, secrets: [newSecret, oldSecret] });
    const headers = headersFor('evt_rot', timestamp, signature);
    expect(verifyWebhookSignature({ body, headers, secrets: oldSecret }).valid).toBe(true);
    expect(verifyWebhookSignature({ body, headers, secrets: newSecret }).valid).toBe(true);
    expect(verifyWebhookSignature({ body, headers, secrets: newEndpointSecret() })).toEqual({
      valid: false,
      reason: 'no_matching_signature',
    });
  });

  it('accepts with a list of secrets when any one matches', () => {
    const secret = newEndpointSecret();
    const timestamp = nowSeconds();
    const signature = signWebhook({ id: 'evt_list', timestamp, body: '{}', secrets: [secret] });
    const result = verifyWebhookSignature({
      body: '{}',
      headers: headersFor('evt_list', timestamp, signature),
      secrets: [newEndpointSecret(), secret],
    });
    expect(result.valid).toBe(true);
  });

  it('reads headers in any case, as a Node or API Gateway receiver gets them', () => {
    const v = jsVector;
    const result = verifyWebhookSignature({
      body: v.body,
      headers: {
        'Webhook-Id': v.id,
        'WEBHOOK-TIMESTAMP': String(v.timestamp),
        'Webhook-Signature': v.signature,
      },
      secrets: v.secret,
      now: v.timestamp,
    });
    expect(result.valid).toBe(true);
  });

  it('ignores signatures of other versions and accepts the v1 among them', () => {
    const v = jsVector;
    const headers = headersFor(v.id, v.timestamp, `v1a,bogus v2,${v.signature.slice(3)} ${v.signature}`);
    expect(verifyWebhookSignature({ body: v.body, headers, secrets: v.secret, now: v.timestamp }).valid).toBe(
      true,
    );
  });

  it.each([
    ['the body was altered', { body: '{"test": 2432232315}' }],
    ['the id was changed', { id: 'msg_other' }],
    ['the timestamp was changed', { timestamp: 1614265331 }],
    ['the signature is truncated', { signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE' }],
    ['the signature is labelled v2', { signature: 'v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }],
    ['the signature has no version', { signature: 'g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }],
  ])('rejects a delivery whose %s', (_case, override) => {
    const v = jsVector;
    const d = { ...v, ...override };
    const result = verifyWebhookSignature({
      body: d.body,
      headers: headersFor(d.id, d.timestamp, d.signature),
      secrets: v.secret,
      now: v.timestamp,
    });
    expect(result).toEqual({ valid: false, reason: 'no_matching_signature' });
  });

  it.each([
    ['older than the tolerance', -SIGNATURE_TOLERANCE_SECONDS - 1],
    ['newer than the tolerance', SIGNATURE_TOLERANCE_SECONDS + 1],
  ])('rejects a timestamp %s (replay window of 300 s)', (_case, skew) => {
    const v = jsVector;
    const result = verifyWebhookSignature({
      body: v.body,
      headers: headersFor(v.id, v.timestamp, v.signature),
      secrets: v.secret,
      now: v.timestamp - skew,
    });
    expect(result).toEqual({ valid: false, reason: 'timestamp_out_of_tolerance' });
  });

  it('accepts a timestamp exactly at the tolerance', () => {
    const v = jsVector;
    const headers = headersFor(v.id, v.timestamp, v.signature);
    for (const now of [v.timestamp - 300, v.timestamp + 300]) {
      expect(verifyWebhookSignature({ body: v.body, headers, secrets: v.secret, now }).valid).toBe(true);
    }
  });

  it.each([
    ['missing', {}, 'missing_headers'],
    ['not a number', { 'webhook-timestamp': 'soon' }, 'invalid_timestamp'],
    ['a decimal number', { 'webhook-timestamp': '1614265330.0' }, 'invalid_timestamp'],
  ])('rejects headers that are %s', (_case, override, reason) => {
    const v = jsVector;
    const headers: Record<string, string> = { ...headersFor(v.id, v.timestamp, v.signature), ...override };
    if (Object.keys(override).length === 0) delete headers['webhook-id'];
    expect(verifyWebhookSignature({ body: v.body, headers, secrets: v.secret, now: v.timestamp })).toEqual({
      valid: false,
      reason,
    });
  });
});

describe('interoperability with the standardwebhooks npm package (what merchants verify with)', () => {
  it('the package accepts what we sign', () => {
    const secret = newEndpointSecret();
    const id = 'evt_01J0000000000000000000000';
    const timestamp = nowSeconds();
    const body = JSON.stringify({ id, type: 'payment.succeeded', data: { object: { amount: 500000 } } });
    const headers = headersFor(id, timestamp, signWebhook({ id, timestamp, body, secrets: [secret] }));
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('the package accepts a rotation header with either secret', () => {
    const oldSecret = newEndpointSecret();
    const newSecret = newEndpointSecret();
    const timestamp = nowSeconds();
    const body = '{"type":"webhook_endpoint.test"}';
    const headers = headersFor(
      'evt_rot',
      timestamp,
      signWebhook({ id: 'evt_rot', timestamp, body, secrets: [newSecret, oldSecret] }),
    );
    expect(new Webhook(oldSecret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(newSecret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newEndpointSecret()).verify(body, headers)).toThrow(WebhookVerificationError);
  });

  it('the package rejects what we sign once the body is altered', () => {
    const secret = newEndpointSecret();
    const timestamp = nowSeconds();
    const headers = headersFor(
      'evt_x',
      timestamp,
      signWebhook({ id: 'evt_x', timestamp, body: '{"a":1}', secrets: [secret] }),
    );
    expect(() => new Webhook(secret).verify('{"a":2}', headers)).toThrow(WebhookVerificationError);
  });

  it('we accept what the package signs', () => {
    const secret = newEndpointSecret();
    const timestamp = nowSeconds();
    const body = '{"type":"refund.succeeded"}';
    const signature = new Webhook(secret).sign('evt_ref', new Date(timestamp * 1000), body);
    const result = verifyWebhookSignature({
      body,
      headers: headersFor('evt_ref', timestamp, signature),
      secrets: secret,
    });
    expect(result).toEqual({ valid: true, id: 'evt_ref', timestamp });
  });
});
