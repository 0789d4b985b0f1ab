import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { allFunctions } from '#local/functions';
import { loadHandler } from '#local/lambda';

const eventsDir = join(import.meta.dirname, '..', '..', 'events');
const files = readdirSync(eventsDir).filter((f) => f.endsWith('.json'));
const functions = allFunctions();

describe('events/ samples', () => {
  it.each([...functions.keys()])('has at least one sample event for %s', (name) => {
    expect(files.some((f) => f === `${name}.json` || f.startsWith(`${name}.`))).toBe(true);
  });

  it.each(files)('%s runs through its handler without a 5xx', async (file) => {
    const name = file.replace(/\.json$/, '').split('.')[0] as string;
    const module = functions.get(name);
    expect(module, `no function named ${name}`).toBeDefined();
    const handler = await loadHandler(module as string);
    const event = JSON.parse(readFileSync(join(eventsDir, file), 'utf8'));
    const result = await handler(event, { awsRequestId: 'sample' } as Context);
    if (result && typeof result === 'object' && 'statusCode' in result) {
      expect(result.statusCode).toBeLessThan(500);
    }
  });
});
