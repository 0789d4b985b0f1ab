import * as z from 'zod/mini';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Conflict, NotFound } from '#core/errors';
import { emailTokenRetentionSeconds } from '#core/identity';
import type {
  ApiKey,
  AttemptClaim,
  AuditInput,
  EmailToken,
  IdentityStore,
  Login,
  Merchant,
  SecurityNote,
  Session,
  User,
} from '#core/identity';
import { dynamoClient } from '#runtime/clients';
import { auditPut } from './audit.ts';
import { conditionFailedAt, isConditionFailure, written } from './conditions.ts';
import { update } from './expressions.ts';
import { check, type Item, reader } from './items.ts';
import { keys } from './keys.ts';
import { pageOfPrefix } from './pagination.ts';
import { recordSecurityEvent, securityEventPut } from './security-events.ts';
import { tableName } from './table-name.ts';

const audit = (a: AuditInput) =>
  auditPut(a.merchantId, a.actor, a.action, a.target, a.meta, a.mode ? { mode: a.mode } : {});
/** A security event as a transaction item: the change and the owner's notice are written together. */
export const securityPut = (n: SecurityNote) => ({
  Put: securityEventPut(n.merchantId, n.kind, n.meta, n.detail),
});

const role = z.enum(['owner', 'admin']);

/** The readers of identity's items: each checks its item's type and identifying fields. */
const readLogin = reader<Login>('login', {
  email: check.text,
  userId: check.text,
  merchantId: check.text,
  passwordHash: check.text,
  role,
});
/** A user as stored: accounts from before email verification lack its fields. */
type StoredUser = Omit<User, 'emailVerified' | 'emailVerifiedAt'> &
  Partial<Pick<User, 'emailVerified' | 'emailVerifiedAt'>>;
const readUser = reader<StoredUser>('user', {
  id: check.id('usr_'),
  merchantId: check.text,
  email: check.text,
  role,
});
const readSession = reader<Session>('session', {
  familyId: check.text,
  userId: check.text,
  merchantId: check.text,
  currentHash: check.text,
  revokedAt: z.nullable(check.text),
  expiresAt: check.number,
});
const readEmailToken = reader<EmailToken>(
  'email token',
  {
    hash: check.text,
    purpose: z.enum(['verify_email', 'password_reset']),
    email: check.text,
    userId: check.text,
    merchantId: check.text,
    expiresAt: check.number,
  },
  { type: 'email_token' },
);
/** A merchant item as the domain's Merchant (also the admin list's reader). */
export const readMerchant = reader<Merchant>('merchant', {
  id: check.id('mer_'),
  businessName: check.text,
});
const readApiKey = reader<ApiKey>(
  'API key',
  { id: check.id('key_'), merchantId: check.text, mode: check.mode, prefix: check.text, hash: check.text },
  { type: 'api_key' },
);
type ApiKeyLookup = Pick<ApiKey, 'id' | 'merchantId' | 'mode' | 'revokedAt' | 'scope'>;
const readApiKeyLookup = reader<ApiKeyLookup>(
  'API key lookup',
  {
    id: check.id('key_'),
    merchantId: check.text,
    mode: check.mode,
    revokedAt: z.nullable(check.text),
  },
  { type: 'api_key_lookup' },
);

async function get<T>(
  key: { pk: string; sk: string },
  read: (item: Item) => T,
  consistent = false,
): Promise<T | undefined> {
  const out = await dynamoClient().send(
    new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: consistent }),
  );
  return out.Item === undefined ? undefined : read(out.Item);
}

const sessionItem = (session: Session) => ({
  ...keys.session(session.familyId),
  type: 'session',
  ...session,
  ttl: session.expiresAt,
});

const emailTokenItem = (token: EmailToken) => ({
  ...keys.emailToken(token.hash),
  type: 'email_token',
  ...token,
  ttl: token.expiresAt + emailTokenRetentionSeconds,
});

/** A user as the API shows it: users from before email verification are verified (grandfathered). */
const userOf = (item: StoredUser | undefined): User | undefined =>
  item && {
    ...item,
    emailVerified: item.emailVerified ?? true,
    emailVerifiedAt: item.emailVerifiedAt ?? null,
  };

