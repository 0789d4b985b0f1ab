import * as z from 'zod/mini';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Mode } from '#core/actor';
import { actorDetail, type AuditInput } from '#core/identity';
import { isWebhookToken, type ProviderConfig, type ProviderStore, type WebhookTarget } from '#core/providers';
import { dynamoClient } from '#runtime/clients';
import { type EncryptionContext, type Envelope, openSecret, sealSecret } from '#runtime/envelope';
import type { ProviderCredentials, ProviderName } from '#core/provider-adapter';
import { auditPut } from './audit.ts';
import { securityEventPut } from './security-events.ts';
import { isConditionFailure, written } from './conditions.ts';
import { check, optional, reader } from './items.ts';
import { keys } from './keys.ts';
import { itemsWithPrefix } from './pagination.ts';
import { tableName } from './table-name.ts';

/**
 * Provider credentials in DynamoDB.
 *
 * | item             | key                                          | holds                                      |
 * | ---------------- | -------------------------------------------- | ------------------------------------------ |
 * | provider_config  | keys.provider(mer, mode, provider)           | ProviderConfig + sealed secret key/secret  |
 * | webhook_token    | keys.webhookToken(token)                     | merchantId, mode, provider                 |
 *
 * Both are written and deleted together, with the audit item, in one
 * transaction. Secrets are sealed (runtime/envelope.ts) with a context naming
 * the merchant, mode, provider and field, so a sealed value moved to another
 * item does not open.
 */

type SealedField = 'secretKey' | 'webhookSecret';

interface ConfigItem extends ProviderConfig {
  sealedSecretKey: Envelope;
  sealedWebhookSecret?: Envelope;
}

const context = (
  merchantId: string,
  mode: Mode,
  provider: ProviderName,
  field: SealedField,
): EncryptionContext => ({ purpose: 'provider-credentials', merchantId, mode, provider, field });

/** A sealed value's outside (runtime/envelope.ts); opening it checks the rest. */
const sealed = z.looseObject({
  v: z.literal(1),
  kek: z.enum(['kms', 'local']),
  wrappedKey: check.text,
  iv: check.text,
  tag: check.text,
  ciphertext: check.text,
});

/** A provider configuration item: checked, without its keys; the secrets still sealed. */
const readConfigItem = reader<ConfigItem>(
  'provider configuration',
  {
    merchantId: check.text,
    provider: check.provider,
    mode: check.mode,
    enabled: check.boolean,
    currencies: z.array(check.text),
    webhookToken: check.text,
    sealedSecretKey: sealed,
  },
  { type: 'provider_config' },
);

const readWebhookToken = reader<WebhookTarget>(
  'webhook token',
  { merchantId: check.text, mode: check.mode, provider: check.provider },
  { type: 'webhook_token' },
);

/** The non-secret fields of a stored item. */
function toConfig(i: ConfigItem): ProviderConfig {
  return {
    merchantId: i.merchantId,
    provider: i.provider,
    mode: i.mode,
    enabled: i.enabled,
    currencies: i.currencies,
    webhookToken: i.webhookToken,
    secretKeyLast4: i.secretKeyLast4,
    ...(i.publicKey === undefined ? {} : { publicKey: i.publicKey }),
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
    ...(typeof i.lastWebhookAt === 'string' ? { lastWebhookAt: i.lastWebhookAt } : {}),
  };
}

const audit = (a: AuditInput) =>
  auditPut(a.merchantId, a.actor, a.action, a.target, a.meta, a.mode ? { mode: a.mode } : {});

/**
 * Every change to provider credentials is also a security event, in the same
 * transaction: whoever replaces a secret key decides where money settles, and
 * the owner sees it on the dashboard (`GET /v1/security-events`).
 */
