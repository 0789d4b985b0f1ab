import { buildDashboard } from '#local/dashboard';

/** Builds the dashboard once for the integration tests that open it (skipped when its sources are unchanged). */
export default async function setup(): Promise<void> {
  await buildDashboard({ log: (line) => console.log(line) });
}
