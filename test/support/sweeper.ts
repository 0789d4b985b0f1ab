import { afterAll, beforeAll } from 'vitest';
import { type ScheduledRun, startScheduledWorker } from '#local/scheduled-workers';
import { scheduledWorkers } from '#routes';

/**
 * Runs the scheduled workers (the reconciliation sweeper) on a short timer for
 * one test file, as `npm start` does with `RECONCILE_INTERVAL_SECONDS`.
 */
export function useSweeper(intervalMs: number): void {
  const runs: ScheduledRun[] = [];
  beforeAll(() => {
    for (const worker of scheduledWorkers) runs.push(startScheduledWorker(worker, intervalMs));
  });
  afterAll(async () => {
    await Promise.all(runs.map((r) => r.stop()));
  });
}
