import * as z from 'zod/mini';
import { register } from '#core/identity';
import { http } from '#edge/http';
import { withMail } from '#runtime/mail';
import { identity } from '#app/identity';
import { publicBaseUrl } from '#edge/request';
import { email } from '#edge/schemas';

const mailing = withMail(identity);

export const registerBody = z.strictObject({
  email,
  password: z.string().check(z.maxLength(256)),
  businessName: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
});

/** POST /v1/auth/register — a new merchant and its owner, signed in; a verification link is emailed. */
export const handler = http({ body: registerBody }, async ({ body, meta, event }) => ({
  status: 201,
  body: await register(mailing, body, meta, publicBaseUrl(event)),
}));
