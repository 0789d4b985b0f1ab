/**
 * `npm run sam:env [-- --stack local|PayBridge-<stage>-Api]`: writes the `--env-vars`
 * file for `sam local invoke` (.local/sam-env.json, one entry per function of the
 * synthesized template, keyed by logical id) and the sample events with real
 * credentials (.local/sam-events/).
 *
 *   local (default)       the running `npm start`: its table, queues, local master key and
 *                         JWT keys, endpoints rewritten to host.docker.internal (SAM_HOST
 *                         overrides); seeds a sample merchant for the samples' credentials
 *   PayBridge-dev-Api     a deployed stack: values from its data stack's CloudFormation
 *                         outputs (`aws cloudformation describe-stacks`, your credentials)
 */
import { SamSetupError, writeSamEnv } from './sam-run.ts';
import { UnresolvedVariable } from './sam.ts';

export function stackArgument(argv: readonly string[]): string {
  const i = argv.indexOf('--stack');
  if (i === -1) return 'local';
  const value = argv[i + 1];
  if (!value || value.startsWith('--'))
    throw new SamSetupError('--stack needs a value: local or PayBridge-<stage>-Api');
  return value;
}

if (import.meta.main) {
  try {
    await writeSamEnv({ stack: stackArgument(process.argv.slice(2)) }, (line) => console.log(line));
    process.exit(0);
  } catch (error) {
    if (error instanceof SamSetupError || error instanceof UnresolvedVariable) {
      console.error(`sam:env: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
