import * as z from 'zod/mini';
import { createApiKey } from '#core/identity';
import { http } from '#platform/http';
import { identity, requireUser } from '#platform/identity';
import { mode } from '#platform/schemas';

export const createApiKeyBody = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
  mode,
});

/** POST /v1/api-keys — the secret appears in this response only. */
export const handler = http({ body: createApiKeyBody }, async ({ actor, body, meta }) => ({
  status: 201,
  body: await createApiKey(identity, requireUser(actor), body, meta),
}));
