import { describe, expect, it } from 'vitest';
import { redactString } from '#runtime/logger';

describe('redactString', () => {
  it.each([
    ['an API key', 'key sk_live_abcdefghijklmnop123 used'],
    ['a test API key', 'sk_test_0123456789abcdef'],
    ['a webhook secret', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    ['a Flutterwave key', 'FLWSECK_TEST-abcdef0123456789-X'],
    ['a Chapa key', 'CHASECK_TEST-abcdefghijklmnop'],
    ['a JWT', 'Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c3JfMSJ9.c2lnbmF0dXJl'],
  ])('masks %s', (_name, input) => {
    const out = redactString(input);
    expect(out).toContain('[REDACTED]');
    expect(out).not.toMatch(/sk_(live|test)_[a-z0-9]{8}|whsec_M|FLWSECK_TEST-a|CHASECK_TEST-a|eyJhbGci/);
  });

  it('leaves ordinary text alone', () => {
    expect(redactString('payment pay_01J succeeded for 5000 NGN')).toBe(
      'payment pay_01J succeeded for 5000 NGN',
    );
  });
});
