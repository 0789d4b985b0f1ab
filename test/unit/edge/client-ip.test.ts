import { describe, expect, it } from 'vitest';
import { rateLimitKey } from '#edge/client-ip';

describe('rateLimitKey', () => {
  it('keys IPv4 by the address and IPv4-mapped IPv6 as the IPv4 address', () => {
    expect(rateLimitKey('203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('keys IPv6 by its /64, however the address is written', () => {
    const key = '2001:db8:1:2::/64';
    for (const ip of [
      '2001:db8:1:2::1',
      '2001:0db8:0001:0002:ffff:ffff:ffff:ffff',
      '2001:DB8:1:2:a:b:c:d',
      '[2001:db8:1:2::9]',
      '2001:db8:1:2::1%eth0',
    ]) {
      expect(rateLimitKey(ip)).toBe(key);
    }
    expect(rateLimitKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(rateLimitKey('::1')).toBe('0:0:0:0::/64');
    expect(rateLimitKey('64:ff9b::198.51.100.1')).toBe('64:ff9b:0:0::/64');
  });

  it('puts anything unparseable in one bucket', () => {
    expect(rateLimitKey('')).toBe('unknown');
    expect(rateLimitKey('not an address')).toBe('unknown');
  });
});
