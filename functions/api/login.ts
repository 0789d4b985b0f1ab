import * as z from 'zod/mini';
import { login } from '#core/identity';
import { http } from '#platform/http';
import { identity } from '#platform/identity';

export const loginBody = z.strictObject({
  email: z.string().check(z.maxLength(254)),
  password: z.string().check(z.maxLength(256)),
});

/** POST /v1/auth/login — access and refresh tokens. */
export const handler = http({ body: loginBody }, async ({ body, meta }) => ({
  body: await login(identity, body, meta),
}));
