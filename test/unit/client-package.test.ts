import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as client from '../../client/src/index.ts';
import { credentials, eventTypes as clientEventTypes } from '../../client/src/tables.ts';
import * as clientSignature from '../../client/src/webhook-signature.ts';
import { currencyCodes, exponent } from '#core/money';
import * as apiSignature from '#core/webhook-signature';
import { eventTypes } from '#core/webhooks';
import { routeKey, routes } from '#routes';

/**
 * `@paybridge/client` (client/) is published on its own: it may not reach into functions/, so what
 * it needs at run time is copied into it by client/generate.ts. These tests keep the copies true.
 */
const root = join(import.meta.dirname, '..', '..');
const srcDir = join(root, 'client', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : /\.tsx?$/.test(entry.name)
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Every module specifier of a file: static imports and re-exports, `import()`, `require()`. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const pattern of [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\b(?:import|require)\s*\(\s*['"`]([^'"`]+)['"`]/g,
  ]) {
    for (const match of text.matchAll(pattern)) found.push(match[1] as string);
  }
  return found;
}

describe('the @paybridge/client package', () => {
  it('imports nothing outside client/src but Node built-ins (no functions/, no dependencies)', () => {
    const files = sources(srcDir);
    expect(files.map((file) => relative(srcDir, file)).sort()).toContain('index.ts');
    const outside: string[] = [];
    for (const file of files) {
      for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
        const where = `${relative(root, file)}: ${specifier}`;
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          if (relative(srcDir, target).startsWith('..')) outside.push(where);
        } else if (!specifier.startsWith('node:') || !builtinModules.includes(specifier.slice(5))) {
          outside.push(where);
        }
      }
    }
    expect(outside).toEqual([]);
  });

  it('the import check sees every form of import', () => {
    expect(
      specifiers(`import a from '../functions/a.ts';
        import type { B } from "#routes";
        export * from '../../functions/c.ts';
        import '../functions/d.ts';
        const e = await import('../functions/e.ts');
        import {
          f,
        } from '../functions/f.ts';`),
    ).toEqual([
      '../functions/a.ts',
      '#routes',
      '../../functions/c.ts',
      '../functions/f.ts',
      '../functions/d.ts',
      '../functions/e.ts',
    ]);
  });

  it('has a package.json a registry takes: ESM, typed exports, dist only, no runtime dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'client', 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(pkg).toMatchObject({
      name: '@paybridge/client',
      type: 'module',
      files: ['dist'],
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    });
    expect(pkg.private).toBeUndefined();
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.peerDependencies).toBeUndefined();
  });

  it('sends each route the credential the route table says', () => {
    expect(Object.keys(credentials).sort()).toEqual(routes.map(routeKey).sort());
    for (const route of routes)
      expect(credentials[routeKey(route) as keyof typeof credentials]).toBe(route.credential);
  });

  it('has the currency exponent table of functions/core/money.ts', () => {
    expect([...client.currencyCodes].sort()).toEqual([...currencyCodes].sort());
    for (const code of currencyCodes) {
      expect(client.isCurrency(code)).toBe(true);
      expect(client.currencyExponent(code), code).toBe(exponent(code));
    }
    expect(client.isCurrency('ngn')).toBe(false);
    expect(() => client.currencyExponent('XYZ')).toThrow(RangeError);
  });

  it('has the event types of functions/core/webhooks.ts', () => {
    expect(client.eventTypes).toEqual(eventTypes);
    expect(clientEventTypes).toEqual(eventTypes);
  });

  it('holds the one Standard Webhooks implementation, which the API signs with', () => {
    expect(apiSignature.signWebhook).toBe(clientSignature.signWebhook);
    expect(apiSignature.verifyWebhookSignature).toBe(clientSignature.verifyWebhookSignature);
    // Only functions/core/webhook-signature.ts mints secrets; the HMAC lives in the client alone.
    const apiModule = readFileSync(join(root, 'functions', 'core', 'webhook-signature.ts'), 'utf8');
    expect(apiModule).not.toMatch(/createHmac|timingSafeEqual/);
    const secret = apiSignature.newEndpointSecret();
    const body = JSON.stringify({ id: 'evt_1', type: 'payment.succeeded', data: { object: {} } });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': apiSignature.signWebhook({ id: 'msg_1', timestamp, body, secrets: [secret] }),
    };
    expect(client.verifyWebhook(secret, body, headers).type).toBe('payment.succeeded');
  });
});
