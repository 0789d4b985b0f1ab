/**
 * The file work behind `npm run sam:env` and `npm run sam:invoke`: a fresh synthesized
 * template, the running local stack's description, the `--env-vars` file and the sample
 * events with their credentials filled in.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EnvironmentValues } from '#infra/function-environment';
import {
  type DescribeStacksAnswer,
  deployedSamEnv,
  exportsOf,
  importedStacks,
  localSamEnv,
  type SamEnvFile,
  type Template,
  withoutLayers,
} from './sam.ts';
import {
  credentialsFromEnv,
  fillPlaceholders,
  placeholdersIn,
  type SampleCredentials,
  seedSampleMerchant,
} from './seed.ts';
import { localEnvFrom } from './stack.ts';
import { type StackState, stackStatePath } from './state.ts';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const envFile = join(root, '.local', 'sam-env.json');
export const samEventsDir = join(root, '.local', 'sam-events');
export const eventsDir = join(root, 'events');

export class SamSetupError extends Error {
  override readonly name = 'SamSetupError';
}

/** `local`, or a deployed API stack's name (`PayBridge-<stage>-Api`). */
export interface SamTarget {
  readonly stack: string;
}

/** The stage whose template describes the target: the local stack uses the default (`dev`). */
export function stageOf(target: SamTarget): string {
  if (target.stack === 'local') return 'dev';
  const stage = /^PayBridge-(.+)-Api$/.exec(target.stack)?.[1];
  if (!stage) {
    throw new SamSetupError(
      `--stack ${target.stack}: give "local" or the API stack's name, PayBridge-<stage>-Api (e.g. PayBridge-dev-Api)`,
    );
  }
  return stage;
}

export const templatePath = (stage: string): string =>
  join(root, 'cdk.out', `PayBridge-${stage}-Api.template.json`);

/** The local stack's copy of the template, without layers (local/sam.ts, withoutLayers). */
export const localTemplatePath = (stage: string): string =>
  join(root, 'cdk.out', `PayBridge-${stage}-Api.local.template.json`);

function newestChange(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestChange(join(path, entry)));
  return newest;
}

/** Whether the template is missing or older than any source it is made from. */
export function templateIsStale(stage: string): boolean {
  const path = templatePath(stage);
  if (!existsSync(path)) return true;
  const built = statSync(path).mtimeMs;
  const sources = ['functions', 'lib', 'bin', 'package.json', 'package-lock.json', 'cdk.json'];
  return sources.some((source) => existsSync(join(root, source)) && newestChange(join(root, source)) > built);
}

/**
 * Synthesizes (offline, like `npm run synth`) when the template is stale. The stage is
 * part of the template's name, so another stage's old template never counts as fresh.
 */
export function ensureTemplate(stage: string, log: (line: string) => void): Template {
  if (templateIsStale(stage)) {
    log(`synthesizing the template for stage ${stage} (npm run synth)…`);
    const cdk = join(root, 'node_modules', '.bin', 'cdk');
    // Quiet unless it fails: esbuild prints a line per bundled function.
    const run = spawnSync(cdk, ['synth', '--quiet', '-c', `stage=${stage}`], { cwd: root, encoding: 'utf8' });
    if (run.status !== 0) {
      throw new SamSetupError(
        `cdk synth failed:\n${run.stdout ?? ''}${run.stderr ?? ''}${run.error?.message ?? ''}`,
      );
    }
  }
  return JSON.parse(readFileSync(templatePath(stage), 'utf8')) as Template;
}

/** What `npm start` wrote to .local/stack.json. */
export type StackFile = StackState;

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The running local stack, or a SamSetupError saying how to start one. */
export function runningLocalStack(path = stackStatePath()): StackFile & { values: EnvironmentValues } {
  const start = 'start it in another terminal: npm start -- --listen-for-containers';
  if (!existsSync(path))
    throw new SamSetupError(`the local stack is not running (no .local/stack.json); ${start}`);
  const stack = JSON.parse(readFileSync(path, 'utf8')) as StackFile;
  if (!stack.pid || !isRunning(stack.pid))
    throw new SamSetupError(`the local stack is not running; ${start}`);
  if (!stack.values)
    throw new SamSetupError(`the running local stack is older than sam:env; restart it: ${start}`);
  return stack as StackFile & { values: EnvironmentValues };
}

/** Where containers reach the host: `SAM_HOST`, else Docker's name for it. */
export const containerHost = (env: NodeJS.ProcessEnv = process.env): string =>
  env.SAM_HOST?.trim() || 'host.docker.internal';

