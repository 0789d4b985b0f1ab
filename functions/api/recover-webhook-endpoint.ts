import * as z from 'zod/mini';
import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { webhookEndpoints } from '#app/webhooks';
import { endpointId } from '#edge/webhook-schemas';

export const recoverBody = z.strictObject({ since: z.string().check(z.iso.datetime()) });

/** POST /v1/webhook-endpoints/{id}/recover — resend every failed delivery since a time. */
export const handler = http({ params: endpointId, body: recoverBody }, async ({ actor, params, body }) => ({
  status: 202,
  body: await webhookEndpoints.recover(requireMerchant(actor), params.id, new Date(body.since)),
}));
