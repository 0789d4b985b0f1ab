/**
 * `npm run admin -- <command>`: operator commands that are deliberately not API routes.
 *
 *   grant-admin <email>      make a user a PayBridge administrator (only once they verified their email
 *                            address by its link: an unverified or grandfathered address is refused)
 *   revoke-admin <email>     make them an ordinary owner again
 *   suspend-user <email>     no sign-in, no refresh, no admin route
 *   reinstate-user <email>   undo suspend-user
 *     Each of these ends every session of the user: admin routes refuse its access
 *     tokens at once, other routes when they expire (5 minutes), and refresh fails.
 *     The merchant's owner sees a security event.
 *   new-jwt-keys [old.json]  print a JWK signing set with a new Ed25519 key first, keeping
 *                            the keys of old.json (if given) for verification
 *   public-jwt-keys <set.json>  print the public half of a signing set: the verification set
 *                            (see README, Deploy, for the rotation order)
 *   set-max-amount <merchantId> <test|live> <CUR> <minor units|default>
 *                          a merchant's own maximum for one payment in one currency (the default
 *                          is core/money.ts `defaultMaxAmounts`; `default` removes the override)
 *   set-refund-policy <merchantId> <test|live> <window days> <max refunds per payment>
 *                          a merchant's refund policy (default: 365 days, 10 refunds per payment)
 *   check-ledger <merchantId> <test|live>
 *                          proves the ledger invariant: postings balance, accounts sum to zero, each
 *                          payment's captured − succeeded refunds and the running balance agree
 *
 * It talks to the table named by TABLE_NAME with the usual AWS credentials (cloud), or, with no
 * TABLE_NAME, to the running `npm start` (its `.local/stack.json` says where): it needs nothing else.
 */
import { readFileSync } from 'node:fs';
import { normalizeEmail } from '#core/credentials';
import { isCurrency } from '#core/money';
import { checkMerchantLedger } from '#app/ledger-check';
import { setAmountLimit } from '#store/payments';
import { setRefundPolicy } from '#store/refunds';
import { emailProven } from '#core/identity';
import { identityStore, setRole, setStatus } from '#store/identity';
import { generateJwtKeys, localEnvFrom, publicJwkSet } from './stack.ts';
import { readStackState } from './state.ts';

const [command, arg, ...rest] = process.argv.slice(2);

/** The table to work on: TABLE_NAME (cloud), else the running local stack's; undefined if neither. */
function useTable(): boolean {
  if (process.env.TABLE_NAME) return true;
  const state = readStackState();
  if (state.values === undefined) return false;
  // The running stack's function environment, built as the stack builds it (lib/function-environment.ts).
  Object.assign(process.env, localEnvFrom(state.values));
  return true;
}

async function main(): Promise<number> {
  switch (command ?? '') {
    case 'grant-admin':
    case 'revoke-admin': {
      if (!arg) return usage();
      if (!useTable()) return noTable();
      const role = command === 'grant-admin' ? 'admin' : 'owner';
      const email = normalizeEmail(arg);
      if (role === 'admin') {
        // Only an address its owner proved by opening an emailed link: never a typo or someone else's.
        const login = await identityStore.getLogin(email);
        if (!login) {
          console.log(`${arg}: no such user`);
          return 1;
        }
        if (!emailProven(login)) {
          console.error(
            `${arg}: the email address is not verified; the user must open the verification link first (POST /v1/auth/verify-email/resend sends a new one). Not granted.`,
          );
          return 1;
        }
      }
      // The store checks the proof again in the same transaction as the change.
      const ok = await setRole(email, role, { requireProvenEmail: role === 'admin' });
      console.log(ok ? `${arg}: ${role} (sessions ended)` : `${arg}: no such user, or not verified`);
      return ok ? 0 : 1;
    }
    case 'suspend-user':
    case 'reinstate-user': {
      if (!arg) return usage();
      if (!useTable()) return noTable();
      const status = command === 'suspend-user' ? 'suspended' : 'active';
      const ok = await setStatus(normalizeEmail(arg), status);
      console.log(ok ? `${arg}: ${status} (sessions ended)` : `${arg}: no such user`);
      return ok ? 0 : 1;
    }
    case 'set-max-amount': {
      const [mode, currency, amount] = rest;
      const max = amount === 'default' ? null : Number(amount);
      if (!arg || (mode !== 'test' && mode !== 'live') || !currency || !isCurrency(currency)) return usage();
      if (max !== null && (!Number.isSafeInteger(max) || max <= 0)) return usage();
      if (!useTable()) return noTable();
      await setAmountLimit(arg, mode, currency, max);
      console.log(`${arg} ${mode} ${currency}: ${max === null ? 'default maximum' : `at most ${max}`}`);
      return 0;
    }
    case 'set-refund-policy': {
      const [mode, days, max] = rest;
      const windowDays = Number(days);
      const maxRefundsPerPayment = Number(max);
      if (!arg || (mode !== 'test' && mode !== 'live')) return usage();
      if (!Number.isSafeInteger(windowDays) || windowDays < 1 || windowDays > 3650) return usage();
      if (
        !Number.isSafeInteger(maxRefundsPerPayment) ||
        maxRefundsPerPayment < 1 ||
        maxRefundsPerPayment > 100
      ) {
        return usage();
      }
      if (!useTable()) return noTable();
      await setRefundPolicy(arg, mode, { windowDays, maxRefundsPerPayment });
      console.log(
        `${arg} ${mode}: refunds within ${windowDays} days, at most ${maxRefundsPerPayment} per payment`,
      );
      return 0;
    }
    case 'check-ledger': {
      const [mode] = rest;
      if (!arg || (mode !== 'test' && mode !== 'live')) return usage();
      if (!useTable()) return noTable();
      const problems = await checkMerchantLedger(arg, mode);
      for (const p of problems) console.log(`${p.kind}: ${p.message}`);
      console.log(
        problems.length === 0 ? `${arg} ${mode}: the ledger holds` : `${problems.length} problem(s)`,
      );
      return problems.length === 0 ? 0 : 1;
    }
    case 'new-jwt-keys': {
      const fresh = JSON.parse(generateJwtKeys()) as { keys: unknown[] };
      const old = arg ? ((JSON.parse(readFileSync(arg, 'utf8')) as { keys?: unknown[] }).keys ?? []) : [];
      // Keep at most two older keys: enough to verify tokens minted in the last 5 minutes.
      console.log(JSON.stringify({ keys: [...fresh.keys, ...old.slice(0, 2)] }));
      return 0;
    }
    case 'public-jwt-keys': {
      if (!arg) return usage();
      console.log(publicJwkSet(readFileSync(arg, 'utf8')));
      return 0;
    }
    default:
      return usage();
  }
}

function noTable(): number {
  console.error('No table: set TABLE_NAME (and AWS credentials) for a deployed stack, or start `npm start`.');
  return 1;
}

function usage(): number {
  console.error(
    'usage: npm run admin -- grant-admin <email> | revoke-admin <email> | suspend-user <email> | reinstate-user <email>\n' +
      '       | new-jwt-keys [old.json] | public-jwt-keys <set.json>\n' +
      '       | set-max-amount <merchantId> <test|live> <CUR> <minor units|default>\n' +
      '       | set-refund-policy <merchantId> <test|live> <days> <max refunds> | check-ledger <merchantId> <test|live>',
  );
  return 2;
}

process.exit(await main());
