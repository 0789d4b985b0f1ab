import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchContext, Benchmark } from './benchmark.ts';
import { coldStart } from './cold-start.ts';
import { cost } from './cost.ts';
import { dashboard } from './dashboard.ts';
import { dynamodbRequests } from './dynamodb-requests.ts';
import { Progress } from './format.ts';
import { stopBenchStack } from './local-stack.ts';
import { describeMachine, machineLine } from './machine.ts';
import { pipeline } from './pipeline.ts';
import { warmOverhead } from './warm-overhead.ts';

/**
 * `npm run bench`: runs every benchmark in order and prints where and how it ran.
 * A benchmark is a sibling module exporting a `Benchmark`; add it to this list.
 * The benchmarks after cold start share one local stack (bench/local-stack.ts),
 * started by the first that needs it and stopped here at the end.
 */
const benchmarks: readonly Benchmark[] = [
  coldStart,
  dynamodbRequests,
  warmOverhead,
  pipeline,
  cost,
  dashboard,
];

const usage = `usage: npm run bench -- [--quick] [--runs N] [--only NAME[,NAME]]
  --runs N   repetitions of each measurement (default 15)
  --only     run only these benchmarks (${benchmarks.map((b) => b.name).join(', ')})
  --quick    5 repetitions: a smoke test, not figures to publish`;

const defaultRuns = 15;
const quickRuns = 5;
const maxRuns = 1000;

function parseRuns(text: string | undefined, quick: boolean): number {
  if (text === undefined) return quick ? quickRuns : defaultRuns;
  const runs = Number(text);
  if (!Number.isInteger(runs) || runs < 1 || runs > maxRuns) {
    throw new Error(
      `--runs takes a whole number from 1 to ${maxRuns}, not ${JSON.stringify(text)}\n${usage}`,
    );
  }
  return runs;
}

/** The command as the user typed it, for the record. */
function commandLine(args: readonly string[]): string {
  const rest = args.length > 0 ? ` -- ${args.join(' ')}` : '';
  return process.env.npm_lifecycle_event === 'bench' ? `npm run bench${rest}` : `tsx bench/run.ts${rest}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const runs = parseRuns(values.runs, values.quick);
  const context: BenchContext = {
    runs,
    quick: values.quick,
    startedAt: new Date(),
    command: commandLine(args),
    machine: describeMachine(),
    root: join(import.meta.dirname, '..'),
    progress: new Progress(),
  };

  console.log(`command: ${context.command}`);
  console.log(`machine: ${machineLine(context.machine)}`);
  console.log(`date:    ${context.startedAt.toISOString()}`);
  console.log(`runs:    ${runs}${runs < defaultRuns ? ' (fewer than 15: percentiles are rough)' : ''}`);

  try {
    const only = values.only?.split(',');
    const unknown = only?.filter((name) => !benchmarks.some((b) => b.name === name)) ?? [];
    if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}\n${usage}`);
    for (const benchmark of benchmarks.filter((b) => !only || only.includes(b.name))) {
      console.log(`\n## ${benchmark.title}`);
      await benchmark.run(context);
    }
  } finally {
    await stopBenchStack();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
