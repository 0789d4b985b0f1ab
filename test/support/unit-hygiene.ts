import { afterAll, beforeAll, vi } from 'vitest';

/**
 * The unit project runs its files one after another in shared worker threads
 * (vitest.config.ts: `isolate: false`), so a file that leaves the process changed
 * changes the next file's world. This fails the file that does, and puts the
 * environment back so the next one is not blamed: set variables with
 * `vi.stubEnv` and `vi.unstubAllEnvs()`, and end fake timers with `vi.useRealTimers()`.
 */
let before: Record<string, string | undefined> = {};

/** Set by a library when it is first imported, not by a test: Powertools' commons tags AWS SDK calls. */
const setOnImport = new Set(['AWS_SDK_UA_APP_ID']);

beforeAll(() => {
  before = { ...process.env };
});

afterAll(() => {
  const changed = [...new Set([...Object.keys(before), ...Object.keys(process.env)])].filter(
    (name) => process.env[name] !== before[name] && !setOnImport.has(name),
  );
  for (const name of changed) {
    if (before[name] === undefined) delete process.env[name];
    else process.env[name] = before[name];
  }
  const fakeTimers = vi.isFakeTimers();
  if (fakeTimers) vi.useRealTimers();
  if (changed.length > 0 || fakeTimers) {
    throw new Error(
      `this file left the shared worker changed: ${[...changed.map((n) => `env ${n}`), ...(fakeTimers ? ['fake timers'] : [])].join(', ')}`,
    );
  }
});
