import { inject } from 'vitest';

// Handlers read configuration once, at first use: set it before any test imports one.
Object.assign(process.env, inject('localEnv'));
