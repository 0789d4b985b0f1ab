import type { Actor, ApiKeyScope, MerchantActor, Mode, RequestMeta, Role } from './actor.ts';
import { randomBytes } from 'node:crypto';
import {
  apiKeyMode,
  generateApiKey,
  newRefreshSeed,
  newRefreshToken,
  nextRefreshToken,
  normalizeEmail,
  parseRefreshToken,
  sha256,
} from './credentials.ts';
import {
  Conflict,
  Forbidden,
  NotFound,
  RateLimited,
  Unauthenticated,
  Unavailable,
  ValidationFailed,
} from './errors.ts';
import { newId } from './ids.ts';
import { type MailSender, passwordResetEmail, verificationEmail } from './mail.ts';
import {
  decoyHash,
  type HashParams,
  hashPassword,
  needsRehash,
  passwordProblem,
  verifyPassword,
} from './passwords.ts';

/**
 * Merchant identity: accounts, dashboard sessions and API keys. This module
 * holds the rules; `IdentityStore` (implemented in store/identity.ts) holds the
 * data, and `TokenSigner` (edge/jwt.ts) mints access tokens.
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
  /**
   * Whether the user may act in live mode. False from sign-up until the emailed
   * link is opened; true for accounts made before verification existed
   * (grandfathered, SECURITY.md).
   */
  emailVerified: boolean;
  /** When the address was proven by a link (verification or password reset); null if never. */
  emailVerifiedAt: string | null;
}

export type UserStatus = 'active' | 'suspended';

export interface Login {
  email: string;
  userId: string;
  merchantId: string;
  passwordHash: string;
  role: Role;
  /** Missing on items made before it existed: active. */
  status?: UserStatus;
  /**
   * Bumped by a role change, a suspension and "sign out everywhere": a session
   * minted under another version is dead at its next refresh. Missing: 0.
   */
  sessionVersion?: number;
  /** Sign-in attempts counted in the window that started at `failWindowStart` (epoch ms). */
  failCount?: number;
  failWindowStart?: number | null;
  lockedUntil: number | null;
  /**
   * When the address was proven by an emailed link. `null`: not yet (test mode
   * only). Missing: an account from before email verification, grandfathered as
   * verified for live mode but not proven (admin needs a proven address).
   */
  emailVerifiedAt?: string | null;
}

/** What a single-use emailed link is for. */
export type EmailTokenPurpose = 'verify_email' | 'password_reset';

/**
 * A single-use emailed link's record. Only the SHA-256 of the link's token is
 * stored: the table (and its backups) never hold a usable link.
 */
export interface EmailToken {
  hash: string;
  purpose: EmailTokenPurpose;
  email: string;
  userId: string;
  merchantId: string;
  /** The login's session version when sent: a password change or "sign out everywhere" since voids a reset link. */
  sessionVersion: number;
  createdAt: string;
  /** Epoch seconds. */
  expiresAt: number;
  usedAt: string | null;
}

export interface Session {
  familyId: string;
  userId: string;
  merchantId: string;
  email: string;
  /** The role at sign-in, for the record only: every refresh re-reads the login's. */
  role: Role;
  currentHash: string;
  revokedAt: string | null;
  /** Epoch seconds: idle expiry (slides on refresh, never past `absoluteExpiresAt`); also the TTL. */
  expiresAt: number;
  /** Epoch seconds: the family's hard end, fixed at sign-in. Missing on older families: `expiresAt`. */
  absoluteExpiresAt?: number;
  /** The login's `sessionVersion` at sign-in. Missing: 0. */
  sessionVersion?: number;
  /** Keys the derivation of the next secret (credentials.ts, nextRefreshToken). Missing: no grace. */
  seed?: string;
  /** Epoch ms of the last rotation. */
  rotatedAt?: number;
}

