import { describe, expect, it } from 'vitest';
import type { Mode } from '#core/actor';
import { providerNames } from '#core/provider-adapter';
import { providerRules } from '#core/providers';
import { adapters } from '#providers/index';
import { redactString } from '#runtime/logger';

/**
 * What each provider declares (core/providers.ts `providerRules`, and its adapter module) holds
 * together: one entry per name in the one list, and the logger masks every key the formats accept.
 */
const modes: readonly Mode[] = ['test', 'live'];

/** Keys of the provider's own shape: each prefix its hint names, then a realistic body. */
const keysFor = (hint: string) => hint.split(' or ').map((prefix) => `${prefix}A1b2C3d4E5f6G7h8J9k0L1m2N3p4`);

describe.each(providerNames)('%s', (name) => {
  it('has its adapter under its own name, with an https production API', () => {
    expect(adapters[name].name).toBe(name);
    expect(new URL(adapters[name].baseUrl).protocol).toBe('https:');
  });

  it('has a label', () => {
    expect(providerRules[name].label).toMatch(/^[A-Z]/);
  });

  it.each(modes)('has every %s-mode secret key masked in logs, and only the key', (mode) => {
    const rule = providerRules[name];
    for (const key of keysFor(rule.secretKey.hint[mode])) {
      expect(rule.secretKey[mode].test(key), key).toBe(true);
      expect(redactString(`provider said: bad key ${key}, try again`)).toBe(
        'provider said: bad key [REDACTED], try again',
      );
    }
  });
});

it('keeps ids and amounts readable in logs', () => {
  const line = 'payment pay_01JD6F5Q0Z3M8W2XK7T4N9HRBE succeeded: 500000 NGN through paystack';
  expect(redactString(line)).toBe(line);
});
