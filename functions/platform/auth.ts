import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Actor } from '#core/actor';
import { Forbidden, Unauthenticated, ValidationFailed } from '#core/errors';
import { authenticateApiKey } from '#core/identity';
import { sha256 } from '#core/credentials';
import { identityStore, touchApiKey } from '#store/identity';
import type { Credential } from '../routes.ts';
import { verifyAccessToken } from './jwt.ts';
import { logger } from './logger.ts';
import { header } from './request.ts';

export type { Actor };

/**
 * API-key results are cached per container for a few seconds: it keeps an
 * authenticated request at zero extra DynamoDB reads on a warm function, and a
 * revoked key stops working within `apiKeyCacheMs`.
 */
export const apiKeyCacheMs = 5_000;
const apiKeyCache = new Map<
  string,
  { actor: Extract<Actor, { kind: 'apiKey' }> | undefined; until: number }
>();

/**
 * `lastUsedAt` is written at most once per 5 minutes per key and container, and
 * awaited: a write left in flight could be frozen with the Lambda sandbox.
 */
const touchEveryMs = 5 * 60_000;
const lastTouched = new Map<string, number>();
async function recordUse(merchantId: string, keyId: string, now: number): Promise<void> {
  if ((lastTouched.get(keyId) ?? 0) > now - touchEveryMs) return;
  lastTouched.set(keyId, now);
  if (lastTouched.size > 1000) lastTouched.clear();
  try {
    await touchApiKey(merchantId, keyId, new Date(now));
  } catch (error) {
    logger.warn('could not record API key use', { error: error as Error });
  }
}

async function apiKeyActor(secret: string): Promise<Extract<Actor, { kind: 'apiKey' }>> {
  const cacheKey = sha256(secret);
  const now = Date.now();
  let entry = apiKeyCache.get(cacheKey);
  if (!entry || entry.until < now) {
    const actor = await authenticateApiKey({ store: identityStore }, secret);
    entry = { actor, until: now + apiKeyCacheMs };
    if (apiKeyCache.size > 1000) apiKeyCache.clear();
    apiKeyCache.set(cacheKey, entry);
    if (actor) await recordUse(actor.merchantId, actor.keyId, now);
  }
  if (!entry.actor)
    throw new Unauthenticated('invalid_api_key', 'The API key is invalid or has been revoked.');
  return entry.actor;
}

async function userActor(
  token: string,
  event: APIGatewayProxyEventV2,
): Promise<Extract<Actor, { kind: 'user' }>> {
  const claims = await verifyAccessToken(token);
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

/**
 * Checks the credential a route declares in the route table and returns the
 * caller. Every failure is a 401 (403 for a non-admin on an admin route) that
 * says what to send, never why a particular key failed.
 */
export async function authenticate(credential: Credential, event: APIGatewayProxyEventV2): Promise<Actor> {
  switch (credential) {
    case 'none':
    case 'providerSignature':
      return { kind: 'anonymous' };
    case 'apiKey': {
      const token = bearer(event);
      if (!looksLikeApiKey(token))
        throw new Unauthenticated('api_key_required', 'This route takes an API key (sk_…).');
      return apiKeyActor(token);
    }
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
      return looksLikeApiKey(token) ? apiKeyActor(token) : userActor(token, event);
    }
    case 'admin': {
      const token = bearer(event);
      if (looksLikeApiKey(token)) {
        throw new Unauthenticated(
          'dashboard_token_required',
          'This route takes a dashboard access token, not an API key.',
        );
      }
      const actor = await userActor(token, event);
      if (actor.role !== 'admin')
        throw new Forbidden('admin_only', 'This route is for PayBridge administrators.');
      return actor;
    }
  }
}
