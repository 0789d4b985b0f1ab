import type { Actor, MerchantActor } from '#core/actor';
import { Forbidden } from '#core/errors';
import type { Deps } from '#core/identity';
import { identityStore } from '#store/identity';
import { accessTokenTtlSeconds, signAccessToken } from '#edge/jwt';

/**
 * The identity domain wired to DynamoDB and our JWT signer, once per cold start.
 * The mail port is added by the three handlers that send mail (`withMail`), so
 * a mail adapter's SDK never reaches another function's bundle.
 */
export const identity: Deps = {
  store: identityStore,
  tokens: { sign: signAccessToken, accessTokenTtlSeconds },
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