/** `aws cloudformation describe-stacks` for one stack, through the user's AWS CLI and credentials. */
export function describeStack(name: string): DescribeStacksAnswer {
  try {
    const out = execFileSync(
      'aws',
      ['cloudformation', 'describe-stacks', '--stack-name', name, '--output', 'json'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return JSON.parse(out) as DescribeStacksAnswer;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new SamSetupError(
        'reading a deployed stack needs the AWS CLI (`aws`) with your credentials: ' +
          'https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html — or use --stack local',
      );
    }
    throw new SamSetupError(
      `aws cloudformation describe-stacks --stack-name ${name} failed: ${failure.stderr?.trim() || failure.message}`,
    );
  }
}

function writePrivate(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** The event file with its placeholders filled, written to .local/sam-events/<name>; returns its path and what stays open. */
export function writeFilledEvent(
  source: string,
  credentials: Partial<SampleCredentials>,
): { path: string; open: string[] } {
  const event = fillPlaceholders(JSON.parse(readFileSync(source, 'utf8')) as unknown, credentials);
  const text = `${JSON.stringify(event, null, 2)}\n`;
  const path = join(samEventsDir, basename(source));
  writePrivate(path, text);
  return { path, open: placeholdersIn(text) };
}

/** Every sample of events/ with its placeholders filled, into .local/sam-events/; returns the placeholders still open. */
export function writeSampleEvents(credentials: Partial<SampleCredentials>): string[] {
  const open = new Set<string>();
  for (const file of readdirSync(eventsDir).filter((f) => f.endsWith('.json'))) {
    for (const placeholder of writeFilledEvent(join(eventsDir, file), credentials).open)
      open.add(placeholder);
  }
  return [...open];
}

export interface SamEnvResult {
  readonly template: Template;
  readonly stage: string;
  readonly env: SamEnvFile;
  /** The template to give `sam local invoke -t`. */
  readonly templateFile: string;
  /** The address `--add-host host.docker.internal:<it>` should map to (Linux, local stack). */
  readonly containers: string | undefined;
  /** What filled the samples' placeholders (never printed). */
  readonly credentials: Partial<SampleCredentials>;
}

/**
 * Writes .local/sam-env.json and .local/sam-events/ for the target. For `local` it
 * seeds a sample merchant into the running stack first (its credentials fill the
 * samples); for a deployed stack it reads the data stack's outputs and takes
 * credentials only from the environment (PAYBRIDGE_TEST_API_KEY, …): nothing is seeded there.
 */
export async function writeSamEnv(target: SamTarget, log: (line: string) => void): Promise<SamEnvResult> {
  const stage = stageOf(target);
  let stack: ReturnType<typeof runningLocalStack> | undefined;
  if (target.stack === 'local') stack = runningLocalStack(); // before a slow synth: fail fast
  const template = ensureTemplate(stage, log);
  let env: SamEnvFile;
  let credentials: Partial<SampleCredentials>;
  let templateFile = templatePath(stage);
  if (stack) {
    templateFile = localTemplatePath(stage);
    writeFileSync(templateFile, `${JSON.stringify(withoutLayers(template), null, 1)}\n`);
    // Before the first config() of this process: the seed reads the stack's table and JWT keys.
    const host = containerHost();
    env = localSamEnv(template, stack.values, host);
    // Seeding runs here, on the host, where the stack answers on 127.0.0.1.
    Object.assign(process.env, localEnvFrom(stack.values));
    credentials = await seedSampleMerchant();
    log(`seeded sample merchant ${credentials.merchantId} (admin owner, test API key) into the local stack`);
    log(`endpoints rewritten for containers: 127.0.0.1 → ${host}`);
  } else {
    const exports = exportsOf(...importedStacks(template).map(describeStack));
    env = deployedSamEnv(template, exports);
    credentials = credentialsFromEnv();
  }
  writePrivate(envFile, `${JSON.stringify(env, null, 2)}\n`);
  log(
    `wrote .local/sam-env.json: ${Object.keys(env).length} functions of ${templateFile.slice(root.length + 1)}`,
  );
  const open = writeSampleEvents(credentials);
  log(`wrote .local/sam-events/: the samples of events/ with their credentials filled in`);
  if (open.length > 0) {
    log(`still placeholders (answers 401 until set): ${open.map((p) => `$${p.slice(2, -2)}`).join(', ')}`);
  }
  return { template, stage, env, templateFile, containers: stack?.containers, credentials };
}
