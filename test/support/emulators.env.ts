import { inject } from 'vitest';

// Handlers read configuration once, at first use: set it before any test imports one.
Object.assign(process.env, inject('localEnv'), {
  // Every test request comes from 127.0.0.1: the per-IP sign-in limit has its own test.
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
  // …and so do the per-IP and per-key limits of the other routes (test/integration/rate-limits.test.ts).
  CALLER_RATE_LIMIT_PER_MINUTE: '100000',
  IP_RATE_LIMIT_PER_MINUTE: '100000',
  WEBHOOK_RATE_LIMIT_PER_MINUTE: '100000',
  // No test ever reaches a real provider: unless a test starts the sandboxes, provider
  // calls go to a closed loopback port and fail fast as "unreachable".
  PAYSTACK_BASE_URL: 'http://127.0.0.1:9/paystack',
  FLUTTERWAVE_BASE_URL: 'http://127.0.0.1:9/flutterwave',
  STRIPE_BASE_URL: 'http://127.0.0.1:9/stripe',
  CHAPA_BASE_URL: 'http://127.0.0.1:9/chapa',
});
