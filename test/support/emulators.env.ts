import { inject } from 'vitest';

// Handlers read configuration once, at first use: set it before any test imports one.
Object.assign(process.env, inject('localEnv'), {
  // Every test request comes from 127.0.0.1: the per-IP sign-in limit has its own test.
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
});
