import type { Mode } from '#core/actor';
import type { AuditInput } from '#core/identity';
import type { RoutableProvider } from '#core/payments';
import type { ProviderCredentials, ProviderName } from '#core/provider-adapter';
import { isWebhookToken, type ProviderConfig, type ProviderStore, type WebhookTarget } from '#core/providers';
import { ConditionRefused, copy, roundTrip, transact } from './conditions.ts';

const key = (merchantId: string, mode: Mode, provider: ProviderName) => `${merchantId}#${mode}#${provider}`;

/** A security event as the provider store records it with every change of credentials. */
export interface ProviderNotice {
  merchantId: string;
  kind: 'provider_credentials_changed' | 'provider_credentials_removed';
  provider: ProviderName;
  mode: Mode;
  secretKeyLast4: string;
}

/**
 * Provider credentials in memory, with the conditions of store/providers.ts: a
 * configuration is created only if neither it nor its webhook token exists,
 * replaced only if the stored one is still the one the caller read (same token,
 * same `updatedAt`), and removed with its token lookup only while its token is
 * the caller's. Each change writes its audit entry and the owner's security
 * event in the same transaction. Secrets are kept apart from the configuration,
 * as the DynamoDB store seals them.
 */
export class MemoryProviderStore implements ProviderStore {
  private readonly configs = new Map<string, ProviderConfig>();
  private readonly secrets = new Map<string, ProviderCredentials>();
  private readonly tokens = new Map<string, WebhookTarget>();
  readonly audits: AuditInput[] = [];
  readonly notices: ProviderNotice[] = [];

  async get(merchantId: string, mode: Mode, provider: ProviderName): Promise<ProviderConfig | undefined> {
    await roundTrip();
    const found = this.configs.get(key(merchantId, mode, provider));
    return found && copy(found);
  }

  async list(merchantId: string, mode: Mode): Promise<ProviderConfig[]> {
    await roundTrip();
    const prefix = `${merchantId}#${mode}#`;
    return [...this.configs].filter(([k]) => k.startsWith(prefix)).map(([, c]) => copy(c));
  }

  async put(
    config: ProviderConfig,
    credentials: ProviderCredentials,
    previous: ProviderConfig | undefined,
    audit: AuditInput,
  ): Promise<boolean> {
    await roundTrip();
    const k = key(config.merchantId, config.mode, config.provider);
    const notice = this.notice(config, 'provider_credentials_changed');
    try {
      transact([
        {
          condition: () => {
            const stored = this.configs.get(k);
            return previous
              ? stored?.webhookToken === previous.webhookToken && stored.updatedAt === previous.updatedAt
              : stored === undefined;
          },
          write: () => {
            this.configs.set(k, copy(config));
            this.secrets.set(k, copy(credentials));
          },
        },
        ...(previous
          ? []
          : [
              {
                condition: () => !this.tokens.has(config.webhookToken),
                write: () =>
                  this.tokens.set(config.webhookToken, {
                    merchantId: config.merchantId,
                    mode: config.mode,
                    provider: config.provider,
                  }),
              },
            ]),
        { write: () => this.audits.push(audit) },
        { write: () => this.notices.push(notice) },
      ]);
      return true;
    } catch (error) {
      if (error instanceof ConditionRefused) return false;
      throw error;
    }
  }

  async remove(config: ProviderConfig, audit: AuditInput): Promise<boolean> {
    await roundTrip();
    const k = key(config.merchantId, config.mode, config.provider);
    const notice = this.notice(config, 'provider_credentials_removed');
    try {
      transact([
        {
          condition: () => this.configs.get(k)?.webhookToken === config.webhookToken,
          write: () => {
            this.configs.delete(k);
            this.secrets.delete(k);
          },
        },
        { write: () => this.tokens.delete(config.webhookToken) },
        { write: () => this.audits.push(audit) },
        { write: () => this.notices.push(notice) },
      ]);
      return true;
    } catch (error) {
      if (error instanceof ConditionRefused) return false;
      throw error;
    }
  }

  /** Where a webhook token points (the ingest's lookup): nothing for an unknown, removed or malformed token. */
  async findWebhookToken(token: string): Promise<WebhookTarget | undefined> {
    if (!isWebhookToken(token)) return undefined;
    await roundTrip();
    const found = this.tokens.get(token);
    return found && copy(found);
  }

  /** The credentials as stored for a configuration (what the store would open for a provider call). */
  async credentials(
    merchantId: string,
    mode: Mode,
    provider: ProviderName,
  ): Promise<ProviderCredentials | undefined> {
    await roundTrip();
    const found = this.secrets.get(key(merchantId, mode, provider));
    return found && copy(found);
  }

  /** The enabled configurations as payment routing sees them (`PaymentGateway.enabledProviders`). */
  async routable(merchantId: string, mode: Mode): Promise<RoutableProvider[]> {
    return (await this.list(merchantId, mode))
      .filter((c) => c.enabled)
      .sort((a, b) => a.provider.localeCompare(b.provider))
      .map((c) => ({ provider: c.provider, currencies: c.currencies }));
  }

  private notice(config: ProviderConfig, kind: ProviderNotice['kind']): ProviderNotice {
    return {
      merchantId: config.merchantId,
      kind,
      provider: config.provider,
      mode: config.mode,
      secretKeyLast4: config.secretKeyLast4,
    };
  }
}
