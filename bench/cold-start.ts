import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { allNeeds, cloudLocalSlots, functionEnvironment } from '#infra/function-environment';
import { bundleConditions, bundleDefines } from '#infra/bundling';
import { allFunctions } from '#local/functions';
import { fallback, routes } from '#routes';
import { type BenchContext, type Benchmark, writeResults } from './benchmark.ts';
import { bundleFileName, bundlingOptions } from './bundle-options.ts';
import { kib, markdownTable, ms, ratio } from './format.ts';
import { type Summary, summarize } from './stats.ts';

/**
 * Cold start, per function: the size of the bundle the CDK would deploy and the
 * time a fresh Node process takes to load and evaluate it (`await import()`, the
 * part of a Lambda init phase our code controls), against two references built
 * the same way: an empty handler (what Node alone costs) and the DynamoDB floor
 * (the least a function that reads the table can be).
 */

/** A function meets its cold-start goals when it stays within these multiples of the DynamoDB floor. */
export const goals = { time: 1.15, bytes: 1.3 } as const;

const emptyName = '(empty handler)';
const floorName = '(DynamoDB floor)';

const sqsUrl = (name: string) => `https://sqs.us-east-1.amazonaws.com/000000000000/${name}`;

/**
 * What the handlers may read while their modules load: the stack's environment
 * (lib/function-environment.ts, as the cloud fills it) with fake values, and fake credentials so nothing
 * looks further. Nothing is called: the handler is never invoked.
 */
export const importEnv: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    Object.entries(
      functionEnvironment(allNeeds, {
        ...cloudLocalSlots,
        stage: 'cloud',
        version: 'bench',
        tableName: 'paybridge-bench',
        providerEventsQueueUrl: sqsUrl('provider-events'),
        deliveriesQueueUrl: sqsUrl('deliveries'),
        deliveriesDlqUrl: sqsUrl('deliveries-dlq'),
        logLevel: 'INFO',
        secretsKeyId: '',
        jwtKeysSecretArn: '',
        jwtPublicKeysSecretArn: '',
      }),
    ).filter(([, value]) => value !== ''),
  ),
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
};

/**
 * Where the first invocation's AWS calls go: a loopback port nobody listens on, so every
 * request is refused at once, and one attempt (no retry back-off in the figure). The floor's
 * GetCommand and our handlers' first table read fail the same way, after the same work: build
 * the clients (the floor at import, ours on first use), resolve credentials, serialise, sign
 * and connect.
 */
const unreachable = 'http://127.0.0.1:9';
export const invokeEnv: Readonly<Record<string, string>> = {
  AWS_ENDPOINT_URL_DYNAMODB: unreachable,
  AWS_ENDPOINT_URL_SQS: unreachable,
  AWS_ENDPOINT_URL_KMS: unreachable,
  AWS_ENDPOINT_URL_SES: unreachable,
  AWS_ENDPOINT_URL_SESV2: unreachable,
  AWS_MAX_ATTEMPTS: '1',
};

/** Printed before the probe's figures: the handler's own log lines share stdout. */
const probeMarker = '@@cold-start@@';

/**
 * Runs in the fresh process: times the import, so Node's own start-up (the same for every
 * bundle, and not ours to change) stays out of the figure; then invokes the handler once with
 * the function's sample event (`events/<name>.json`, `{}` for the references) and times that
 * first invocation to its answer or error. Init plus first invocation is the fair comparison:
 * the floor builds its client at import, our functions on first use.
 */
export const probe = [
  "import { readFileSync } from 'node:fs';",
  'const started = performance.now();',
  'const mod = await import(process.argv[1]);',
  'const importMs = performance.now() - started;',
  "const event = process.argv[2] ? JSON.parse(readFileSync(process.argv[2], 'utf8')) : {};",
  "const context = { awsRequestId: 'cold-start', functionName: 'cold-start', functionVersion: '$LATEST',",
  "  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:cold-start', memoryLimitInMB: '1024',",
  "  logGroupName: 'cold-start', logStreamName: 'cold-start', callbackWaitsForEmptyEventLoop: true,",
  '  getRemainingTimeInMillis: () => 30000, done() {}, fail() {}, succeed() {} };',
  'const invoked = performance.now();',
  'let outcome = "answer";',
  'try {',
  '  const reply = await mod.handler(event, context);',
  "  if (typeof reply?.statusCode === 'number') outcome = `status ${reply.statusCode}`;",
  '} catch { outcome = "error"; }',
  'const invokeMs = performance.now() - invoked;',
  `process.stdout.write('\\n${probeMarker}' + JSON.stringify({ importMs, invokeMs, outcome }) + '\\n');`,
  'process.exit(0);',
].join('\n');

