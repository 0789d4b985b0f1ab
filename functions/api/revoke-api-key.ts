import * as z from 'zod/mini';
import { revokeApiKey } from '#core/identity';
import { http } from '#edge/http';
import { identity, requireUser } from '#app/identity';
import { objectId } from '#edge/schemas';

/** POST /v1/api-keys/{id}/revoke — the key stops working within seconds. */
export const handler = http(
  { params: z.strictObject({ id: objectId('key', 'an API key') }) },
  async ({ actor, params, meta }) => ({
    body: await revokeApiKey(identity, requireUser(actor), params.id, meta),
  }),
);
