/**
 * `npm start`: the whole local stack on 127.0.0.1. Prints what runs where;
 * Ctrl-C stops everything, the JVM included.
 */
import { scheduledWorkers, workers } from '#routes';
import { ContainerAccessError, openForContainers } from './container-access.ts';
import { reconcileIntervalMs } from './scheduled-workers.ts';
import { buildDashboard } from './dashboard.ts';
import { JavaMissing } from './dynamodb.ts';
import { createSampleLink } from './sample-link.ts';
import { startLocalStack } from './stack.ts';
import { writeStackState } from './state.ts';

const port = (name: string, fallback: number): number => {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : Number(value);
};

try {
  // The dashboard is rebuilt only when its sources changed; the API runs without it if the build fails.
  await buildDashboard({ log: (line) => console.error(line) }).catch((error: unknown) =>
    console.error('The dashboard could not be built (the API still starts):', error),
  );
  const stack = await startLocalStack({
    apiPort: port('PORT', 3000),
    dynamoPort: port('DYNAMODB_PORT', 8000),
    sqsPort: port('SQS_PORT', 9324),
    sandboxPort: port('SANDBOX_PORT', 4010),
    log: (line) => console.error(line),
  });
  const lines = [
    'PayBridge local stack is running (Ctrl-C to stop)',
    `  Dashboard    ${stack.api?.url}/`,
    `  API          ${stack.api?.url}   (try: curl ${stack.api?.url}/health)`,
    `  DynamoDB     ${stack.dynamo.endpoint}   table ${stack.values.tableName}`,
    `  SQS          ${stack.sqs.endpoint}`,
    `    provider events  ${stack.queues.providerEvents}`,
    `    deliveries       ${stack.queues.deliveries}`,
    `  Providers    ${stack.sandboxes ? `sandboxes at ${stack.sandboxes.url}` : 'real APIs'}`,
    ...Object.entries(stack.providerUrls).map(([name, url]) => `    ${name.padEnd(16)} ${url}`),
    `  Queue workers ${workers.length === 0 ? 'none defined yet' : workers.map((w) => w.handler).join(', ')}`,
    `  Scheduled    ${scheduledWorkers.map((w) => w.handler).join(', ')} every ${reconcileIntervalMs() / 1000} s (RECONCILE_INTERVAL_SECONDS)`,
  ];
  const moved = [
    ['PORT', 3000, stack.api?.port],
    ['DYNAMODB_PORT', 8000, Number(new URL(stack.dynamo.endpoint).port)],
    ['SQS_PORT', 9324, Number(new URL(stack.sqs.endpoint).port)],
    ['SANDBOX_PORT', 4010, stack.sandboxes ? Number(new URL(stack.sandboxes.url).port) : undefined],
  ] as const;
  for (const [name, fallback, actual] of moved) {
    const wanted = port(name, fallback);
    if (actual !== undefined && wanted !== 0 && actual !== wanted) {
      lines.push(`  note: port ${wanted} (${name}) was busy; using ${actual} instead`);
    }
  }
  if (process.env.PAYBRIDGE_SAMPLE_LINK !== '0' && stack.api && stack.sandboxes) {
    // Something to click right away: a payment link of a throw-away test merchant on the sandboxes.
    await createSampleLink(stack.api.url, stack.sandboxes.url)
      .then((link) => lines.push(`  Sample link  ${link.url}   (test mode; merchant ${link.email})`))
      .catch((error: unknown) =>
        lines.push(`  Sample link  not created: ${error instanceof Error ? error.message : String(error)}`),
      );
  }
  console.log(lines.join('\n'));
  // Opt-in only (--listen-for-containers / PAYBRIDGE_BIND): see local/container-access.ts.
  const containers = await openForContainers(process.argv.slice(2), process.env, stack);
  // Where things run, for `npm run demo`, `npm run admin`, `npm run sam:env` and other local tools
  // (ports may differ from the defaults). It holds the stack's throw-away keys: this user only.
  writeStackState({
    api: stack.api?.url,
    sandboxes: stack.sandboxes?.url,
    dynamodb: stack.dynamo.endpoint,
    table: stack.values.tableName,
    pid: process.pid,
    values: stack.values,
    containers: containers?.address,
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack…`);
    await containers?.stop();
    await stack.stop();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
} catch (error) {
  if (error instanceof JavaMissing || error instanceof ContainerAccessError) {
    console.error(error.message);
  } else {
    console.error('The local stack could not start:', error);
  }
  process.exit(1);
}
