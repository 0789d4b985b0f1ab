import { tags } from './instrument.ts';

/**
 * The handlers log one JSON line per request (Powertools Logger, to stdout and
 * stderr). In the bench those lines would bury the results, so they are taken
 * off both streams here, counted per function and level (bytes included: what
 * CloudWatch Logs would ingest), and the last warnings and errors kept for the
 * report. The JSON is still built and handed to `write`: only the bytes are dropped.
 */

export interface LogTally {
  lines: number;
  bytes: number;
  warnings: number;
  errors: number;
}

const tallies = new Map<string, LogTally>();
const recentProblems: string[] = [];
const keepProblems = 20;

type Write = typeof process.stdout.write;
let restore: (() => void) | undefined;

function isProductLog(chunk: unknown): chunk is string {
  return typeof chunk === 'string' && chunk.startsWith('{') && chunk.includes('"service":"paybridge"');
}

function tally(line: string): void {
  const fn = tags.getStore()?.fn ?? 'untagged';
  const entry = tallies.get(fn) ?? { lines: 0, bytes: 0, warnings: 0, errors: 0 };
  entry.lines += 1;
  entry.bytes += Buffer.byteLength(line);
  const level = /"level":"(\w+)"/.exec(line)?.[1];
  if (level === 'WARN' || level === 'ERROR') {
    if (level === 'WARN') entry.warnings += 1;
    else entry.errors += 1;
    recentProblems.push(`${fn}: ${line.trim().slice(0, 400)}`);
    if (recentProblems.length > keepProblems) recentProblems.shift();
  }
  tallies.set(fn, entry);
}

function filtered(stream: NodeJS.WriteStream): () => void {
  const original: Write = stream.write.bind(stream);
  const replacement = ((chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    if (isProductLog(chunk)) {
      tally(chunk);
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }
    return (original as (c: unknown, e?: unknown, cb?: unknown) => boolean)(chunk, encoding, callback);
  }) as Write;
  stream.write = replacement;
  return () => {
    stream.write = original;
  };
}

export function captureProductLogs(): void {
  if (restore) return;
  const undoOut = filtered(process.stdout);
  const undoErr = filtered(process.stderr);
  restore = () => {
    undoOut();
    undoErr();
  };
}

export function releaseProductLogs(): void {
  restore?.();
  restore = undefined;
}

/** A copy of the tallies so far, by function. */
export function logTallies(): Map<string, LogTally> {
  return new Map([...tallies].map(([fn, t]) => [fn, { ...t }]));
}

/** Tallies gained since `before`, by function. */
export function logsSince(before: ReadonlyMap<string, LogTally>): Map<string, LogTally> {
  const out = new Map<string, LogTally>();
  for (const [fn, now] of tallies) {
    const was = before.get(fn) ?? { lines: 0, bytes: 0, warnings: 0, errors: 0 };
    const diff = {
      lines: now.lines - was.lines,
      bytes: now.bytes - was.bytes,
      warnings: now.warnings - was.warnings,
      errors: now.errors - was.errors,
    };
    if (diff.lines > 0) out.set(fn, diff);
  }
  return out;
}

/** The last few warning and error lines the handlers logged (secrets are redacted by the logger). */
export function recentLogProblems(): readonly string[] {
  return [...recentProblems];
}