const notice = (
  a: AuditInput,
  kind: 'provider_credentials_changed' | 'provider_credentials_removed',
  config: ProviderConfig,
) => ({
  Put: securityEventPut(a.merchantId, kind, a.meta, {
    ...actorDetail(a.actor),
    provider: config.provider,
    mode: config.mode,
    secretKeyLast4: config.secretKeyLast4,
  }),
});

async function getItem(
  merchantId: string,
  mode: Mode,
  provider: ProviderName,
): Promise<ConfigItem | undefined> {
  const out = await dynamoClient().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.provider(merchantId, mode, provider),
      ConsistentRead: true,
    }),
  );
  return optional(readConfigItem)(out.Item);
}

function queryItems(merchantId: string, mode: Mode): Promise<ConfigItem[]> {
  // Four providers at most per partition and mode: one page always holds them all.
  return itemsWithPrefix(keys.modePartition(merchantId, mode), keys.providerPrefix, readConfigItem);
}

/** The DynamoDB implementation of the provider-credentials port. */
export const providerStore: ProviderStore = {
  async get(merchantId, mode, provider) {
    const item = await getItem(merchantId, mode, provider);
    return item ? toConfig(item) : undefined;
  },

  async list(merchantId, mode) {
    return (await queryItems(merchantId, mode)).map(toConfig);
  },

  async put(config, credentials, previous, a) {
    const { merchantId, mode, provider } = config;
    const [sealedSecretKey, sealedWebhookSecret] = await Promise.all([
      sealSecret(credentials.secretKey, context(merchantId, mode, provider, 'secretKey')),
      credentials.webhookSecret === undefined
        ? Promise.resolve(undefined)
        : sealSecret(credentials.webhookSecret, context(merchantId, mode, provider, 'webhookSecret')),
    ]);
    const item: ConfigItem & { type: string } = {
      ...keys.provider(merchantId, mode, provider),
      type: 'provider_config',
      ...config,
      sealedSecretKey,
      ...(sealedWebhookSecret ? { sealedWebhookSecret } : {}),
    };
    // Created: neither item may exist yet. Updated: the stored item must still be
    // the one read (same token, same updatedAt), and its token lookup stays as is.
    const configPut = previous
      ? {
          Put: {
            TableName: tableName(),
            Item: item,
            ConditionExpression: 'webhookToken = :token AND updatedAt = :updatedAt',
            ExpressionAttributeValues: { ':token': previous.webhookToken, ':updatedAt': previous.updatedAt },
          },
        }
      : { Put: { TableName: tableName(), Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
    const tokenPut = previous
      ? []
      : [
          {
            Put: {
              TableName: tableName(),
              Item: {
                ...keys.webhookToken(config.webhookToken),
                type: 'webhook_token',
                merchantId,
                mode,
                provider,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ];
    try {
      await dynamoClient().send(
        new TransactWriteCommand({
          TransactItems: [
            configPut,
            ...tokenPut,
            audit(a),
            notice(a, 'provider_credentials_changed', config),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  },

  async remove(config, a) {
    try {
      await dynamoClient().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: tableName(),
                Key: keys.provider(config.merchantId, config.mode, config.provider),
                ConditionExpression: 'webhookToken = :token',
                ExpressionAttributeValues: { ':token': config.webhookToken },
              },
            },
            { Delete: { TableName: tableName(), Key: keys.webhookToken(config.webhookToken) } },
            audit(a),
            notice(a, 'provider_credentials_removed', config),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  },
};

/** A configuration as payments use it: the non-secret fields, and the secrets on demand. */
export interface ProviderConfigWithCredentials extends ProviderConfig {
  /**
   * Opens the sealed secrets (a KMS call in the cloud, cached per container for
   * five minutes). Call it only when about to talk to the provider or check a
   * webhook signature; never log what it returns.
   */
  credentials(): Promise<ProviderCredentials>;
}

function withCredentials(item: ConfigItem): ProviderConfigWithCredentials {
  const config = toConfig(item);
  const { sealedSecretKey, sealedWebhookSecret } = item;
  const { merchantId, mode, provider, publicKey } = config;
  return {
    ...config,
    async credentials() {
      const [secretKey, webhookSecret] = await Promise.all([
        openSecret(sealedSecretKey, context(merchantId, mode, provider, 'secretKey')),
        sealedWebhookSecret === undefined
          ? Promise.resolve(undefined)
          : openSecret(sealedWebhookSecret, context(merchantId, mode, provider, 'webhookSecret')),
      ]);
      return {
        secretKey,
        ...(publicKey === undefined ? {} : { publicKey }),
        ...(webhookSecret === undefined ? {} : { webhookSecret }),
      };
    },
  };
}

/**
 * A merchant's configuration for one provider and mode (enabled or not), or
 * undefined. The secrets stay sealed until `credentials()` is called.
 */
export async function getProviderConfig(
  merchantId: string,
  mode: Mode,
  provider: ProviderName,
): Promise<ProviderConfigWithCredentials | undefined> {
  const item = await getItem(merchantId, mode, provider);
  return item ? withCredentials(item) : undefined;
}

/** A merchant's enabled configurations in one mode, by provider name (one Query, no Scan). */
export async function listEnabledProviders(
  merchantId: string,
  mode: Mode,
): Promise<ProviderConfigWithCredentials[]> {
  return (await queryItems(merchantId, mode))
    .filter((item) => item.enabled === true)
    .map(withCredentials)
    .sort((a, b) => a.provider.localeCompare(b.provider));
}

/**
 * Where a webhook token points (the `/hooks/{provider}/{token}` ingest), or
 * undefined for an unknown, deleted or malformed token. The caller must still
 * check that the URL's provider equals `provider`.
 */
export async function findWebhookToken(token: string): Promise<WebhookTarget | undefined> {
  if (!isWebhookToken(token)) return undefined;
  const out = await dynamoClient().send(
    new GetCommand({ TableName: tableName(), Key: keys.webhookToken(token) }),
  );
  const target = optional(readWebhookToken)(out.Item);
  if (!target) return undefined;
  const { merchantId, mode, provider } = target;
  return { merchantId, mode, provider };
}

/**
 * Whether the webhook URL behind `token` has ever delivered a body-binding
 * signature (Flutterwave's `flutterwave-signature`). Kept on the token item, which
 * lives as long as the URL pasted in the provider's dashboard, across credential updates.
 */
export async function sendsBodySignatures(token: string): Promise<boolean> {
  const out = await dynamoClient().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.webhookToken(token),
      ProjectionExpression: 'bodySignaturesSince',
      ConsistentRead: true,
    }),
  );
  return typeof out.Item?.bodySignaturesSince === 'string';
}

/** Records, once, that the webhook URL behind `token` sends body-binding signatures. */
export async function markBodySignatures(token: string, now: string): Promise<void> {
  await written(
    dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.webhookToken(token),
        UpdateExpression: 'SET bodySignaturesSince = :now',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(bodySignaturesSince)',
        ExpressionAttributeValues: { ':now': now },
      }),
    ),
  );
}

/**
 * Records that a webhook with an accepted signature arrived for a configuration, at most
 * once per `everySeconds` (one conditional write, like an API key's `lastUsedAt`); nothing
 * for a configuration removed meanwhile.
 */
export async function touchProviderWebhook(
  merchantId: string,
  mode: Mode,
  provider: ProviderName,
  now: Date,
  everySeconds = 300,
): Promise<void> {
  const before = new Date(now.getTime() - everySeconds * 1000).toISOString();
  await written(
    dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.provider(merchantId, mode, provider),
        UpdateExpression: 'SET lastWebhookAt = :at',
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(lastWebhookAt) OR lastWebhookAt < :before)',
        ExpressionAttributeValues: { ':at': now.toISOString(), ':before': before },
      }),
    ),
  );
}
