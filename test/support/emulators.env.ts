import { inject } from 'vitest';

// Handlers read configuration once, at first use: set it before any test imports one.
Object.assign(process.env, inject('localEnv'), {
  POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
});
