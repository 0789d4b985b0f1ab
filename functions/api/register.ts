import * as z from 'zod/mini';
import { register } from '#core/identity';
import { http } from '#platform/http';
import { identity } from '#platform/identity';
import { email } from '#platform/schemas';

export const registerBody = z.strictObject({
  email,
  password: z.string().check(z.maxLength(256)),
  businessName: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
});

/** POST /v1/auth/register — a new merchant and its owner, signed in. */
export const handler = http({ body: registerBody }, async ({ body, meta }) => ({
  status: 201,
  body: await register(identity, body, meta),
}));
