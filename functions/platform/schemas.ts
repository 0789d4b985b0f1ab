import * as z from 'zod/mini';
import { ValidationFailed } from '#core/errors';

/** Shared request pieces. Route-specific schemas live beside their handler. */

export const email = z.string().check(z.trim(), z.maxLength(254), z.email());

export const currency = z.string().check(z.regex(/^[A-Z]{3}$/));

export const mode = z.enum(['test', 'live']);

/** `?limit=&cursor=` (DESIGN.md, Lists). */
export const listQuery = z.strictObject({
  limit: z.optional(z.string().check(z.regex(/^\d{1,3}$/))),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

/** Limit 1–100, default 20. */
export function pageParams(query: { limit?: string | undefined; cursor?: string | undefined }): {
  limit: number;
  cursor: string | undefined;
} {
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new ValidationFailed('invalid_field', '`limit` must be an integer from 1 to 100.', 'limit');
  }
  return { limit, cursor: query.cursor };
}