export interface ApiKey {
  id: string;
  merchantId: string;
  mode: Mode;
  name: string;
  /** Missing on keys made before scopes existed: those keep full access (SECURITY.md). */
  scope?: ApiKeyScope;
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

/** What a security event records about a change an owner must be told about. */
export interface SecurityNote {
  readonly merchantId: string;
  readonly kind: SecurityEventKind;
  readonly meta: RequestMeta;
  readonly detail: Record<string, string>;
}

export type SecurityEventKind =
  | 'login_failed'
  | 'account_locked'
  | 'refresh_token_reused'
  | 'api_key_rejected'
  | 'webhook_signature_rejected'
  /** A provider's payments settle only through the reconciliation sweeper: its webhook URL is probably wrong. */
  | 'provider_webhooks_silent'
  | 'api_key_created'
  | 'api_key_revoked'
  | 'provider_credentials_changed'
  | 'provider_credentials_removed'
  | 'webhook_endpoint_created'
  | 'webhook_endpoint_changed'
  | 'webhook_endpoint_deleted'
  | 'webhook_secret_rotated'
  | 'sessions_revoked'
  | 'password_changed'
  | 'role_changed'
  | 'email_verified'
  | 'password_reset';

/** The outcome of claiming one sign-in attempt (IdentityStore.claimLoginAttempt). */
export type AttemptClaim =
  | { readonly kind: 'claimed'; readonly login: Login; readonly attempt: number }
  | { readonly kind: 'refused'; readonly retryAfterMs: number }
  | { readonly kind: 'unknown' };

export interface IdentityStore {
  /** Creates merchant, owner, login and first session atomically; Conflict if the email is taken. */
  createAccount(
    merchant: Merchant,
    user: User,
    login: Login,
    session: Session,
    audit: AuditInput,
    verification?: EmailToken,
  ): Promise<void>;
  getLogin(email: string): Promise<Login | undefined>;
  /** Stores an emailed link's record (its hash), expiring with it. */
  putEmailToken(token: EmailToken): Promise<void>;
  getEmailToken(hash: string): Promise<EmailToken | undefined>;
  /**
   * Consumes a verification token and marks the login and the user verified at
   * `at` (unless `alreadyVerified`), with the owner's security event, in one transaction:
   * `used` if the token was consumed meanwhile or has expired, `gone` if the login changed hands.
   */
  verifyEmail(
    token: EmailToken,
    at: string,
    alreadyVerified: boolean,
    note: SecurityNote,
  ): Promise<'ok' | 'used' | 'gone'>;
  /**
   * Consumes a reset token and sets the password hash, bumping the session version
   * (every session ends) and clearing the lockout, in one transaction; also marks the
   * address proven when `verifyAt` is given. `used`: consumed meanwhile or expired;
   * `stale`: the login's session version is no longer the token's.
   */
  resetPassword(
    token: EmailToken,
    next: string,
    at: string,
    verifyAt: string | undefined,
    audit: AuditInput,
    note: SecurityNote,
  ): Promise<'ok' | 'used' | 'stale'>;
  /**
   * Counts one sign-in attempt against the login, atomically and before any
   * password is hashed: `claimed` with the attempt's number in the current
   * window (at most `max`); `refused` while the login is locked or the window's
   * attempts are spent; `unknown` when there is no such login.
   */
  claimLoginAttempt(email: string, now: number, windowMs: number, max: number): Promise<AttemptClaim>;
  /** Locks the login until `until` (epoch ms) and starts a new window after it. */
  lockLogin(email: string, until: number): Promise<void>;
  clearLoginFailures(email: string): Promise<void>;
  /** Replaces the password hash if it is still `expected` (transparent rehash at sign-in). */
  replacePasswordHash(email: string, expected: string, next: string): Promise<void>;
  createSession(session: Session, audit: AuditInput): Promise<void>;
  getSession(familyId: string): Promise<Session | undefined>;
  /** Swaps the current secret hash if it is still `expectedHash` and the family is live; false otherwise. */
  rotateSession(
    familyId: string,
    expectedHash: string,
    next: { hash: string; expiresAt: number; absoluteExpiresAt: number; rotatedAt: number },
  ): Promise<boolean>;
  revokeSession(familyId: string, at: string, audit?: AuditInput): Promise<void>;
  /**
   * Replaces the password hash if it is still `expected` and bumps the session
   * version, audited and noticed; Conflict if the hash changed meanwhile.
   */
  changePassword(
    email: string,
    expected: string,
    next: string,
    audit: AuditInput,
    note: SecurityNote,
  ): Promise<void>;
  /** Bumps the login's session version: every session of the user dies at its next refresh. */
  revokeAllSessions(email: string, audit: AuditInput, note: SecurityNote): Promise<void>;
  getMerchant(merchantId: string): Promise<Merchant | undefined>;
  updateMerchant(
    merchantId: string,
    patch: Partial<Pick<Merchant, 'businessName' | 'contactEmail' | 'defaultCurrency'>>,
    at: string,
    audit: AuditInput,
  ): Promise<Merchant>;
  getUser(merchantId: string, userId: string): Promise<User | undefined>;
  createApiKey(key: ApiKey & { scope: ApiKeyScope }, audit: AuditInput, note: SecurityNote): Promise<void>;
  listApiKeys(merchantId: string, limit: number, cursor?: string): Promise<Page<ApiKey>>;
  getApiKey(merchantId: string, keyId: string): Promise<ApiKey | undefined>;
  revokeApiKey(key: ApiKey, at: string, audit: AuditInput, note: SecurityNote): Promise<void>;
  findApiKeyByHash(
    hash: string,
  ): Promise<Pick<ApiKey, 'id' | 'merchantId' | 'mode' | 'revokedAt' | 'scope'> | undefined>;
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
    sessionVersion: number;
  }): Promise<string>;
  readonly accessTokenTtlSeconds: number;
}

