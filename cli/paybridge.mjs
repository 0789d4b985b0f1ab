#!/usr/bin/env node
// `npx paybridge …`: runs the TypeScript CLI through tsx, as the project's other scripts do.
import { register } from 'tsx/esm/api';

register();
await import('./paybridge.ts');