/** The transaction item that spends an emailed link: only an unused, unexpired one. */
const spendToken = (token: EmailToken, at: string) => ({
  Update: {
    TableName: tableName(),
    Key: keys.emailToken(token.hash),
    UpdateExpression: 'SET usedAt = :at',
    ConditionExpression: 'attribute_exists(pk) AND usedAt = :null AND expiresAt > :now',
    ExpressionAttributeValues: {
      ':at': at,
      ':null': null,
      ':now': Math.floor(new Date(at).getTime() / 1000),
    },
  },
});

/** Marks the user item's address proven (the API's `emailVerified`). */
const userVerified = (token: EmailToken, at: string) => ({
  Update: {
    TableName: tableName(),
    Key: keys.user(token.merchantId, token.userId),
    UpdateExpression: 'SET emailVerified = :true, emailVerifiedAt = :at',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':true': true, ':at': at },
  },
});

/** The DynamoDB implementation of the identity port. */
export const identityStore: IdentityStore = {
  async createAccount(
    merchant: Merchant,
    user: User,
    login: Login,
    session: Session,
    a: AuditInput,
    verification?: EmailToken,
  ) {
    try {
      await dynamoClient().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              // One account per email: the login item is the uniqueness guard.
              Put: {
                TableName: tableName(),
                Item: { ...keys.login(login.email), type: 'login', ...login },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: tableName(),
                Item: {
                  ...keys.merchant(merchant.id),
                  ...keys.merchantsIndex(),
                  gsi1sk: merchant.id,
                  type: 'merchant',
                  ...merchant,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: tableName(),
                Item: { ...keys.user(merchant.id, user.id), type: 'user', ...user },
              },
            },
            { Put: { TableName: tableName(), Item: sessionItem(session) } },
            audit(a),
            ...(verification
              ? [{ Put: { TableName: tableName(), Item: emailTokenItem(verification) } }]
              : []),
          ],
        }),
      );
    } catch (error) {
      if (conditionFailedAt(error, 0)) {
        throw new Conflict('email_taken', 'An account with this email already exists.', 'email');
      }
      throw error;
    }
  },

  getLogin: (email) => get(keys.login(email), readLogin, true),

  async putEmailToken(token) {
    await dynamoClient().send(
      new PutCommand({
        TableName: tableName(),
        Item: emailTokenItem(token),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  },

  getEmailToken: (hash) => get(keys.emailToken(hash), readEmailToken, true),

  async verifyEmail(token, at, alreadyVerified, note) {
    const ofUser = {
      TableName: tableName(),
      Key: keys.login(token.email),
      ConditionExpression: 'attribute_exists(pk) AND userId = :user',
    };
    try {
      await dynamoClient().send(
        new TransactWriteCommand({
          TransactItems: [
            spendToken(token, at),
            alreadyVerified
              ? { ConditionCheck: { ...ofUser, ExpressionAttributeValues: { ':user': token.userId } } }
              : {
                  Update: {
                    ...ofUser,
                    UpdateExpression: 'SET emailVerifiedAt = :at',
                    ExpressionAttributeValues: { ':user': token.userId, ':at': at },
                  },
                },
            ...(alreadyVerified ? [] : [userVerified(token, at)]),
            securityPut(note),
          ],
        }),
      );
      return 'ok';
    } catch (error) {
      if (conditionFailedAt(error, 0)) return 'used';
      if (isConditionFailure(error)) return 'gone';
      throw error;
    }
  },

  async resetPassword(token, next, at, verifyAt, a, note) {
    const version =
      token.sessionVersion === 0
        ? '(attribute_not_exists(sessionVersion) OR sessionVersion = :version)'
        : 'sessionVersion = :version';
    try {
      await dynamoClient().send(
        new TransactWriteCommand({
          TransactItems: [
            spendToken(token, at),
            {
              Update: {
                TableName: tableName(),
                Key: keys.login(token.email),
                UpdateExpression: `SET passwordHash = :next, failCount = :zero, failWindowStart = :null, lockedUntil = :null${
                  verifyAt ? ', emailVerifiedAt = :verified' : ''
                } ADD sessionVersion :one`,
                ConditionExpression: `attribute_exists(pk) AND userId = :user AND ${version}`,
                ExpressionAttributeValues: {
                  ':next': next,
                  ':zero': 0,
                  ':null': null,
                  ':one': 1,
                  ':user': token.userId,
                  ':version': token.sessionVersion,
                  ...(verifyAt ? { ':verified': verifyAt } : {}),
                },
              },
            },
            ...(verifyAt ? [userVerified(token, verifyAt)] : []),
            audit(a),
            securityPut(note),
          ],
        }),
      );
      return 'ok';
    } catch (error) {
      if (conditionFailedAt(error, 0)) return 'used';
      if (isConditionFailure(error)) return 'stale';
      throw error;
    }
  },

  async claimLoginAttempt(email, now, windowMs, max): Promise<AttemptClaim> {
    // Two conditional updates, never a read-then-write: one counts the attempt in
    // the current window, the other starts a new window once the last one ended.
    // Whichever wins, DynamoDB serialises them per item, so `max` attempts are
    // handed out per window however many requests arrive at once.
    const notLocked = '(attribute_not_exists(lockedUntil) OR lockedUntil = :null OR lockedUntil <= :now)';
    const floor = now - windowMs;
    for (let tries = 0; tries < 3; tries++) {
      try {
        const out = await dynamoClient().send(
          new UpdateCommand({
            TableName: tableName(),
            Key: keys.login(email),
            UpdateExpression: 'SET failCount = failCount + :one',
            ConditionExpression: `attribute_exists(pk) AND ${notLocked} AND failWindowStart > :floor AND failCount < :max`,
            ExpressionAttributeValues: {
              ':one': 1,
              ':null': null,
              ':now': now,
              ':floor': floor,
              ':max': max,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        const login = readLogin(out.Attributes ?? {});
        return { kind: 'claimed', login, attempt: Number(login.failCount) };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      // Refused: read why (the refused path only; nothing is hashed on it).
      const old = await get(keys.login(email), readLogin, true);
      if (!old) return { kind: 'unknown' };
      if (old.lockedUntil && old.lockedUntil > now)
        return { kind: 'refused', retryAfterMs: old.lockedUntil - now };
      const windowStart = typeof old.failWindowStart === 'number' ? old.failWindowStart : null;
      if (windowStart !== null && windowStart > floor) {
        // The window's attempts are all handed out (some may still be hashing).
        return { kind: 'refused', retryAfterMs: windowStart + windowMs - now };
      }
      try {
        const out = await dynamoClient().send(
          new UpdateCommand({
            TableName: tableName(),
            Key: keys.login(email),
            UpdateExpression: 'SET failCount = :one, failWindowStart = :now',
            ConditionExpression: `attribute_exists(pk) AND ${notLocked} AND (attribute_not_exists(failWindowStart) OR failWindowStart = :null OR failWindowStart <= :floor)`,
            ExpressionAttributeValues: { ':one': 1, ':null': null, ':now': now, ':floor': floor },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { kind: 'claimed', login: readLogin(out.Attributes ?? {}), attempt: 1 };
      } catch (error) {
        // Another request started the window first: count in it.
        if (!isConditionFailure(error)) throw error;
      }
    }
    return { kind: 'refused', retryAfterMs: 1000 };
  },

  async lockLogin(email, until) {
    await dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.login(email),
        UpdateExpression: 'SET lockedUntil = :until, failCount = :zero, failWindowStart = :null',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':until': until, ':zero': 0, ':null': null },
      }),
    );
  },

  async replacePasswordHash(email, expected, next) {
    // Not written when the hash changed meanwhile: the newer one stays.
    await written(
      dynamoClient().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.login(email),
          UpdateExpression: 'SET passwordHash = :next',
          ConditionExpression: 'passwordHash = :expected',
          ExpressionAttributeValues: { ':next': next, ':expected': expected },
        }),
      ),
    );
  },

  async clearLoginFailures(email) {
    await dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.login(email),
        UpdateExpression: 'SET failCount = :zero, failWindowStart = :n, lockedUntil = :n REMOVE failures',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':zero': 0, ':n': null },
      }),
    );
  },

  async createSession(session, a) {
    await dynamoClient().send(
      new TransactWriteCommand({
        TransactItems: [{ Put: { TableName: tableName(), Item: sessionItem(session) } }, audit(a)],
      }),
    );
  },

  getSession: (familyId) => get(keys.session(familyId), readSession, true),

  async rotateSession(familyId, expectedHash, next) {
    return written(
      dynamoClient().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.session(familyId),
          UpdateExpression:
            'SET currentHash = :next, expiresAt = :exp, #ttl = :exp, absoluteExpiresAt = :abs, rotatedAt = :at',
          ConditionExpression: 'currentHash = :expected AND revokedAt = :null',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':next': next.hash,
            ':expected': expectedHash,
            ':exp': next.expiresAt,
            ':abs': next.absoluteExpiresAt,
            ':at': next.rotatedAt,
            ':null': null,
          },
        }),
      ),
    );
  },

  async revokeSession(familyId, at, a) {
    const revoke = {
      Update: {
        TableName: tableName(),
        Key: keys.session(familyId),
        UpdateExpression: 'SET revokedAt = :at',
        ConditionExpression: 'attribute_exists(pk) AND revokedAt = :null',
        ExpressionAttributeValues: { ':at': at, ':null': null },
      },
    };
    try {
      await dynamoClient().send(
        new TransactWriteCommand({ TransactItems: a ? [revoke, audit(a)] : [revoke] }),
      );
    } catch (error) {
      if (!conditionFailedAt(error, 0)) throw error; // already revoked (or gone): nothing to do
    }
  },

  async changePassword(email, expected, next, a, note) {
    try {
      await dynamoClient().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName(),
                Key: keys.login(email),
                UpdateExpression: 'SET passwordHash = :next ADD sessionVersion :one',
                ConditionExpression: 'passwordHash = :expected',
                ExpressionAttributeValues: { ':next': next, ':expected': expected, ':one': 1 },
              },
            },
            audit(a),
            securityPut(note),
          ],
        }),
      );
    } catch (error) {
      if (conditionFailedAt(error, 0)) {
        throw new Conflict('concurrent_update', 'The password changed meanwhile; sign in again.');
      }
      throw error;
    }
  },

  async revokeAllSessions(email, a, note) {
    await dynamoClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName(),
              Key: keys.login(email),
              UpdateExpression: 'ADD sessionVersion :one',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
          audit(a),
          securityPut(note),
        ],
      }),
    );
  },

  getMerchant: (merchantId) => get(keys.merchant(merchantId), readMerchant),

  async updateMerchant(merchantId, patch, at, a) {
    try {
      await dynamoClient().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName(),
                Key: keys.merchant(merchantId),
                ...update({ updatedAt: at, ...patch }, [], { expression: 'attribute_exists(pk)' }),
              },
            },
            audit(a),
          ],
        }),
      );
    } catch (error) {
      if (conditionFailedAt(error, 0)) throw new NotFound('resource_missing', 'No such merchant.');
      throw error;
    }
    const merchant = await get(keys.merchant(merchantId), readMerchant, true);
    if (!merchant) throw new NotFound('resource_missing', 'No such merchant.');
    return merchant;
  },

  getUser: async (merchantId, userId) => userOf(await get(keys.user(merchantId, userId), readUser)),

  async createApiKey(key, a, note) {
    await dynamoClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName(),
              Item: { ...keys.apiKey(key.merchantId, key.id), type: 'api_key', ...key },
            },
          },
          {
            // The lookup item authentication reads: hash → merchant, mode.
            Put: {
              TableName: tableName(),
              Item: {
                ...keys.apiKeyByHash(key.hash),
                type: 'api_key_lookup',
                id: key.id,
                merchantId: key.merchantId,
                mode: key.mode,
                scope: key.scope,
                revokedAt: null,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          audit(a),
          securityPut(note),
        ],
      }),
    );
  },

  listApiKeys: (merchantId, limit, cursor) =>
    pageOfPrefix(keys.merchantPartition(merchantId), keys.apiKeyPrefix, limit, cursor, readApiKey),

  getApiKey: (merchantId, keyId) => get(keys.apiKey(merchantId, keyId), readApiKey, true),

  async revokeApiKey(key, at, a, note) {
    await dynamoClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName(),
              Key: keys.apiKey(key.merchantId, key.id),
              UpdateExpression: 'SET revokedAt = :at',
              ExpressionAttributeValues: { ':at': at },
            },
          },
          {
            Update: {
              TableName: tableName(),
              Key: keys.apiKeyByHash(key.hash),
              UpdateExpression: 'SET revokedAt = :at',
              ExpressionAttributeValues: { ':at': at },
            },
          },
          audit(a),
          securityPut(note),
        ],
      }),
    );
  },

  findApiKeyByHash: (hash) => get(keys.apiKeyByHash(hash), readApiKeyLookup),

  recordSecurityEvent: (merchantId, kind, meta, detail) =>
    recordSecurityEvent(merchantId, kind, meta, detail),
};