export interface Deps {
  readonly store: IdentityStore;
  readonly tokens: TokenSigner;
  readonly now?: () => Date;
  /** Argon2id cost for new hashes (OWASP's by default). */
  readonly passwordHashing?: HashParams;
  /** Where verification and reset links go out (runtime/mail.ts); none: no mail is sent. */
  readonly mail?: MailSender;
}

/** A refresh family lives at most this long from sign-in, however often it is used. */
export const refreshTokenTtlSeconds = 30 * 24 * 3600;
/** …and dies after this long unused. */
export const refreshIdleSeconds = 7 * 24 * 3600;
/**
 * The secret a family rotated away from a moment ago is still answered (with the
 * same next token) for this long: two tabs refreshing at once are not a theft.
 */
export const refreshGraceMs = 10_000;
export const lockout = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 } as const;

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

const clock = (deps: Deps) => (deps.now ?? (() => new Date()))();

async function issueTokens(
  deps: Deps,
  who: Pick<Login, 'userId' | 'merchantId' | 'email' | 'role' | 'sessionVersion'>,
  familyId: string,
  refreshToken: string,
): Promise<Tokens> {
  const accessToken = await deps.tokens.sign({
    userId: who.userId,
    merchantId: who.merchantId,
    email: who.email,
    role: who.role,
    sessionId: familyId,
    sessionVersion: who.sessionVersion ?? 0,
  });
  return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: deps.tokens.accessTokenTtlSeconds };
}

function newSession(
  login: Pick<Login, 'userId' | 'merchantId' | 'email' | 'role' | 'sessionVersion'>,
  now: Date,
) {
  const familyId = newId('ses');
  const refresh = newRefreshToken(familyId);
  const at = Math.floor(now.getTime() / 1000);
  const absoluteExpiresAt = at + refreshTokenTtlSeconds;
  const session: Session = {
    familyId,
    userId: login.userId,
    merchantId: login.merchantId,
    email: login.email,
    role: login.role,
    currentHash: refresh.hash,
    revokedAt: null,
    expiresAt: Math.min(at + refreshIdleSeconds, absoluteExpiresAt),
    absoluteExpiresAt,
    sessionVersion: login.sessionVersion ?? 0,
    seed: newRefreshSeed(),
    rotatedAt: now.getTime(),
  };
  return { session, refresh };
}

/** A verification link lives this long (seconds). */
export const verificationTtlSeconds = 24 * 3600;
/** A password-reset link lives this long (seconds). */
export const passwordResetTtlSeconds = 3600;
/** Expired and used token records stay this long past expiry (to say "expired", not "invalid"), then TTL. */
export const emailTokenRetentionSeconds = 7 * 24 * 3600;

const tokenPrefix: Record<EmailTokenPurpose, string> = { verify_email: 'pbv_', password_reset: 'pbr_' };
/** Where emailed links open: the dashboard's own pages (served as its index locally and by CloudFront). */
export const linkPath: Record<EmailTokenPurpose, string> = {
  verify_email: '/verify-email',
  password_reset: '/reset-password',
};

/**
 * A new emailed link: 32 random bytes (the token), of which only the SHA-256 is
 * kept. The token travels in the link's fragment (`#token=`), which browsers
 * never send to a server: it stays out of access logs and `Referer` headers.
 */
