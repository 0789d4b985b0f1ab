import { randomBytes } from 'node:crypto';
import type { ProviderName } from '#core/provider-adapter';

/** Sandbox-acceptable test credentials for a provider, unique per call (the sandboxes scope by key). */
export function testCredentials(provider: ProviderName): { secretKey: string; webhookSecret?: string } {
  const r = randomBytes(12).toString('hex');
  switch (provider) {
    case 'paystack':
      return { secretKey: `sk_test_${r}` };
    case 'flutterwave':
      return { secretKey: `FLWSECK_TEST-${r}-X`, webhookSecret: `flw-hash-${r}` };
    case 'stripe':
      return { secretKey: `sk_test_${r}`, webhookSecret: `whsec_${randomBytes(24).toString('base64')}` };
    case 'chapa':
      return { secretKey: `CHASECK_TEST-${r}`, webhookSecret: `chapa-hash-${r}` };
  }
}
