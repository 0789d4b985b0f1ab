import * as z from 'zod/mini';
import { http } from '#edge/http';
import { limit, pageParams } from '#edge/schemas';
import { identity } from '#app/identity';

const query = z.strictObject({
  limit,
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  /** `yyyy-mm`, default the current month. */
  month: z.optional(z.string().check(z.regex(/^\d{4}-(0[1-9]|1[0-2])$/))),
});

/** GET /v1/admin/audit-logs — every merchant's audit log for one month, newest first; admins only. */
export const handler = http({ query }, async ({ query }) => {
  const { limit, cursor } = pageParams(query);
  const month = query.month ?? new Date().toISOString().slice(0, 7);
  return { body: await identity.listAllAudit(month, limit, cursor) };
});
