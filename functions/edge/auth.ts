import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Actor, ApiKeyScope } from '#core/actor';
import { Forbidden, Unauthenticated, ValidationFailed } from '#core/errors';
import { assertMayUseLiveMode, authenticateApiKey, scopeAllows } from '#core/identity';
import { sha256 } from '#core/credentials';
import { identityStore, touchApiKey } from '#store/identity';
import type { Credential } from '#routes';
import { type AccessClaims, verifyAccessToken } from '#edge/jwt';
import { logger } from '#runtime/logger';
import { LruCache } from '#runtime/lru';
import { header } from '#edge/request';

export type { Actor };

/**
 * API-key results are cached per container for a few seconds: it keeps an
 * authenticated request at zero extra DynamoDB reads on a warm function, and a
 * revoked key stops working within `apiKeyCacheMs`. Both caches are bounded
 * LRUs, and failed lookups live in their own, for one second: a flood of
 * made-up keys only ever evicts other made-up keys, never a merchant's entry.
 */
export const apiKeyCacheMs = 5_000;
export const apiKeyMissCacheMs = 1_000;
export const apiKeyCacheMax = 1_000;
type KeyActor = Extract<Actor, { kind: 'apiKey' }>;
const apiKeyHits = new LruCache<string, { actor: KeyActor; until: number }>(apiKeyCacheMax);
const apiKeyMisses = new LruCache<string, number>(apiKeyCacheMax);

/**
 * `lastUsedAt` is written at most once per 5 minutes per key and container, and
 * awaited: a write left in flight could be frozen with the Lambda sandbox. It
 * runs on a cache refill only (every 5 s for a busy key), and the memory of
 * when a key was last written outlives the key cache's entries (ten times as
 * many keys), so a container serving more keys than the cache holds still
 * writes once per 5 minutes, not on every refill. The write's condition refuses
 * nothing in normal operation (store/identity.ts `touchApiKey`): with C warm
 * containers using a key, C writes per 5 minutes, each one recorded.
 */
const touchEveryMs = 5 * 60_000;
const lastTouched = new LruCache<string, number>(10 * apiKeyCacheMax);
async function recordUse(merchantId: string, keyId: string, now: number): Promise<void> {
  if ((lastTouched.get(keyId) ?? 0) > now - touchEveryMs) return;
  lastTouched.set(keyId, now);
  try {
    await touchApiKey(merchantId, keyId, new Date(now));
  } catch (error) {
    logger.warn('could not record API key use', { error: error as Error });
  }
}

async function apiKeyActor(secret: string): Promise<KeyActor> {
  const cacheKey = sha256(secret);
  const now = Date.now();
  const hit = apiKeyHits.get(cacheKey);
  if (hit && hit.until >= now) return hit.actor;
  const missUntil = apiKeyMisses.get(cacheKey);
  if (missUntil === undefined || missUntil < now) {
    const actor = await authenticateApiKey({ store: identityStore }, secret);
    if (actor) {
      apiKeyHits.set(cacheKey, { actor, until: now + apiKeyCacheMs });
      await recordUse(actor.merchantId, actor.keyId, now);
      return actor;
    }
    apiKeyHits.delete(cacheKey);
    apiKeyMisses.set(cacheKey, now + apiKeyMissCacheMs);
  }
  throw new Unauthenticated('invalid_api_key', 'The API key is invalid or has been revoked.');
}

/** Whether a valid key's result is cached (tests). */
export const apiKeyCached = (secret: string): boolean => apiKeyHits.has(sha256(secret));

async function userActor(
  token: string,
  event: APIGatewayProxyEventV2,
): Promise<Extract<Actor, { kind: 'user' }>> {
  return userActorOf(await verifyAccessToken(token), event);
}

function userActorOf(
  { sessionVersion: _version, ...claims }: AccessClaims,
  event: APIGatewayProxyEventV2,
): Extract<Actor, { kind: 'user' }> {
  const requested = header(event, 'paybridge-mode');
  if (requested !== undefined && requested !== 'test' && requested !== 'live') {
    throw new ValidationFailed(
      'invalid_mode',
      '`PayBridge-Mode` must be `test` or `live`.',
      'PayBridge-Mode',
    );
  }
  return { kind: 'user', ...claims, mode: requested ?? 'test' };
}

function bearer(event: APIGatewayProxyEventV2): string {
  const value = header(event, 'authorization');
  const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
  if (!match?.[1]) {
    throw new Unauthenticated(
      'missing_credentials',
      'Send your API key or access token as `Authorization: Bearer …`.',
    );
  }
  return match[1];
}

