import * as z from 'zod/mini';
import { updateMe } from '#core/identity';
import { http } from '#edge/http';
import { identity, requireUser } from '#app/identity';
import { currency, email } from '#edge/schemas';

export const updateMeBody = z.strictObject({
  businessName: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
  contactEmail: z.optional(email),
  defaultCurrency: z.optional(z.nullable(currency)),
});

/** PATCH /v1/me — business name, contact email, default currency. */
export const handler = http({ body: updateMeBody }, async ({ actor, body, meta }) => ({
  body: await updateMe(identity, requireUser(actor), body, meta),
}));
