import * as z from 'zod/mini';
import { NotFound, ValidationFailed } from '#core/errors';
import { http } from '#edge/http';
import { rawBody } from '#edge/request';
import { providerName } from '#edge/schemas';
import { webhookIngest } from '#app/webhook-ingest';

/** Larger provider webhooks are refused; real ones are a few KB. */
export const maxWebhookBytes = 256 * 1024;

const params = z.strictObject({
  provider: providerName,
  token: z.string().check(z.regex(/^[A-Za-z0-9_-]{20,100}$/)),
});

/**
 * POST /hooks/{provider}/{token} — the provider's call. It checks only that the
 * token names a configuration of this provider (a signed token by its MAC, no read;
 * a token of the first form by a lookup) and the size, puts the untouched bytes, the
 * headers, the source IP and the time on the provider-events queue, and answers
 * 200 at once. Verification happens in the worker; nothing here is trusted.
 */
export const handler = http({ params, ignoreInput: true }, async ({ params, event, meta }) => {
  const bytes = rawBody(event);
  if (bytes.length > maxWebhookBytes) {
    throw new ValidationFailed(
      'body_too_large',
      `Webhook bodies are limited to ${maxWebhookBytes} bytes.`,
      undefined,
      413,
    );
  }
  const target = await webhookIngest.targetOf(params.token, params.provider);
  if (!target || target.provider !== params.provider)
    throw new NotFound('resource_missing', 'No such webhook URL.');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  await webhookIngest.enqueue({
    provider: params.provider,
    token: params.token,
    headers,
    body: bytes.toString('base64'),
    sourceIp: meta.ip,
    receivedAt: new Date().toISOString(),
    target: { merchantId: target.merchantId, mode: target.mode },
  });
  return { status: 200, body: { received: true } };
});