/** A fresh process that hangs this long is broken, not slow. */
const probeTimeoutMs = 60_000;

interface Subject {
  readonly name: string;
  readonly kind: 'function' | 'reference';
  /** Entry module, relative to the project root. */
  readonly entry: string;
  /** esbuild `define`s and `conditions` from the function's route row (lib/bundling.ts). */
  readonly define?: Record<string, string>;
  readonly conditions?: string[];
  /** The sample event its first invocation gets (`events/<name>.json`), relative to the project root. */
  readonly event?: string;
}

interface PackageBytes {
  /** npm package, or a folder of our own code (`functions/edge`). */
  readonly name: string;
  /** Bytes this package contributes to the minified bundle (esbuild's `bytesInOutput`). */
  readonly bytes: number;
}

interface Bundle extends Subject {
  readonly file: string;
  /** The sample event with a well-formed (unknown) test API key in place of its placeholder. */
  readonly eventFile?: string | undefined;
  readonly bytes: number;
  readonly packages: readonly PackageBytes[];
}

interface Measured extends Bundle {
  readonly importMs: Summary;
  /** Import plus the first invocation, per sample (the fair comparison with the floor). */
  readonly firstMs: Summary;
  /** How the first invocations ended: an answer, or an error thrown (the unreachable table). */
  readonly outcomes: Readonly<Record<string, number>>;
}

interface Row extends Measured {
  readonly vsFloor: { readonly time: number; readonly bytes: number; readonly first: number };
  readonly meets: { readonly time: boolean; readonly bytes: boolean; readonly first: boolean };
}

function subjects(): Subject[] {
  const rows = [...routes, fallback];
  const functions = [...allFunctions()].map(([name, handler]): Subject => ({
    name,
    kind: 'function',
    entry: `functions/${handler}`,
    // What the CDK defines for this function's row (lib/bundling.ts): the bundle the bench measures is the one that ships.
    define: bundleDefines(rows.find((r) => r.handler === handler) ?? {}),
    conditions: bundleConditions(rows.find((r) => r.handler === handler) ?? {}),
    event: `events/${name}.json`,
  }));
  return [
    { name: emptyName, kind: 'reference', entry: 'bench/references/empty.ts' },
    { name: floorName, kind: 'reference', entry: 'bench/references/dynamodb-floor.ts' },
    ...functions,
  ];
}

