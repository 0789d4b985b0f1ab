import * as z from 'zod/mini';
import { register } from '#core/identity';
import { http } from '#edge/http';
import { mailingIdentity } from '#app/identity-mail';
import { publicBaseUrl } from '#edge/request';
import { email } from '#edge/schemas';

export const registerBody = z.strictObject({
  email,
  password: z.string().check(z.maxLength(256)),
  businessName: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
});

/** POST /v1/auth/register — a new merchant and its owner, signed in; a verification link is emailed. */
export const handler = http({ body: registerBody }, async ({ body, meta, event }) => ({
  status: 201,
  body: await register(mailingIdentity, body, meta, publicBaseUrl(event)),
}));
