/**
 * `npm run sam:invoke -- <function> [event.json] [--stack local|PayBridge-<stage>-Api]`:
 * `sam local invoke` for one function by its friendly name, with everything it needs.
 * Synthesizes when the template is stale, writes the env file and the filled samples
 * (npm run sam:env), and runs
 *
 *   sam local invoke <LogicalId> -t cdk.out/PayBridge-<stage>-Api.template.json \
 *     -e .local/sam-events/<event>.json --env-vars .local/sam-env.json
 *
 * The event defaults to events/<function>.json. Needs the SAM CLI and a running Docker
 * engine; `npm run invoke` runs the same handler in-process and needs neither.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { allFunctions } from './functions.ts';
import {
  containerHost,
  envFile,
  eventsDir,
  root,
  SamSetupError,
  writeFilledEvent,
  writeSamEnv,
} from './sam-run.ts';
import { stackArgument } from './sam-env.ts';
import { logicalIdOf, UnresolvedVariable } from './sam.ts';

const usage = 'usage: npm run sam:invoke -- <function> [event.json] [--stack local|PayBridge-<stage>-Api]';

/** What is missing to run `sam local invoke` here, or undefined when nothing is. */
export function missingTools(): string | undefined {
  const sam = spawnSync('sam', ['--version'], { encoding: 'utf8' });
  if (sam.error || sam.status !== 0) {
    return 'the AWS SAM CLI (`sam`) is not installed: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html';
  }
  const docker = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' });
  if (docker.error) return 'Docker is not installed (sam local invoke runs each function in a container)';
  if (docker.status !== 0)
    return 'the Docker engine is not running (sam local invoke runs each function in a container)';
  return undefined;
}

function positional(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--stack') i++;
    else out.push(argv[i] as string);
  }
  return out;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, eventArg] = positional(argv);
  const functions = allFunctions();
  if (!name) {
    console.error(usage);
    return 2;
  }
  if (!functions.has(name) && !/Function[0-9A-F]{8}$/.test(name)) {
    console.error(`unknown function ${name}`);
    console.error(`functions: ${[...functions.keys()].join(', ')}`);
    return 2;
  }
  const eventFile = eventArg ?? join(eventsDir, `${name}.json`);
  if (!existsSync(eventFile)) {
    console.error(`no event ${eventFile}; the samples are in events/`);
    return 2;
  }
  const stack = stackArgument(argv);
  const missing = missingTools();
  if (missing) {
    console.error(`sam:invoke: ${missing}.`);
    console.error(
      `Without Docker or the SAM CLI, run the same handler in-process: npm run invoke -- ${name} ${eventArg ?? `events/${name}.json`}`,
    );
    return 1;
  }
  const { template, templateFile, containers, credentials } = await writeSamEnv({ stack }, (line) =>
    console.log(line),
  );
  const logicalId = logicalIdOf(template, name);
  // The event runs with its placeholders filled in, like the samples in .local/sam-events/.
  const event = writeFilledEvent(eventFile, credentials).path;
  const args = ['local', 'invoke', logicalId, '-t', templateFile, '-e', event, '--env-vars', envFile];
  // Linux has no host.docker.internal by default: map it to the address npm start relays from.
  if (stack === 'local' && process.platform === 'linux' && containerHost() === 'host.docker.internal') {
    if (containers) args.push('--add-host', `host.docker.internal:${containers}`);
    else
      console.warn(
        'the local stack does not listen for containers: restart it with npm start -- --listen-for-containers',
      );
  }
  console.log(`sam ${args.join(' ')}`);
  const run = spawnSync('sam', args, { cwd: root, stdio: 'inherit' });
  return run.status ?? 1;
}

try {
  process.exit(await main(process.argv.slice(2)));
} catch (error) {
  if (error instanceof SamSetupError || error instanceof UnresolvedVariable) {
    console.error(`sam:invoke: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
