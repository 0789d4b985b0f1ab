import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateClientSources, generatedFiles } from '../../client/generate.ts';

/**
 * A build output's freshness, beside the other build checks: client/generate.ts runs
 * openapi-typescript over the whole OpenAPI document, seconds of work that the unit
 * project (pure code, run in seconds) should not carry. Moved from
 * test/unit/client-package.test.ts, unchanged.
 */
const root = join(import.meta.dirname, '..', '..');

describe('the @paybridge/client package', () => {
  it('its generated sources (OpenAPI types, route credentials, events, currencies) are current: npm run generate:client', async () => {
    const fresh = await generateClientSources();
    for (const [name, text] of Object.entries(fresh)) {
      const path = generatedFiles[name as keyof typeof generatedFiles];
      expect(
        readFileSync(path, 'utf8'),
        `${relative(root, path)} is stale: run npm run generate:client`,
      ).toBe(text);
    }
  }, 120_000);
});
