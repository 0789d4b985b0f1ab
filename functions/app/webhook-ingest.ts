import type { WebhookTarget } from '#core/providers';
import type { ProviderName } from '#core/provider-adapter';
import { findWebhookToken } from '#store/providers';
import { sendProviderEvent } from '#runtime/queues';
import { webhookTokens } from '#app/webhook-tokens';

/**
 * The provider-webhook ingest route's services (POST /hooks/{provider}/{token}), apart
 * from app/webhooks.ts so the route that must answer providers fast carries no KMS
 * client, SSRF resolver or webhook store in its bundle: a token check, one send.
 */
export const webhookIngest = {
  /**
   * Whom a webhook URL's token names (merchant, mode, provider), or undefined. A signed token
   * (configurations made since issue #15) is verified by its MAC, without a read; a token of the
   * first, random form (URLs already pasted in providers' dashboards), or one whose key this
   * container cannot use, is looked up.
   */
  async targetOf(token: string, provider: ProviderName): Promise<WebhookTarget | undefined> {
    return (await webhookTokens.read(token, provider)) ?? (await findWebhookToken(token));
  },
  /** Puts the untouched webhook on the provider-events queue (its schema: runtime/queues.ts). */
  enqueue: sendProviderEvent,
};
