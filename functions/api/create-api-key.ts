import * as z from 'zod/mini';
import { createApiKey } from '#core/identity';
import { http } from '#edge/http';
import { identity, requireUser } from '#app/identity';
import { mode } from '#edge/schemas';

export const createApiKeyBody = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
  mode,
  /**
   * `server` (default): payments and reads. `full`: also provider credentials
   * and webhook endpoints; ask for it only for a key that must manage those.
   */
  scope: z.optional(z.enum(['server', 'full'])),
});

/** POST /v1/api-keys — the secret appears in this response only; `server` scope unless `full` is asked for. */
export const handler = http({ body: createApiKeyBody }, async ({ actor, body, meta }) => ({
  status: 201,
  body: await createApiKey(identity, requireUser(actor), body, meta),
}));
