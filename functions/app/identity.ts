import type { Actor, MerchantActor } from '#core/actor';
import { Forbidden } from '#core/errors';
import type { Deps } from '#core/identity';
import { listAllAudit, listAudit } from '#store/audit';
import { identityStore } from '#store/identity';
import { listMerchants } from '#store/merchants';
import { hit } from '#store/rate-limits';
import { listSecurityEvents } from '#store/security-events';
import { accessTokenTtlSeconds, signAccessToken } from '#edge/jwt';

const domain: Deps = {
  store: identityStore,
  tokens: { sign: signAccessToken, accessTokenTtlSeconds },
};

/**
 * The identity area (merchants, users, sessions, API keys, the audit log and
 * security events) wired to DynamoDB and our JWT signer, once per cold start:
 * the ports the domain's functions take (`login(identity, …)`) and the reads and
 * counters the handlers use. The three functions that send mail use
 * `mailingIdentity` (app/identity-mail.ts) instead, so a mail adapter's SDK never
 * reaches another function's bundle.
 */
export const identity = {
  ...domain,
  /** A merchant's audit log, newest first. */
  listAudit,
  /** Every merchant's audit log for one month (`yyyy-mm`), newest first: admins only. */
  listAllAudit,
  /** A merchant's security events, newest first. */
  listSecurityEvents,
  /** Every merchant, a page at a time: admins only. */
  listMerchants,
  /** One hit on a fixed-window counter (`kind`, `who`): allowed or not, and the seconds left. */
  rateLimit: hit,
};

/** Narrows the caller to a merchant credential (API key or dashboard user). */
export function requireMerchant(actor: Actor): MerchantActor {
  if (actor.kind === 'anonymous')
    throw new Forbidden('credentials_required', 'This route takes credentials.');
  return actor;
}

/** Narrows the caller to a dashboard user (routes whose credential is `dashboard` or `admin`). */
export function requireUser(actor: Actor): Extract<Actor, { kind: 'user' }> {
  if (actor.kind !== 'user') throw new Forbidden('dashboard_only', 'This route takes a dashboard session.');
  return actor;
}

/**
 * Merchant and mode of the caller (API key: the key's mode; dashboard:
 * `PayBridge-Mode`), the scope of every read and write it makes.
 */
export function callerOf(actor: MerchantActor) {
  return { merchantId: actor.merchantId, mode: actor.mode, actor };
}
