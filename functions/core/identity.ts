import type { Actor, MerchantActor, Mode, RequestMeta, Role } from './actor.ts';
import {
  apiKeyMode,
  generateApiKey,
  newRefreshToken,
  normalizeEmail,
  parseRefreshToken,
  sha256,
} from './credentials.ts';
import { NotFound, RateLimited, Unauthenticated, ValidationFailed } from './errors.ts';
import { newId } from './ids.ts';
import { decoyHash, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';

/**
 * Merchant identity: accounts, dashboard sessions and API keys. This module
 * holds the rules; `IdentityStore` (implemented in store/identity.ts) holds the
 * data, and `TokenSigner` (platform/jwt.ts) mints access tokens.
 */

export interface Merchant {
  id: string;
  businessName: string;
  contactEmail: string;
  defaultCurrency: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface User {
  id: string;
  merchantId: string;
  email: string;
  role: Role;
  createdAt: string;
}

export interface Login {
  email: string;
  userId: string;
  merchantId: string;
  passwordHash: string;
  role: Role;
  /** Epoch ms of recent failed attempts. */
  failures: number[];
  lockedUntil: number | null;
}

export interface Session {
  familyId: string;
  userId: string;
  merchantId: string;
  email: string;
  role: Role;
  currentHash: string;
  revokedAt: string | null;
  /** Epoch seconds; also the item's TTL. */
  expiresAt: number;
}

export interface ApiKey {
  id: string;
  merchantId: string;
  mode: Mode;
  name: string;
  prefix: string;
  hash: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface AuditInput {
  readonly merchantId: string;
  readonly actor: Actor;
  readonly action: string;
  readonly target: { type: string; id: string };
  readonly meta: RequestMeta;
  readonly mode?: Mode;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
  nextCursor: string | null;
}

export interface IdentityStore {
  /** Creates merchant, owner, login and first session atomically; Conflict if the email is taken. */
  createAccount(
    merchant: Merchant,
    user: User,
    login: Login,
    session: Session,
    audit: AuditInput,
  ): Promise<void>;
  getLogin(email: string): Promise<Login | undefined>;
  /** Appends a failure; when `lockUntil` is given, also locks the login. */
  recordLoginFailure(
    email: string,
    at: number,
    keepSince: number,
    lockUntil: number | null,
  ): Promise<number[]>;
  clearLoginFailures(email: string): Promise<void>;
  createSession(session: Session, audit: AuditInput): Promise<void>;
  getSession(familyId: string): Promise<Session | undefined>;
  /** Swaps the current secret hash if it is still `expectedHash` and the family is live; false otherwise. */
  rotateSession(
    familyId: string,
    expectedHash: string,
    nextHash: string,
    expiresAt: number,
  ): Promise<boolean>;
  revokeSession(familyId: string, at: string, audit?: AuditInput): Promise<void>;
  getMerchant(merchantId: string): Promise<Merchant | undefined>;
  updateMerchant(
    merchantId: string,
    patch: Partial<Pick<Merchant, 'businessName' | 'contactEmail' | 'defaultCurrency'>>,
    at: string,
    audit: AuditInput,
  ): Promise<Merchant>;
  getUser(merchantId: string, userId: string): Promise<User | undefined>;
  createApiKey(key: ApiKey, audit: AuditInput): Promise<void>;
  listApiKeys(merchantId: string, limit: number, cursor?: string): Promise<Page<ApiKey>>;
  getApiKey(merchantId: string, keyId: string): Promise<ApiKey | undefined>;
  revokeApiKey(key: ApiKey, at: string, audit: AuditInput): Promise<void>;
  findApiKeyByHash(
    hash: string,
  ): Promise<Pick<ApiKey, 'id' | 'merchantId' | 'mode' | 'revokedAt'> | undefined>;
  recordSecurityEvent(
    merchantId: string | undefined,
    kind: 'login_failed' | 'account_locked' | 'refresh_token_reused',
    meta: RequestMeta,
    detail: Record<string, string>,
  ): Promise<void>;
}

export interface TokenSigner {
  sign(claims: {
    userId: string;
    merchantId: string;
    email: string;
    role: Role;
    sessionId: string;
  }): Promise<string>;
  readonly accessTokenTtlSeconds: number;
}

export interface Deps {
  readonly store: IdentityStore;
  readonly tokens: TokenSigner;
  readonly now?: () => Date;
}

export const refreshTokenTtlSeconds = 30 * 24 * 3600;
export const lockout = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 } as const;

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

const clock = (deps: Deps) => (deps.now ?? (() => new Date()))();

async function issueTokens(deps: Deps, session: Session, refreshToken: string): Promise<Tokens> {
  const accessToken = await deps.tokens.sign({
    userId: session.userId,
    merchantId: session.merchantId,
    email: session.email,
    role: session.role,
    sessionId: session.familyId,
  });
  return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: deps.tokens.accessTokenTtlSeconds };
}

function newSession(login: Pick<Login, 'userId' | 'merchantId' | 'email' | 'role'>, now: Date) {
  const familyId = newId('ses');
  const refresh = newRefreshToken(familyId);
  const session: Session = {
    familyId,
    userId: login.userId,
    merchantId: login.merchantId,
    email: login.email,
    role: login.role,
    currentHash: refresh.hash,
    revokedAt: null,
    expiresAt: Math.floor(now.getTime() / 1000) + refreshTokenTtlSeconds,
  };
  return { session, refresh };
}

/** Creates a merchant and its owner, and signs the owner in. */
export async function register(
  deps: Deps,
  input: { email: string; password: string; businessName: string },
  meta: RequestMeta,
): Promise<{ merchant: Merchant; user: User } & Tokens> {
  const email = normalizeEmail(input.email);
  const problem = passwordProblem(input.password, email);
  if (problem) throw new ValidationFailed('weak_password', problem, 'password', 422);
  const now = clock(deps);
  const at = now.toISOString();
  const merchant: Merchant = {
    id: newId('mer'),
    businessName: input.businessName.trim(),
    contactEmail: email,
    defaultCurrency: null,
    createdAt: at,
    updatedAt: at,
  };
  const user: User = { id: newId('usr'), merchantId: merchant.id, email, role: 'owner', createdAt: at };
  const login: Login = {
    email,
    userId: user.id,
    merchantId: merchant.id,
    passwordHash: await hashPassword(input.password),
    role: 'owner',
    failures: [],
    lockedUntil: null,
  };
  const { session, refresh } = newSession(login, now);
  await deps.store.createAccount(merchant, user, login, session, {
    merchantId: merchant.id,
    actor: { kind: 'anonymous' },
    action: 'merchant.created',
    target: { type: 'merchant', id: merchant.id },
    meta,
  });
  return { merchant, user, ...(await issueTokens(deps, session, refresh.token)) };
}

const badLogin = () => new Unauthenticated('invalid_credentials', 'The email or password is incorrect.');

/**
 * Signs a user in. An unknown email and a wrong password get the same answer in
 * the same time; five failures in 15 minutes lock the login for 15 minutes.
 */
export async function login(
  deps: Deps,
  input: { email: string; password: string },
  meta: RequestMeta,
): Promise<Tokens> {
  const email = normalizeEmail(input.email);
  const now = clock(deps);
  const record = await deps.store.getLogin(email);
  if (!record) {
    await verifyPassword(input.password, await decoyHash());
    await deps.store.recordSecurityEvent(undefined, 'login_failed', meta, { reason: 'unknown_email' });
    throw badLogin();
  }
  if (record.lockedUntil && record.lockedUntil > now.getTime()) {
    throw new RateLimited(
      'account_locked',
      'Too many failed sign-ins. Try again later.',
      Math.ceil((record.lockedUntil - now.getTime()) / 1000),
    );
  }
  if (!(await verifyPassword(input.password, record.passwordHash))) {
    const since = now.getTime() - lockout.windowMs;
    const recent = record.failures.filter((t) => t > since).length + 1;
    const lock = recent >= lockout.maxFailures ? now.getTime() + lockout.lockMs : null;
    await deps.store.recordLoginFailure(email, now.getTime(), since, lock);
    await deps.store.recordSecurityEvent(record.merchantId, lock ? 'account_locked' : 'login_failed', meta, {
      userId: record.userId,
      failures: String(recent),
    });
    if (lock) {
      throw new RateLimited(
        'account_locked',
        'Too many failed sign-ins. Try again later.',
        lockout.lockMs / 1000,
      );
    }
    throw badLogin();
  }
  if (record.failures.length > 0 || record.lockedUntil) await deps.store.clearLoginFailures(email);
  const { session, refresh } = newSession(record, now);
  await deps.store.createSession(session, {
    merchantId: record.merchantId,
    actor: { kind: 'anonymous' },
    action: 'session.created',
    target: { type: 'user', id: record.userId },
    meta,
  });
  return issueTokens(deps, session, refresh.token);
}

/**
 * Rotates a refresh token. Presenting a secret that is no longer the family's
 * current one (already used) revokes the whole family.
 */
export async function refresh(deps: Deps, token: string, meta: RequestMeta): Promise<Tokens> {
  const invalid = () =>
    new Unauthenticated('invalid_refresh_token', 'The refresh token is invalid or expired.');
  const parsed = parseRefreshToken(token);
  if (!parsed) throw invalid();
  const now = clock(deps);
  const session = await deps.store.getSession(parsed.familyId);
  if (!session || session.revokedAt || session.expiresAt <= now.getTime() / 1000) throw invalid();
  const next = newRefreshToken(session.familyId);
  const expiresAt = Math.floor(now.getTime() / 1000) + refreshTokenTtlSeconds;
  if (
    session.currentHash !== parsed.hash ||
    !(await deps.store.rotateSession(session.familyId, parsed.hash, next.hash, expiresAt))
  ) {
    await deps.store.revokeSession(session.familyId, now.toISOString());
    await deps.store.recordSecurityEvent(session.merchantId, 'refresh_token_reused', meta, {
      userId: session.userId,
      sessionId: session.familyId,
    });
    throw invalid();
  }
  return issueTokens(deps, { ...session, currentHash: next.hash, expiresAt }, next.token);
}

/** Ends the caller's dashboard session: its refresh family stops working. */
export async function logout(
  deps: Deps,
  actor: Extract<Actor, { kind: 'user' }>,
  meta: RequestMeta,
): Promise<void> {
  await deps.store.revokeSession(actor.sessionId, clock(deps).toISOString(), {
    merchantId: actor.merchantId,
    actor,
    action: 'session.revoked',
    target: { type: 'user', id: actor.userId },
    meta,
  });
}

/** The caller's merchant, and the user when signed in to the dashboard (an API key has none). */
export async function getMe(deps: Deps, actor: MerchantActor) {
  const [merchant, user] = await Promise.all([
    deps.store.getMerchant(actor.merchantId),
    actor.kind === 'user' ? deps.store.getUser(actor.merchantId, actor.userId) : Promise.resolve(null),
  ]);
  if (!merchant || user === undefined) throw new NotFound('resource_missing', 'No such merchant.');
  return { merchant, user, mode: actor.mode };
}

export async function updateMe(
  deps: Deps,
  actor: Extract<Actor, { kind: 'user' }>,
  patch: {
    businessName?: string | undefined;
    contactEmail?: string | undefined;
    defaultCurrency?: string | null | undefined;
  },
  meta: RequestMeta,
) {
  const clean = {
    ...(patch.businessName === undefined ? {} : { businessName: patch.businessName.trim() }),
    ...(patch.contactEmail === undefined ? {} : { contactEmail: normalizeEmail(patch.contactEmail) }),
    ...(patch.defaultCurrency === undefined ? {} : { defaultCurrency: patch.defaultCurrency }),
  };
  const merchant = await deps.store.updateMerchant(actor.merchantId, clean, clock(deps).toISOString(), {
    merchantId: actor.merchantId,
    actor,
    action: 'merchant.updated',
    target: { type: 'merchant', id: actor.merchantId },
    meta,
  });
  const user = await deps.store.getUser(actor.merchantId, actor.userId);
  return { merchant, user };
}

/** What the API shows of a key: never the secret or its hash. */
export const publicApiKey = ({ hash: _hash, merchantId: _m, ...rest }: ApiKey) => rest;

/** Creates an API key; the secret is returned once and only its hash is kept. */
export async function createApiKey(
  deps: Deps,
  actor: MerchantActor,
  input: { name: string; mode: Mode },
  meta: RequestMeta,
) {
  const generated = generateApiKey(input.mode);
  const key: ApiKey = {
    id: newId('key'),
    merchantId: actor.merchantId,
    mode: input.mode,
    name: input.name.trim(),
    prefix: generated.prefix,
    hash: generated.hash,
    createdAt: clock(deps).toISOString(),
    lastUsedAt: null,
    revokedAt: null,
  };
  await deps.store.createApiKey(key, {
    merchantId: actor.merchantId,
    actor,
    action: 'api_key.created',
    target: { type: 'api_key', id: key.id },
    meta,
    mode: input.mode,
  });
  return { ...publicApiKey(key), key: generated.secret };
}

/** Revokes a key of the caller's merchant; revoking twice is harmless. */
export async function revokeApiKey(deps: Deps, actor: MerchantActor, keyId: string, meta: RequestMeta) {
  const key = await deps.store.getApiKey(actor.merchantId, keyId);
  if (!key) throw new NotFound('resource_missing', 'No such API key.', 'id');
  if (key.revokedAt) return publicApiKey(key);
  const at = clock(deps).toISOString();
  await deps.store.revokeApiKey(key, at, {
    merchantId: actor.merchantId,
    actor,
    action: 'api_key.revoked',
    target: { type: 'api_key', id: key.id },
    meta,
    mode: key.mode,
  });
  return publicApiKey({ ...key, revokedAt: at });
}

/** Resolves an API key secret to its merchant and mode; undefined if unknown or revoked. */
export async function authenticateApiKey(
  deps: Pick<Deps, 'store'>,
  secret: string,
): Promise<Extract<Actor, { kind: 'apiKey' }> | undefined> {
  const mode = apiKeyMode(secret);
  if (!mode) return undefined;
  const key = await deps.store.findApiKeyByHash(sha256(secret));
  if (!key || key.revokedAt || key.mode !== mode) return undefined;
  return { kind: 'apiKey', merchantId: key.merchantId, mode: key.mode, keyId: key.id };
}