function newEmailToken(
  purpose: EmailTokenPurpose,
  login: Pick<Login, 'email' | 'userId' | 'merchantId' | 'sessionVersion'>,
  now: Date,
  linkBase: string,
): { token: string; record: EmailToken; link: string; ttlSeconds: number } {
  const token = `${tokenPrefix[purpose]}${randomBytes(32).toString('base64url')}`;
  const ttlSeconds = purpose === 'verify_email' ? verificationTtlSeconds : passwordResetTtlSeconds;
  const record: EmailToken = {
    hash: sha256(token),
    purpose,
    email: login.email,
    userId: login.userId,
    merchantId: login.merchantId,
    sessionVersion: login.sessionVersion ?? 0,
    createdAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + ttlSeconds,
    usedAt: null,
  };
  const link = `${linkBase.replace(/\/+$/, '')}${linkPath[purpose]}#token=${token}`;
  return { token, record, link, ttlSeconds };
}

/** Hands a message to the mail port; a failure is the caller's to log, never the request's. */
async function sendMail(deps: Deps, message: Parameters<MailSender['send']>[0]): Promise<boolean> {
  if (!deps.mail) return false;
  try {
    await deps.mail.send(message);
    return true;
  } catch {
    return false;
  }
}

/** May act in live mode: a verified address, or an account from before verification (grandfathered). */
export const emailVerified = (login: Pick<Login, 'emailVerifiedAt'>): boolean =>
  login.emailVerifiedAt !== null;
/** The address was proven by a link (what admin needs; grandfathered accounts have not). */
export const emailProven = (login: Pick<Login, 'emailVerifiedAt'>): boolean =>
  typeof login.emailVerifiedAt === 'string';

/** What a dashboard user of an unverified account gets for anything live. */
export const emailUnverified = (email: string) =>
  new Forbidden(
    'email_unverified',
    `Verify your email address to use live mode: open the link we sent to ${email} (ask for a new one with POST /v1/auth/verify-email/resend). Test mode works meanwhile.`,
  );

/** Refuses live mode to a dashboard user whose address is not verified. */
export async function assertMayUseLiveMode(
  deps: Pick<Deps, 'store'>,
  actor: Extract<Actor, { kind: 'user' }>,
): Promise<void> {
  const login = await deps.store.getLogin(actor.email);
  if (!login || login.userId !== actor.userId || !emailVerified(login)) throw emailUnverified(actor.email);
}

/** Creates a merchant and its owner, signs the owner in, and emails a verification link. */
export async function register(
  deps: Deps,
  input: { email: string; password: string; businessName: string },
  meta: RequestMeta,
  linkBase = '',
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
  const user: User = {
    id: newId('usr'),
    merchantId: merchant.id,
    email,
    role: 'owner',
    createdAt: at,
    emailVerified: false,
    emailVerifiedAt: null,
  };
  const login: Login = {
    email,
    userId: user.id,
    merchantId: merchant.id,
    passwordHash: await hashPassword(input.password, deps.passwordHashing),
    role: 'owner',
    status: 'active',
    sessionVersion: 0,
    failCount: 0,
    failWindowStart: null,
    lockedUntil: null,
    emailVerifiedAt: null,
  };
  const { session, refresh } = newSession(login, now);
  const verification = newEmailToken('verify_email', login, now, linkBase);
  await deps.store.createAccount(
    merchant,
    user,
    login,
    session,
    {
      merchantId: merchant.id,
      actor: { kind: 'anonymous' },
      action: 'merchant.created',
      target: { type: 'merchant', id: merchant.id },
      meta,
    },
    verification.record,
  );
  // After the commit: a mail failure leaves an account that can ask for another link.
  await sendMail(deps, verificationEmail(email, verification.link, verification.ttlSeconds));
  return { merchant, user, ...(await issueTokens(deps, login, session.familyId, refresh.token)) };
}

const badLogin = () => new Unauthenticated('invalid_credentials', 'The email or password is incorrect.');
const locked = (retryAfterMs: number) =>
  new RateLimited(
    'account_locked',
    'Too many failed sign-ins. Try again later.',
    Math.max(1, Math.ceil(retryAfterMs / 1000)),
  );

/**
 * The lockout, shared by sign-in and password change: claims an attempt (atomic,
 * before hashing), checks the password, and on the fifth failure locks the
 * login. Returns the login on success; `wrong` is what a wrong password throws.
 */