const looksLikeApiKey = (token: string) => token.startsWith('sk_');

/** A `server` key on a route that needs `full`: 403, naming the scope to ask for. */
async function scopedApiKeyActor(token: string, needed: ApiKeyScope) {
  const actor = await apiKeyActor(token);
  if (!scopeAllows(actor.scope, needed)) {
    throw new Forbidden(
      'insufficient_scope',
      `This API key's scope is \`${actor.scope}\`; this route needs a \`${needed}\` key (create one in the dashboard) or a dashboard session.`,
    );
  }
  return actor;
}

/**
 * An admin route re-reads the login on every call: the role, the status and
 * the session version must still be what the token says, so `revoke-admin`
 * (which bumps the version) takes effect at once, not when the token expires.
 */
async function adminActor(token: string, event: APIGatewayProxyEventV2) {
  const claims = await verifyAccessToken(token);
  const actor = userActorOf(claims, event);
  if (actor.role !== 'admin')
    throw new Forbidden('admin_only', 'This route is for PayBridge administrators.');
  const login = await identityStore.getLogin(actor.email);
  if (
    !login ||
    login.userId !== actor.userId ||
    login.role !== 'admin' ||
    (login.status ?? 'active') !== 'active' ||
    (login.sessionVersion ?? 0) !== claims.sessionVersion
  ) {
    throw new Forbidden('admin_only', 'This route is for PayBridge administrators.');
  }
  return actor;
}

/**
 * Verification only ever goes one way, so a container remembers verified users
 * (bounded LRU) and reads the login only for the others' live-mode requests.
 */
const verifiedUsers = new LruCache<string, true>(apiKeyCacheMax);

/** Whether a dashboard request acts in live mode: the `PayBridge-Mode` header, or a `mode` it names. */
function namesLiveMode(actor: Extract<Actor, { kind: 'user' }>, event: APIGatewayProxyEventV2): boolean {
  if (actor.mode === 'live') return true;
  if (event.queryStringParameters?.mode === 'live') return true;
  const raw = event.body;
  if (!raw || raw.length > 64 * 1024) return false;
  try {
    const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    const body = JSON.parse(text) as unknown;
    return typeof body === 'object' && body !== null && (body as { mode?: unknown }).mode === 'live';
  } catch {
    return false; // not JSON: the handler refuses it
  }
}

/**
 * Until its email address is verified, an account works in test mode only: a
 * dashboard request for live data (header, or `mode` in the query or body) is
 * refused with 403 `email_unverified`. `GET /v1/me` answers in any mode (it
 * shows `emailVerified`). API keys need no check: live keys are made only for
 * verified accounts (core/identity.ts `createApiKey`).
 */
async function refuseUnverifiedLive(
  actor: Extract<Actor, { kind: 'user' }>,
  event: APIGatewayProxyEventV2,
): Promise<void> {
  if (event.routeKey === 'GET /v1/me' || verifiedUsers.has(actor.userId)) return;
  if (!namesLiveMode(actor, event)) return;
  await assertMayUseLiveMode({ store: identityStore }, actor);
  verifiedUsers.set(actor.userId, true);
}

/**
 * Checks the credential a route declares in the route table and returns the
 * caller. Every failure is a 401 (403 for a non-admin on an admin route, or an
 * API key whose scope is too narrow) that says what to send, never why a
 * particular key failed.
 */
export async function authenticate(
  credential: Credential,
  event: APIGatewayProxyEventV2,
  apiKeyScope: ApiKeyScope = 'server',
): Promise<Actor> {
  switch (credential) {
    case 'none':
    case 'providerSignature':
      return { kind: 'anonymous' };
    case 'dashboard': {
      const token = bearer(event);
      if (looksLikeApiKey(token)) {
        throw new Unauthenticated(
          'dashboard_token_required',
          'This route takes a dashboard access token, not an API key.',
        );
      }
      return userActor(token, event);
    }
    case 'apiKeyOrDashboard': {
      const token = bearer(event);
      if (looksLikeApiKey(token)) return scopedApiKeyActor(token, apiKeyScope);
      const actor = await userActor(token, event);
      await refuseUnverifiedLive(actor, event);
      return actor;
    }
    case 'admin': {
      const token = bearer(event);
      if (looksLikeApiKey(token)) {
        throw new Unauthenticated(
          'dashboard_token_required',
          'This route takes a dashboard access token, not an API key.',
        );
      }
      return adminActor(token, event);
    }
  }
}
