import { sampleFiles } from '#test/samples';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allFunctions } from '#local/functions';
import { loadHandler } from '#local/lambda';
import { baseUrlVariable } from '#local/stack';
import { providerNames } from '#core/provider-adapter';
import { scheduledWorkers, workers } from '#routes';
import { type Sandboxes, startSandboxes } from '#local/sandboxes/server';
import { fillPlaceholders, placeholdersIn, type SampleCredentials, seedSampleMerchant } from '#local/seed';

const eventsDir = join(import.meta.dirname, '..', '..', 'events');
const files = sampleFiles(eventsDir);
const functions = allFunctions();

/** What a function answers: an HTTP result, a queue batch response, or a scheduled run's report. */
function kindOf(module: string): 'http' | 'queue' | 'scheduled' {
  if (workers.some((w) => w.handler === module)) return 'queue';
  if (scheduledWorkers.some((w) => w.handler === module)) return 'scheduled';
  return 'http';
}

describe('events/ samples', () => {
  let credentials: SampleCredentials;
  let sandboxes: Sandboxes | undefined;
  beforeAll(async () => {
    // As in `npm run invoke`: the providers are the local sandboxes, so the payment samples
    // reach a provider (configuration is read once, at the seed's first call).
    sandboxes = await startSandboxes(0);
    for (const name of providerNames) process.env[baseUrlVariable(name)] = sandboxes.baseUrls[name];
    credentials = await seedSampleMerchant();
  });
  afterAll(async () => {
    await sandboxes?.stop();
  });

  it.each([...functions.keys()])('has at least one sample event for %s', (name) => {
    expect(files.some((f) => f === `${name}.json` || f.startsWith(`${name}.`))).toBe(true);
  });

  it('carries no real-looking credential: authenticated samples use the placeholders', () => {
    for (const file of files) {
      const text = readFileSync(join(eventsDir, file), 'utf8');
      expect(text, file).not.toMatch(/Bearer (sk_(test|live)_|eyJ)/);
    }
  });

  it.each(files)(
    '%s runs through its handler without a 5xx, and with the seeded credentials without a 401/403',
    async (file) => {
      const name = file.replace(/\.json$/, '').split('.')[0] as string;
      const module = functions.get(name);
      expect(module, `no function named ${name}`).toBeDefined();
      const handler = await loadHandler(module as string);
      const text = readFileSync(join(eventsDir, file), 'utf8');
      const event = fillPlaceholders(JSON.parse(text) as unknown, credentials);
      expect(placeholdersIn(JSON.stringify(event))).toEqual([]);
      const result: unknown = await handler(event, { awsRequestId: 'sample' } as Context);
      switch (kindOf(module as string)) {
        case 'http': {
          expect(result).toMatchObject({ statusCode: expect.any(Number) });
          const { statusCode, body } = result as { statusCode: number; body?: string };
          expect(statusCode, `${file} answered ${statusCode}: ${body}`).toBeLessThan(500);
          // A sample with a credential placeholder shows its real answer, not an authentication failure.
          if (placeholdersIn(text).length > 0) {
            expect([401, 403], `${file} answered ${statusCode}: ${body}`).not.toContain(statusCode);
          }
          break;
        }
        // A queue worker answers the partial batch response, every record handled: the sample is a
        // message it settles or drops for good (an unknown token, a bad signature), never one retried.
        case 'queue':
          expect(result, file).toEqual({ batchItemFailures: [] });
          break;
        // The sweeper reports its run. It sweeps the whole table, which the integration suites share: other
        // files' open payments point at providers on a closed port (emulators.env.ts), so their checks may
        // fail in this run by design; a failed check is one of the due payments, never more.
        case 'scheduled': {
          expect(result, file).toMatchObject({ due: expect.any(Number), errors: expect.any(Number) });
          const { due, errors } = result as { due: number; errors: number };
          expect(errors, file).toBeLessThanOrEqual(due);
          break;
        }
      }
    },
  );
});