async function checkPassword(
  deps: Deps,
  email: string,
  password: string,
  meta: RequestMeta,
  now: Date,
  wrong: () => Error,
): Promise<Login> {
  const claim = await deps.store.claimLoginAttempt(
    email,
    now.getTime(),
    lockout.windowMs,
    lockout.maxFailures,
  );
  if (claim.kind === 'unknown') {
    await verifyPassword(password, await decoyHash(deps.passwordHashing));
    await deps.store.recordSecurityEvent(undefined, 'login_failed', meta, { reason: 'unknown_email' });
    throw wrong();
  }
  if (claim.kind === 'refused') throw locked(claim.retryAfterMs);
  const record = claim.login;
  if (!(await verifyPassword(password, record.passwordHash))) {
    const lock = claim.attempt >= lockout.maxFailures;
    if (lock) await deps.store.lockLogin(email, now.getTime() + lockout.lockMs);
    await deps.store.recordSecurityEvent(record.merchantId, lock ? 'account_locked' : 'login_failed', meta, {
      userId: record.userId,
      failures: String(claim.attempt),
    });
    if (lock) throw locked(lockout.lockMs);
    throw wrong();
  }
  await deps.store.clearLoginFailures(email);
  return record;
}

/**
 * Signs a user in. An unknown email and a wrong password get the same answer in
 * the same time. Each attempt is counted atomically *before* the password is
 * hashed, so at most five passwords are ever checked per login in 15 minutes,
 * however many requests arrive at once; the fifth failure locks the login for
 * 15 minutes. A hash made with older parameters is replaced on success.
 */
export async function login(
  deps: Deps,
  input: { email: string; password: string },
  meta: RequestMeta,
): Promise<Tokens> {
  const email = normalizeEmail(input.email);
  const now = clock(deps);
  const record = await checkPassword(deps, email, input.password, meta, now, badLogin);
  if ((record.status ?? 'active') !== 'active') {
    throw new Forbidden('account_suspended', 'This account is suspended. Contact PayBridge support.');
  }
  if (needsRehash(record.passwordHash, deps.passwordHashing)) {
    await deps.store.replacePasswordHash(
      email,
      record.passwordHash,
      await hashPassword(input.password, deps.passwordHashing),
    );
  }
  const { session, refresh } = newSession(record, now);
  await deps.store.createSession(session, {
    merchantId: record.merchantId,
    actor: { kind: 'anonymous' },
    action: 'session.created',
    target: { type: 'user', id: record.userId },
    meta,
  });
  return issueTokens(deps, record, session.familyId, refresh.token);
}

/**
 * Rotates a refresh token. The user's role, status and session version are
 * re-read from the login on every refresh: a role change, a suspension or
 * "sign out everywhere" ends the family here. A family lives at most 30 days
 * from sign-in. Presenting a secret that is no longer the family's current one
 * revokes the whole family (reuse detection), except the secret it rotated away
 * from within the last `refreshGraceMs`, which is answered with the same next
 * token (two tabs refreshing at once).
 */