/** `node_modules/@aws-sdk/core/dist-es/x.js` → `@aws-sdk/core`; `functions/edge/http.ts` → `functions/edge`. */
export function packageOf(input: string): string {
  const marker = 'node_modules/';
  const at = input.lastIndexOf(marker);
  if (at >= 0) {
    const [first = input, second = ''] = input.slice(at + marker.length).split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  const parts = input.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : input;
}

function packagesOf(metafile: Metafile): PackageBytes[] {
  const outputs = Object.values(metafile.outputs);
  const output = outputs[0];
  if (outputs.length !== 1 || !output)
    throw new Error(`expected one output, esbuild wrote ${outputs.length}`);
  const totals = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = packageOf(input);
    totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
  }
  return [...totals]
    .map(([name, bytes]) => ({ name, bytes }))
    .filter((p) => p.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

async function bundle(subject: Subject, root: string, outDir: string): Promise<Bundle> {
  const file = join(outDir, subject.name.replace(/[^\w-]+/g, '_'), bundleFileName);
  const result = await build({
    ...bundlingOptions,
    absWorkingDir: root,
    entryPoints: [join(root, subject.entry)],
    ...(subject.define ? { define: subject.define } : {}),
    ...(subject.conditions?.length ? { conditions: subject.conditions } : {}),
    outfile: file,
    // Only describes the build; the bundle is byte-for-byte the same without it.
    metafile: true,
    logLevel: 'error',
  });
  return {
    ...subject,
    file,
    eventFile: subject.event && (await sampleEvent(join(root, subject.event), join(file, '..'))),
    bytes: (await stat(file)).size,
    packages: packagesOf(result.metafile),
  };
}

/**
 * The sample event with a well-formed test API key (unknown to any table) where it says
 * `{{PAYBRIDGE_TEST_API_KEY}}`, so an API-key route's first call looks its key up in the
 * table as a real one would. Dashboard tokens stay placeholders: with no signing keys in the
 * bench's environment those routes answer 503 before any table read (their first call is
 * the wrapper's work, not a table round trip).
 */
async function sampleEvent(path: string, dir: string): Promise<string> {
  const text = (await readFile(path, 'utf8')).replaceAll(
    '{{PAYBRIDGE_TEST_API_KEY}}',
    `sk_test_${'A'.repeat(43)}`,
  );
  const file = join(dir, 'event.json');
  await writeFile(file, text);
  return file;
}

const execFileAsync = promisify(execFile);

interface Sample {
  readonly importMs: number;
  readonly invokeMs: number;
  readonly outcome: string;
}

/** Milliseconds a fresh `node` takes to import the bundle, then to run its first invocation. */
async function sample(file: string, event: string | undefined): Promise<Sample> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--input-type=module', '-e', probe, pathToFileURL(file).href, ...(event ? [event] : [])],
    // A clean environment: no NODE_OPTIONS from tsx, no AWS profile; AWS endpoints unreachable.
    { env: { ...importEnv, ...invokeEnv }, timeout: probeTimeoutMs, maxBuffer: 16 * 1024 * 1024 },
  );
  const line = stdout.slice(stdout.lastIndexOf(probeMarker) + probeMarker.length).split('\n')[0] ?? '';
  const parsed = (stdout.includes(probeMarker) ? JSON.parse(line) : {}) as Partial<Sample>;
  if (typeof parsed.importMs !== 'number' || typeof parsed.invokeMs !== 'number')
    throw new Error(`unexpected probe output: ${stdout.slice(-400)}`);
  return { importMs: parsed.importMs, invokeMs: parsed.invokeMs, outcome: String(parsed.outcome) };
}

/**
 * Every round imports every bundle once, in a rotated order, so drift in the
 * machine's speed spreads over all bundles instead of landing on one. Round 0
 * warms the page cache and is discarded.
 */
async function measure(bundles: readonly Bundle[], context: BenchContext): Promise<Measured[]> {
  const samples = new Map<string, Sample[]>(bundles.map((b) => [b.name, []]));
  for (let round = 0; round <= context.runs; round++) {
    const label = round === 0 ? 'warm-up' : `run ${round}/${context.runs}`;
    context.progress.update(`cold-start: ${label}, ${bundles.length} bundles`, true);
    for (let k = 0; k < bundles.length; k++) {
      const subject = bundles[(k + round) % bundles.length] as Bundle;
      context.progress.update(`cold-start: ${label} · ${subject.name}`);
      let time: Sample;
      try {
        time = await sample(subject.file, subject.eventFile);
      } catch (error) {
        const stderr = (error as { stderr?: string }).stderr ?? '';
        throw new Error(
          `importing the ${subject.name} bundle failed: ${stderr.slice(0, 2000) || String(error)}`,
          { cause: error },
        );
      }
      if (round > 0) samples.get(subject.name)?.push(time);
    }
  }
  context.progress.done();
  return bundles.map((b) => {
    const taken = samples.get(b.name) ?? [];
    const outcomes: Record<string, number> = {};
    for (const s of taken) outcomes[s.outcome] = (outcomes[s.outcome] ?? 0) + 1;
    return {
      ...b,
      importMs: summarize(taken.map((s) => s.importMs)),
      firstMs: summarize(taken.map((s) => s.importMs + s.invokeMs)),
      outcomes,
    };
  });
}

function compare(measured: readonly Measured[]): Row[] {
  const floor = measured.find((m) => m.name === floorName);
  if (!floor) throw new Error('the DynamoDB floor was not measured');
  return measured.map((m) => {
    const vsFloor = {
      time: m.importMs.median / floor.importMs.median,
      bytes: m.bytes / floor.bytes,
      first: m.firstMs.median / floor.firstMs.median,
    };
    return {
      ...m,
      vsFloor,
      meets: {
        time: vsFloor.time <= goals.time,
        bytes: vsFloor.bytes <= goals.bytes,
        first: vsFloor.first <= goals.time,
      },
    };
  });
}

function verdict(row: Row): string {
  if (row.kind === 'reference') return '';
  const missed = [...(row.meets.time ? [] : ['time']), ...(row.meets.bytes ? [] : ['bytes'])];
  return missed.length === 0 ? 'ok' : `over: ${missed.join(', ')}`;
}

