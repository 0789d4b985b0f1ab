import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Progress } from './format.ts';
import type { Machine } from './machine.ts';

/** What `npm run bench` hands every benchmark. */
export interface BenchContext {
  /** Repetitions of each measurement (`--runs`, default 15; `--quick` 5). */
  readonly runs: number;
  readonly quick: boolean;
  readonly startedAt: Date;
  /** The command line as typed, recorded with the results. */
  readonly command: string;
  readonly machine: Machine;
  /** The project root: bundles are built from here, as the CDK does. */
  readonly root: string;
  readonly progress: Progress;
}

/** One benchmark of the bench issue; each lives in its own module under bench/ and is listed in run.ts. */
export interface Benchmark {
  readonly name: string;
  readonly title: string;
  run(context: BenchContext): Promise<void>;
}

const resultsDir = join(import.meta.dirname, 'results');

/** Writes a benchmark's results as `bench/results/<name>-<ISO date>.json` (git-ignored) and returns the path. */
export async function writeResults(context: BenchContext, name: string, results: object): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const stamp = context.startedAt
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const path = join(resultsDir, `${name}-${stamp}.json`);
  const document = {
    benchmark: name,
    date: context.startedAt.toISOString(),
    command: context.command,
    machine: context.machine,
    runs: context.runs,
    quick: context.quick,
    ...results,
  };
  await writeFile(path, `${JSON.stringify(document, null, 2)}\n`);
  return path;
}