export async function refresh(deps: Deps, token: string, meta: RequestMeta): Promise<Tokens> {
  const invalid = () =>
    new Unauthenticated('invalid_refresh_token', 'The refresh token is invalid or expired.');
  const parsed = parseRefreshToken(token);
  if (!parsed) throw invalid();
  const now = clock(deps);
  const nowSeconds = now.getTime() / 1000;
  const session = await deps.store.getSession(parsed.familyId);
  if (!session || session.revokedAt) throw invalid();
  const absoluteExpiresAt = session.absoluteExpiresAt ?? session.expiresAt;
  if (session.expiresAt <= nowSeconds || absoluteExpiresAt <= nowSeconds) throw invalid();

  const login = await deps.store.getLogin(session.email);
  if (
    !login ||
    login.userId !== session.userId ||
    (login.status ?? 'active') !== 'active' ||
    (login.sessionVersion ?? 0) !== (session.sessionVersion ?? 0)
  ) {
    await deps.store.revokeSession(session.familyId, now.toISOString());
    throw invalid();
  }

  const next = session.seed
    ? nextRefreshToken(session.familyId, session.seed, parsed.secret)
    : newRefreshToken(session.familyId);
  const rotated = {
    hash: next.hash,
    expiresAt: Math.min(Math.floor(nowSeconds) + refreshIdleSeconds, absoluteExpiresAt),
    absoluteExpiresAt,
    rotatedAt: now.getTime(),
  };
  if (
    session.currentHash === parsed.hash &&
    (await deps.store.rotateSession(session.familyId, parsed.hash, rotated))
  ) {
    return issueTokens(deps, login, session.familyId, next.token);
  }
  // Not the current secret (or another request rotated it first). The secret the
  // family just rotated away from is answered with the token that rotation made.
  const latest =
    session.currentHash === parsed.hash ? await deps.store.getSession(session.familyId) : session;
  if (
    latest &&
    !latest.revokedAt &&
    latest.seed &&
    latest.currentHash === next.hash &&
    now.getTime() - (latest.rotatedAt ?? 0) <= refreshGraceMs
  ) {
    return issueTokens(deps, login, session.familyId, next.token);
  }
  await deps.store.revokeSession(session.familyId, now.toISOString());
  await deps.store.recordSecurityEvent(session.merchantId, 'refresh_token_reused', meta, {
    userId: session.userId,
    sessionId: session.familyId,
  });
  throw invalid();
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

/**
 * Signs the caller out everywhere: this session now, every other session of the
 * user at its next refresh (their access tokens expire within minutes).
 */
export async function logoutEverywhere(
  deps: Deps,
  actor: Extract<Actor, { kind: 'user' }>,
  meta: RequestMeta,
): Promise<void> {
  await deps.store.revokeAllSessions(
    actor.email,
    {
      merchantId: actor.merchantId,
      actor,
      action: 'session.revoked_all',
      target: { type: 'user', id: actor.userId },
      meta,
    },
    {
      merchantId: actor.merchantId,
      kind: 'sessions_revoked',
      meta,
      detail: { userId: actor.userId, reason: 'sign_out_everywhere' },
    },
  );
  await deps.store.revokeSession(actor.sessionId, clock(deps).toISOString());
}

/**
 * Changes the caller's password. The current one is checked under the sign-in
 * lockout (five tries per 15 minutes); the new one must pass the same rules as
 * at sign-up. Every session of the user ends, this one included: the dashboard
 * signs in again with the new password.
 */
export async function changePassword(
  deps: Deps,
  actor: Extract<Actor, { kind: 'user' }>,
  input: { currentPassword: string; newPassword: string },
  meta: RequestMeta,
): Promise<void> {
  const problem = passwordProblem(input.newPassword, actor.email);
  if (problem) throw new ValidationFailed('weak_password', problem, 'newPassword', 422);
  const now = clock(deps);
  const wrong = () =>
    new Forbidden('wrong_password', 'The current password is incorrect.', 'currentPassword');
  const record = await checkPassword(deps, actor.email, input.currentPassword, meta, now, wrong);
  if (record.userId !== actor.userId) throw wrong();
  await deps.store.changePassword(
    actor.email,
    record.passwordHash,
    await hashPassword(input.newPassword, deps.passwordHashing),
    {
      merchantId: actor.merchantId,
      actor,
      action: 'password.changed',
      target: { type: 'user', id: actor.userId },
      meta,
    },
    {
      merchantId: actor.merchantId,
      kind: 'password_changed',
      meta,
      detail: { userId: actor.userId, byUser: actor.userId },
    },
  );
  await deps.store.revokeSession(actor.sessionId, now.toISOString());
}

const linkInvalid = () =>
  new ValidationFailed(
    'invalid_token',
    'This link is not valid. Copy the whole link from the email, or ask for a new one.',
    'token',
  );
const linkUsed = () =>
  new ValidationFailed(
    'token_used',
    'This link has already been used. Ask for a new one if you need to.',
    'token',
  );
const linkExpired = () =>
  new ValidationFailed('token_expired', 'This link has expired. Ask for a new one.', 'token');

/**
 * The live record of an emailed link, or the 400 that says why not: unknown
 * (forged, mistyped, or for the other purpose), used, or expired.
 */
async function liveEmailToken(
  deps: Deps,
  token: string,
  purpose: EmailTokenPurpose,
  now: Date,
): Promise<EmailToken> {
  if (!token.startsWith(tokenPrefix[purpose])) throw linkInvalid();
  const record = await deps.store.getEmailToken(sha256(token));
  if (!record || record.purpose !== purpose) throw linkInvalid();
  if (record.usedAt) throw linkUsed();
  if (record.expiresAt <= now.getTime() / 1000) throw linkExpired();
  return record;
}

/**
 * Marks a login verified with the link emailed to it. Idempotent: a still-unused
 * link of an already verified login succeeds and changes nothing but the link,
 * which is spent either way. A used, expired or unknown link is a 400.
 */
export async function verifyEmail(
  deps: Deps,
  input: { token: string },
  meta: RequestMeta,
): Promise<{ emailVerified: true; emailVerifiedAt: string }> {
  const now = clock(deps);
  const record = await liveEmailToken(deps, input.token, 'verify_email', now);
  const login = await deps.store.getLogin(record.email);
  if (!login || login.userId !== record.userId) throw linkInvalid();
  const at = now.toISOString();
  const already = emailProven(login);
  const outcome = await deps.store.verifyEmail(record, at, already, {
    merchantId: record.merchantId,
    kind: 'email_verified',
    meta,
    detail: { userId: record.userId },
  });
  if (outcome === 'used') throw linkUsed();
  if (outcome === 'gone') throw linkInvalid();
  return { emailVerified: true, emailVerifiedAt: already ? (login.emailVerifiedAt as string) : at };
}

/**
 * Emails the signed-in user a new verification link. 409 once the address is
 * proven; a grandfathered account may ask (admin needs a proven address).
 * The per-user limit is the caller's (api/resend-verification.ts).
 */
export async function resendVerification(
  deps: Deps,
  actor: Extract<Actor, { kind: 'user' }>,
  linkBase: string,
): Promise<{ sent: true; expiresAt: string }> {
  const login = await deps.store.getLogin(actor.email);
  if (!login || login.userId !== actor.userId) {
    throw new Unauthenticated('invalid_session', 'This session no longer belongs to a user: sign in again.');
  }
  if (emailProven(login)) {
    throw new Conflict('already_verified', 'Your email address is already verified.');
  }
  const now = clock(deps);
  const verification = newEmailToken('verify_email', login, now, linkBase);
  await deps.store.putEmailToken(verification.record);
  if (!(await sendMail(deps, verificationEmail(login.email, verification.link, verification.ttlSeconds)))) {
    throw new Unavailable('mail_unavailable', 'We could not send the email just now. Try again in a minute.');
  }
  return { sent: true, expiresAt: new Date(verification.record.expiresAt * 1000).toISOString() };
}

/** What every password-reset request is answered, whether or not the address has an account. */
export const passwordResetAccepted = {
  accepted: true,
  message:
    'If an account uses this address, we have sent it a link to choose a new password. The link works once, for an hour.',
} as const;

/**
 * Emails a password-reset link to the login of `email`, if there is one. The
 * answer is the same either way (no account enumeration); the per-address and
 * per-email limits are the caller's (api/request-password-reset.ts).
 */
export async function requestPasswordReset(
  deps: Deps,
  input: { email: string },
  linkBase: string,
): Promise<typeof passwordResetAccepted> {
  const email = normalizeEmail(input.email);
  const login = await deps.store.getLogin(email);
  if (login && (login.status ?? 'active') === 'active') {
    const reset = newEmailToken('password_reset', login, clock(deps), linkBase);
    await deps.store.putEmailToken(reset.record);
    await sendMail(deps, passwordResetEmail(email, reset.link, reset.ttlSeconds));
  }
  return passwordResetAccepted;
}

/**
 * Sets a new password with an emailed reset link: the sign-up rules apply; the
 * link is spent; every session of the user ends; the lockout is cleared; a
 * `password_reset` security event is written with the change. The link also
 * proves the address, so an unverified one becomes verified. A link sent before
 * a later password change or "sign out everywhere" no longer works.
 */
export async function confirmPasswordReset(
  deps: Deps,
  input: { token: string; password: string },
  meta: RequestMeta,
): Promise<void> {
  const now = clock(deps);
  const record = await liveEmailToken(deps, input.token, 'password_reset', now);
  const problem = passwordProblem(input.password, record.email);
  if (problem) throw new ValidationFailed('weak_password', problem, 'password', 422);
  const login = await deps.store.getLogin(record.email);
  if (!login || login.userId !== record.userId) throw linkInvalid();
  if ((login.sessionVersion ?? 0) !== record.sessionVersion) throw linkExpired();
  const at = now.toISOString();
  const outcome = await deps.store.resetPassword(
    record,
    await hashPassword(input.password, deps.passwordHashing),
    at,
    emailProven(login) ? undefined : at,
    {
      merchantId: record.merchantId,
      actor: { kind: 'anonymous' },
      action: 'password.reset',
      target: { type: 'user', id: record.userId },
      meta,
    },
    {
      merchantId: record.merchantId,
      kind: 'password_reset',
      meta,
      detail: { userId: record.userId, by: 'email_link' },
    },
  );
  if (outcome === 'used') throw linkUsed();
  if (outcome === 'stale') throw linkExpired();
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

/** What the API shows of a key: never the secret or its hash. Keys from before scopes are `full`. */
export const publicApiKey = ({ hash: _hash, merchantId: _m, scope, ...rest }: ApiKey) => ({
  ...rest,
  scope: scope ?? 'full',
});

/**
 * Creates an API key; the secret is returned once and only its hash is kept.
 * `server` unless `full` is asked for; either way the owner is told by a
 * security event.
 */
export async function createApiKey(
  deps: Deps,
  actor: MerchantActor,
  input: { name: string; mode: Mode; scope?: ApiKeyScope | undefined },
  meta: RequestMeta,
) {
  // Live keys only for a verified address (a dashboard session is the only caller).
  if (input.mode === 'live' && actor.kind === 'user') await assertMayUseLiveMode(deps, actor);
  const generated = generateApiKey(input.mode);
  const key: ApiKey & { scope: ApiKeyScope } = {
    id: newId('key'),
    merchantId: actor.merchantId,
    mode: input.mode,
    name: input.name.trim(),
    scope: input.scope ?? 'server',
    prefix: generated.prefix,
    hash: generated.hash,
    createdAt: clock(deps).toISOString(),
    lastUsedAt: null,
    revokedAt: null,
  };
  await deps.store.createApiKey(
    key,
    {
      merchantId: actor.merchantId,
      actor,
      action: 'api_key.created',
      target: { type: 'api_key', id: key.id },
      meta,
      mode: input.mode,
    },
    {
      merchantId: actor.merchantId,
      kind: 'api_key_created',
      meta,
      detail: { ...actorDetail(actor), keyId: key.id, mode: key.mode, scope: key.scope, prefix: key.prefix },
    },
  );
  return { ...publicApiKey(key), key: generated.secret };
}

/** Who made a change, for a security event's detail. */
export function actorDetail(actor: Actor): Record<string, string> {
  if (actor.kind === 'apiKey') return { byApiKey: actor.keyId, byApiKeyScope: actor.scope };
  if (actor.kind === 'user') return { byUser: actor.userId };
  return {};
}

/** Revokes a key of the caller's merchant; revoking twice is harmless. */
export async function revokeApiKey(deps: Deps, actor: MerchantActor, keyId: string, meta: RequestMeta) {
  const key = await deps.store.getApiKey(actor.merchantId, keyId);
  if (!key) throw new NotFound('resource_missing', 'No such API key.', 'id');
  if (key.revokedAt) return publicApiKey(key);
  const at = clock(deps).toISOString();
  await deps.store.revokeApiKey(
    key,
    at,
    {
      merchantId: actor.merchantId,
      actor,
      action: 'api_key.revoked',
      target: { type: 'api_key', id: key.id },
      meta,
      mode: key.mode,
    },
    {
      merchantId: actor.merchantId,
      kind: 'api_key_revoked',
      meta,
      detail: { ...actorDetail(actor), keyId: key.id, mode: key.mode, prefix: key.prefix },
    },
  );
  return publicApiKey({ ...key, revokedAt: at });
}

/** Resolves an API key secret to its merchant, mode and scope; undefined if unknown or revoked. */
export async function authenticateApiKey(
  deps: Pick<Deps, 'store'>,
  secret: string,
): Promise<Extract<Actor, { kind: 'apiKey' }> | undefined> {
  const mode = apiKeyMode(secret);
  if (!mode) return undefined;
  const key = await deps.store.findApiKeyByHash(sha256(secret));
  if (!key || key.revokedAt || key.mode !== mode) return undefined;
  return {
    kind: 'apiKey',
    merchantId: key.merchantId,
    mode: key.mode,
    keyId: key.id,
    scope: key.scope ?? 'full',
  };
}

/** Whether an API key of `scope` may call a route that needs `needed`. */
export const scopeAllows = (scope: ApiKeyScope, needed: ApiKeyScope): boolean =>
  scope === 'full' || needed === 'server';
