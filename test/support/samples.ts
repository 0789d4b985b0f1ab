import { readdirSync } from 'node:fs';

/**
 * Samples that end the seeded user's sessions or change its password: run last, so the samples
 * before them (login, refresh) still hold valid credentials.
 */
const sessionEnding = new Set(['change-password.json', 'logout-everywhere.json']);

/** The sample files of `events/`, in an order where every one can answer for real. */
export function sampleFiles(eventsDir: string): string[] {
  const files = readdirSync(eventsDir).filter((f) => f.endsWith('.json'));
  return [...files.filter((f) => !sessionEnding.has(f)), ...files.filter((f) => sessionEnding.has(f))];
}
