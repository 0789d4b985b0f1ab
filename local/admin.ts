/**
 * `npm run admin -- <command>`: operator commands that are deliberately not API routes.
 *
 *   grant-admin <email>    make a user a PayBridge administrator (takes effect at their next sign-in)
 *   revoke-admin <email>   make them an ordinary owner again
 *   set-max-amount <merchantId> <test|live> <CUR> <minor units|default>
 *                          a merchant's own maximum for one payment in one currency (the default
 *                          is core/money.ts `defaultMaxAmounts`; `default` removes the override)
 *   new-jwt-keys [old.json] print a JWK set with a new Ed25519 signing key first, keeping the
 *                           keys of old.json (if given) for verification: store it in the
 *                           stack's JWT secret to rotate (see README, Deploy)
 *
 * It talks to the table named by TABLE_NAME with the usual AWS credentials; for
 * the local stack: TABLE_NAME=paybridge-local AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000
 * AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local npm run admin -- …
 */
import { readFileSync } from 'node:fs';
import { normalizeEmail } from '#core/credentials';
import { isCurrency } from '#core/money';
import { setAmountLimit } from '#store/payments';
import { setRole } from '#store/identity';
import { generateJwtKeys } from './stack.ts';

const [command, arg, ...rest] = process.argv.slice(2);

async function main(): Promise<number> {
  switch (command) {
    case 'grant-admin':
    case 'revoke-admin': {
      if (!arg) return usage();
      const ok = await setRole(normalizeEmail(arg), command === 'grant-admin' ? 'admin' : 'owner');
      console.log(ok ? `${arg}: ${command === 'grant-admin' ? 'admin' : 'owner'}` : `${arg}: no such user`);
      return ok ? 0 : 1;
    }
    case 'set-max-amount': {
      const [mode, currency, amount] = rest;
      const max = amount === 'default' ? null : Number(amount);
      if (!arg || (mode !== 'test' && mode !== 'live') || !currency || !isCurrency(currency)) return usage();
      if (max !== null && (!Number.isSafeInteger(max) || max <= 0)) return usage();
      await setAmountLimit(arg, mode, currency, max);
      console.log(`${arg} ${mode} ${currency}: ${max === null ? 'default maximum' : `at most ${max}`}`);
      return 0;
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
    'usage: npm run admin -- grant-admin <email> | revoke-admin <email> | new-jwt-keys [old.json]\n' +
      '       | set-max-amount <merchantId> <test|live> <CUR> <minor units|default>',
  );
  return 2;
}

process.exit(await main());
