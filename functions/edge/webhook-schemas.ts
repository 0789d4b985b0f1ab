import * as z from 'zod/mini';
import { eventTypes } from '#core/webhooks';
import { objectId } from '#edge/schemas';

/** Request pieces shared by the webhook-endpoint and event routes. */
export const endpointId = z.strictObject({ id: objectId('we', 'a webhook endpoint') });
export const eventId = z.strictObject({ id: objectId('evt', 'an event') });
export const url = z.string().check(z.maxLength(2000), z.url({ protocol: /^https?$/ }));
/** Event types to receive, or `["*"]` for all. */
export const subscribedEvents = z
  .array(z.enum(['*', ...eventTypes]))
  .check(z.minLength(1), z.maxLength(eventTypes.length + 1));
