/**
 * `npm run admin -- <command>`: operator commands that are deliberately not API routes.
 *
 *   grant-admin <email>    make a user a PayBridge administrator (takes effect at their next sign-in)
 *   revoke-admin <email>   make them an ordinary owner again
 *   new-jwt-keys [old.json] print a JWK set with a new Ed25519 signing key first, keeping the
 *                           keys of old.json (if given) for verification: store it in the
 *                           stack's JWT secret to rotate (see README, Deploy)
 *
 * It talks to the table named by TABLE_NAME with the usual AWS credentials (cloud), or, with no
 * TABLE_NAME, to the running `npm start` (its `.local/stack.json` says where): it needs nothing else.
 */
import { readFileSync } from 'node:fs';
import { normalizeEmail } from '#core/credentials';
import { setRole } from '#store/identity';
import { localAwsEnv } from './resources.ts';
import { generateJwtKeys } from './stack.ts';
import { readStackState } from './state.ts';

const [command, arg] = process.argv.slice(2);

/** The table to work on: TABLE_NAME (cloud), else the running local stack's; undefined if neither. */
function useTable(): boolean {
  if (process.env.TABLE_NAME) return true;
  const state = readStackState();
  if (state.dynamodb === undefined || state.table === undefined) return false;
  Object.assign(process.env, localAwsEnv, {
    TABLE_NAME: state.table,
    AWS_ENDPOINT_URL_DYNAMODB: state.dynamodb,
  });
  return true;
}

async function main(): Promise<number> {
  switch (command ?? '') {
    case 'grant-admin':
    case 'revoke-admin': {
      if (!arg) return usage();
      if (!useTable()) {
        console.error(
          'No table: set TABLE_NAME (and AWS credentials) for a deployed stack, or start `npm start`.',
        );
        return 1;
      }
      const ok = await setRole(normalizeEmail(arg), command === 'grant-admin' ? 'admin' : 'owner');
      console.log(ok ? `${arg}: ${command === 'grant-admin' ? 'admin' : 'owner'}` : `${arg}: no such user`);
      return ok ? 0 : 1;
    }
    case 'new-jwt-keys': {
      const fresh = JSON.parse(generateJwtKeys()) as { keys: unknown[] };
      const old = arg ? ((JSON.parse(readFileSync(arg, 'utf8')) as { keys?: unknown[] }).keys ?? []) : [];
      // Keep at most two older keys: enough to verify tokens minted in the last 15 minutes.
      console.log(JSON.stringify({ keys: [...fresh.keys, ...old.slice(0, 2)] }));
      return 0;
    }
    default:
      return usage();
  }
}

function usage(): number {
  console.error(
    'usage: npm run admin -- grant-admin <email> | revoke-admin <email> | new-jwt-keys [old.json]',
  );
  return 2;
}

process.exit(await main());