/**
 * Records when a key was last used (one write). How often is the caller's
 * business (edge/auth.ts: at most once per 5 minutes per key and container).
 * The condition only refuses a deleted key and a time older than the one
 * stored (another container wrote a later one meanwhile): a condition of "not
 * within 5 minutes" would refuse, and DynamoDB would still bill, nearly every
 * write of every container but the first, once per 5 minutes each.
 */
export async function touchApiKey(merchantId: string, keyId: string, now: Date): Promise<void> {
  await written(
    dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.apiKey(merchantId, keyId),
        UpdateExpression: 'SET lastUsedAt = :at',
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt = :null OR lastUsedAt < :at)',
        ExpressionAttributeValues: { ':at': now.toISOString(), ':null': null },
      }),
    ),
  );
}

/**
 * Sets a user's role or status (the `npm run admin` commands; never reachable
 * from the API). The login and the user item change together, the session
 * version is bumped so every session of the user ends at its next refresh
 * (and admin routes refuse its access tokens at once), and the merchant's owner
 * sees a security event.
 */
export async function setRole(
  email: string,
  role: 'owner' | 'admin',
  options: { requireProvenEmail?: boolean } = {},
): Promise<boolean> {
  return changeLogin(email, 'role', role, options.requireProvenEmail === true);
}

