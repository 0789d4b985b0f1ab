import { TransactionCanceledException, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Conflict, NotFound } from '#core/errors';
import type { ApiKey, AuditInput, IdentityStore, Login, Merchant, Session, User } from '#core/identity';
import { dynamoClient } from '#platform/clients';
import { auditPut } from './audit.ts';
import { keys } from './keys.ts';
import { pageOfPrefix } from './pagination.ts';
import { recordSecurityEvent } from './security-events.ts';
import { tableName } from './table-name.ts';

const audit = (a: AuditInput) =>
  auditPut(a.merchantId, a.actor, a.action, a.target, a.meta, a.mode ? { mode: a.mode } : {});

type Item = Record<string, unknown>;
const strip = <T>(item: Item | undefined): T | undefined => {
  if (!item) return undefined;
  const {
    pk: _pk,
    sk: _sk,
    gsi1pk: _a,
    gsi1sk: _b,
    gsi2pk: _c,
    gsi2sk: _d,
    type: _t,
    ttl: _ttl,
    ...rest
  } = item;
  return rest as T;
};

async function get<T>(key: { pk: string; sk: string }, consistent = false): Promise<T | undefined> {
  const out = await dynamoClient().send(
    new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: consistent }),
  );
  return strip<T>(out.Item);
}

/** True when a transaction failed only because of a condition check. */
function conditionFailed(error: unknown, index?: number): boolean {
  if (error instanceof ConditionalCheckFailedException) return true;
  if (!(error instanceof TransactionCanceledException)) return false;
  const reasons = error.CancellationReasons ?? [];
  return index === undefined
    ? reasons.some((r) => r.Code === 'ConditionalCheckFailed')
    : reasons[index]?.Code === 'ConditionalCheckFailed';
}

const sessionItem = (session: Session) => ({
  ...keys.session(session.familyId),
  type: 'session',
  ...session,
  ttl: session.expiresAt,
});

/** The DynamoDB implementation of the identity port. */
export const identityStore: IdentityStore = {
  async createAccount(merchant: Merchant, user: User, login: Login, session: Session, a: AuditInput) {
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
          ],
        }),
      );
    } catch (error) {
      if (conditionFailed(error, 0)) {
        throw new Conflict('email_taken', 'An account with this email already exists.', 'email');
      }
      throw error;
    }
  },

  getLogin: (email) => get<Login>(keys.login(email), true),

  async recordLoginFailure(email, at, keepSince, lockUntil) {
    const current = await get<Login>(keys.login(email), true);
    const failures = lockUntil ? [] : [...(current?.failures ?? []).filter((t) => t > keepSince), at];
    await dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.login(email),
        UpdateExpression: 'SET failures = :f, lockedUntil = :l',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':f': failures, ':l': lockUntil ?? current?.lockedUntil ?? null },
      }),
    );
    return failures;
  },

  async clearLoginFailures(email) {
    await dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.login(email),
        UpdateExpression: 'SET failures = :f, lockedUntil = :n',
        ExpressionAttributeValues: { ':f': [], ':n': null },
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

  getSession: (familyId) => get<Session>(keys.session(familyId), true),

  async rotateSession(familyId, expectedHash, nextHash, expiresAt) {
    try {
      await dynamoClient().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.session(familyId),
          UpdateExpression: 'SET currentHash = :next, expiresAt = :exp, #ttl = :exp',
          ConditionExpression: 'currentHash = :expected AND revokedAt = :null',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':next': nextHash,
            ':expected': expectedHash,
            ':exp': expiresAt,
            ':null': null,
          },
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
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
      if (!conditionFailed(error, 0)) throw error; // already revoked (or gone): nothing to do
    }
  },

  getMerchant: (merchantId) => get<Merchant>(keys.merchant(merchantId)),

  async updateMerchant(merchantId, patch, at, a) {
    const names: Record<string, string> = { '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':updatedAt': at };
    const sets = ['#updatedAt = :updatedAt'];
    for (const [field, value] of Object.entries(patch)) {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    try {
      await dynamoClient().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName(),
                Key: keys.merchant(merchantId),
                UpdateExpression: `SET ${sets.join(', ')}`,
                ConditionExpression: 'attribute_exists(pk)',
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: values,
              },
            },
            audit(a),
          ],
        }),
      );
    } catch (error) {
      if (conditionFailed(error, 0)) throw new NotFound('resource_missing', 'No such merchant.');
      throw error;
    }
    const merchant = await get<Merchant>(keys.merchant(merchantId), true);
    if (!merchant) throw new NotFound('resource_missing', 'No such merchant.');
    return merchant;
  },

  getUser: (merchantId, userId) => get<User>(keys.user(merchantId, userId)),

  async createApiKey(key, a) {
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
                revokedAt: null,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          audit(a),
        ],
      }),
    );
  },

  listApiKeys: (merchantId, limit, cursor) =>
    pageOfPrefix(
      keys.merchantPartition(merchantId),
      keys.apiKeyPrefix,
      limit,
      cursor,
      (i) => strip<ApiKey>(i) as ApiKey,
    ),

  getApiKey: (merchantId, keyId) => get<ApiKey>(keys.apiKey(merchantId, keyId), true),

  async revokeApiKey(key, at, a) {
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
        ],
      }),
    );
  },

  findApiKeyByHash: (hash) => get(keys.apiKeyByHash(hash)),

  recordSecurityEvent: (merchantId, kind, meta, detail) =>
    recordSecurityEvent(merchantId, kind, meta, detail),
};

/** Marks a key as used, at most once per `everySeconds` (one conditional write). */
export async function touchApiKey(
  merchantId: string,
  keyId: string,
  now: Date,
  everySeconds = 300,
): Promise<void> {
  const at = now.toISOString();
  const before = new Date(now.getTime() - everySeconds * 1000).toISOString();
  try {
    await dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.apiKey(merchantId, keyId),
        UpdateExpression: 'SET lastUsedAt = :at',
        ConditionExpression: 'attribute_exists(pk) AND (lastUsedAt = :null OR lastUsedAt < :before)',
        ExpressionAttributeValues: { ':at': at, ':before': before, ':null': null },
      }),
    );
  } catch (error) {
    if (!conditionFailed(error)) throw error;
  }
}

/** Sets a user's role (the `npm run admin` command; never reachable from the API). */
export async function setRole(email: string, role: 'owner' | 'admin'): Promise<boolean> {
  try {
    await dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.login(email),
        UpdateExpression: 'SET #role = :role',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#role': 'role' },
        ExpressionAttributeValues: { ':role': role },
      }),
    );
    return true;
  } catch (error) {
    if (conditionFailed(error)) return false;
    throw error;
  }
}
