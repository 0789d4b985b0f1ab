import { findWebhookToken } from '#store/providers';
import { sendProviderEvent } from '#runtime/queues';

/**
 * The provider-webhook ingest route's services (POST /hooks/{provider}/{token}), apart
 * from app/webhooks.ts so the route that must answer providers fast carries no KMS
 * client, SSRF resolver or webhook store in its bundle: one token lookup, one send.
 */
export const webhookIngest = {
  /** Whom a webhook URL's token names (merchant, mode, provider), or undefined. */
  targetOf: findWebhookToken,
  /** Puts the untouched webhook on the provider-events queue (its schema: runtime/queues.ts). */
  enqueue: sendProviderEvent,
};
