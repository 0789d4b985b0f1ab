/**
 * `npm start`: the whole local stack on 127.0.0.1. Prints what runs where;
 * Ctrl-C stops everything, the JVM included.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { workers } from '#routes';
import { buildDashboard } from './dashboard.ts';
import { JavaMissing } from './dynamodb.ts';
import { startLocalStack } from './stack.ts';

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
    `  DynamoDB     ${stack.dynamo.endpoint}   table ${stack.env.TABLE_NAME}`,
    `  SQS          ${stack.sqs.endpoint}`,
    `    provider events  ${stack.queues.providerEvents}`,
    `    deliveries       ${stack.queues.deliveries}`,
    `  Providers    ${stack.sandboxes ? `sandboxes at ${stack.sandboxes.url}` : 'real APIs'}`,
    ...Object.entries(stack.providerUrls).map(([name, url]) => `    ${name.padEnd(16)} ${url}`),
    `  Queue workers ${workers.length === 0 ? 'none defined yet' : workers.map((w) => w.handler).join(', ')}`,
  ];
  console.log(lines.join('\n'));
  // Where things run, for `npm run demo` and other local tools (ports may differ from the defaults).
  mkdirSync('.local', { recursive: true });
  writeFileSync(
    '.local/stack.json',
    JSON.stringify({ api: stack.api?.url, sandboxes: stack.sandboxes?.url, pid: process.pid }, null, 2),
  );
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack…`);
    await stack.stop();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
} catch (error) {
  if (error instanceof JavaMissing) {
    console.error(error.message);
  } else {
    console.error('The local stack could not start:', error);
  }
  process.exit(1);
}