/** Suspends a user (no sign-in, no refresh) or makes them active again. */
export async function setStatus(email: string, status: 'active' | 'suspended'): Promise<boolean> {
  return changeLogin(email, 'status', status);
}

/**
 * `requireProvenEmail`: only if the login's address was proven by an emailed
 * link, checked in the same transaction (`grant-admin`).
 */
async function changeLogin(
  email: string,
  field: 'role' | 'status',
  value: string,
  requireProvenEmail = false,
): Promise<boolean> {
  const login = await get(keys.login(email), readLogin, true);
  if (!login) return false;
  const meta = { ip: '', userAgent: 'npm run admin', requestId: `admin-${Date.now()}` };
  try {
    await dynamoClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName(),
              Key: keys.login(email),
              UpdateExpression: 'SET #field = :value ADD sessionVersion :one',
              ConditionExpression: `attribute_exists(pk) AND userId = :user${
                requireProvenEmail ? ' AND attribute_type(emailVerifiedAt, :string)' : ''
              }`,
              ExpressionAttributeNames: { '#field': field },
              ExpressionAttributeValues: {
                ':value': value,
                ':one': 1,
                ':user': login.userId,
                ...(requireProvenEmail ? { ':string': 'S' } : {}),
              },
            },
          },
          ...(field === 'role'
            ? [
                {
                  Update: {
                    TableName: tableName(),
                    Key: keys.user(login.merchantId, login.userId),
                    UpdateExpression: 'SET #role = :value',
                    ConditionExpression: 'attribute_exists(pk)',
                    ExpressionAttributeNames: { '#role': 'role' },
                    ExpressionAttributeValues: { ':value': value },
                  },
                },
              ]
            : []),
          securityPut({
            merchantId: login.merchantId,
            kind: field === 'role' ? 'role_changed' : 'sessions_revoked',
            meta,
            detail: { userId: login.userId, [field]: value, by: 'operator' },
          }),
        ],
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
