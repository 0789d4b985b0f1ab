import * as z from 'zod/mini';
import { eventTypes } from '#core/webhooks';

/** Request pieces shared by the webhook-endpoint and event routes. */
export const endpointId = z.strictObject({ id: z.string().check(z.regex(/^we_[0-9A-Z]{26}$/)) });
export const eventId = z.strictObject({ id: z.string().check(z.regex(/^evt_[0-9A-Z]{26}$/)) });
export const url = z.string().check(z.maxLength(2000), z.url({ protocol: /^https?$/ }));
/** Event types to receive, or `["*"]` for all. */
export const subscribedEvents = z
  .array(z.enum(['*', ...eventTypes]))
  .check(z.minLength(1), z.maxLength(eventTypes.length + 1));
