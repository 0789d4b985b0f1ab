import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fallback, matchRoute, routeFor, routeKey, routes, workers } from '#routes';

const functionsDir = join(import.meta.dirname, '..', '..', 'functions');

describe('route table', () => {
  it('points every row, the fallback and every worker at a handler module that exists', () => {
    for (const handler of [
      ...routes.map((r) => r.handler),
      fallback.handler,
      ...workers.map((w) => w.handler),
    ]) {
      expect(existsSync(join(functionsDir, handler)), handler).toBe(true);
    }
  });

  it('has no two rows with the same method and path', () => {
    const keys = routes.map(routeKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('finds a row by its API Gateway route key', () => {
    expect(routeFor('GET /health')?.handler).toBe('api/get-health.ts');
    expect(routeFor('GET /nope')).toBeUndefined();
  });
});

describe('matchRoute', () => {
  it('matches a literal path and method', () => {
    const match = matchRoute('GET', '/health');
    expect(match.kind).toBe('route');
  });

  it('answers "method" with the allowed methods for a known path and another method', () => {
    expect(matchRoute('DELETE', '/health')).toEqual({ kind: 'method', allow: ['GET'] });
  });

  it('answers "none" for an unknown path', () => {
    expect(matchRoute('GET', '/v1/unknown')).toEqual({ kind: 'none' });
    expect(matchRoute('GET', '/health/extra')).toEqual({ kind: 'none' });
  });
});