function resultsTable(rows: readonly Row[]): string {
  return markdownTable(
    [
      'function',
      'bundle',
      '× floor',
      'import median ms',
      'p90 ms',
      '× floor',
      'init + 1st call ms',
      '× floor',
      'goals',
    ],
    rows.map((r) => [
      r.name,
      kib(r.bytes),
      ratio(r.vsFloor.bytes),
      ms(r.importMs.median),
      ms(r.importMs.p90),
      ratio(r.vsFloor.time),
      ms(r.firstMs.median),
      ratio(r.vsFloor.first),
      verdict(r),
    ]),
    [false, true, true, true, true, true, true, true, false],
  );
}

/** The packages a bundle carries beyond the floor, largest first. */
function extraOverFloor(row: Bundle, floor: Bundle): PackageBytes[] {
  const inFloor = new Map(floor.packages.map((p) => [p.name, p.bytes]));
  return row.packages
    .map((p) => ({ name: p.name, bytes: p.bytes - (inFloor.get(p.name) ?? 0) }))
    .filter((p) => p.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

function compositionTable(row: Bundle, floor: Bundle, top: number): string {
  const inFloor = new Map(floor.packages.map((p) => [p.name, p.bytes]));
  return markdownTable(
    ['package', row.name, floorName],
    row.packages.slice(0, top).map((p) => [p.name, kib(p.bytes), kib(inFloor.get(p.name) ?? 0)]),
    [false, true, true],
  );
}

async function run(context: BenchContext): Promise<void> {
  const outDir = await mkdtemp(join(tmpdir(), 'paybridge-cold-start-'));
  try {
    context.progress.update('cold-start: bundling', true);
    const bundles = await Promise.all(subjects().map((s) => bundle(s, context.root, outDir)));
    const rows = compare(await measure(bundles, context));
    const floor = rows.find((r) => r.name === floorName) as Row;
    const functions = rows.filter((r) => r.kind === 'function');
    const missing = functions.filter((r) => !r.meets.time || !r.meets.bytes);
    const biggest = [...functions].sort((a, b) => b.bytes - a.bytes)[0];

    console.log(
      `\nCold start: bundle size and module import time in a fresh node, median of ${context.runs} runs.`,
    );
    console.log(`Goals: import time ≤ ${goals.time}× and bundle ≤ ${goals.bytes}× the DynamoDB floor's.\n`);
    console.log(resultsTable(rows));
    const count = (meets: (r: Row) => boolean): number => functions.filter(meets).length;
    console.log(
      `\n${count((r) => r.meets.time && r.meets.bytes)} of ${functions.length} functions meet both goals ` +
        `(time: ${count((r) => r.meets.time)}, bytes: ${count((r) => r.meets.bytes)}); ` +
        `init + first call ≤ ${goals.time}× the floor's: ${count((r) => r.meets.first)}.`,
    );
    if (biggest) {
      console.log(`\nLargest bundle, ${biggest.name}, by package (bytes in the minified output):\n`);
      console.log(compositionTable(biggest, floor, 12));
    }
    if (missing.length > 0) {
      console.log('\nWhat the functions over a goal carry beyond the floor (top 4):\n');
      for (const row of missing) {
        const extra = extraOverFloor(row, floor)
          .slice(0, 4)
          .map((p) => `${p.name} +${kib(p.bytes)}`);
        console.log(`- ${row.name}: ${extra.join(', ')}`);
      }
    }

    const path = await writeResults(context, 'cold-start', {
      goals,
      bundlingOptions,
      importEnv,
      invokeEnv,
      probe,
      results: rows.map((r) => ({
        name: r.name,
        kind: r.kind,
        entry: r.entry,
        bytes: r.bytes,
        importMs: r.importMs,
        firstMs: r.firstMs,
        firstOutcomes: r.outcomes,
        vsFloor: r.vsFloor,
        meetsGoals: r.kind === 'function' ? r.meets : undefined,
        packages: r.packages,
        extraOverFloor: r.kind === 'function' ? extraOverFloor(r, floor) : undefined,
      })),
    });
    console.log(`\nResults: ${relative(context.root, path)}`);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

export const coldStart: Benchmark = {
  name: 'cold-start',
  title: 'Cold start: bundle size and module evaluation time per function',
  run,
};
