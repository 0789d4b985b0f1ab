import * as z from 'zod/mini';
import { ValidationFailed } from '#core/errors';
import { type IdPrefix, idPattern } from '#core/ids';
import { providerNames } from '#core/provider-adapter';

/** Shared request pieces. Route-specific schemas live beside their handler. */

export const email = z.string().check(z.trim(), z.maxLength(254), z.email());

export const currency = z
  .string()
  .check(z.regex(/^[A-Z]{3}$/, { error: 'must be an upper-case ISO 4217 code such as NGN' }));

/** An id we issue, e.g. `objectId('pay', 'a payment')`: the message names the kind and an example. */
export function objectId(prefix: IdPrefix, noun: string) {
  return z.string().check(
    z.regex(idPattern(prefix), {
      error: `must be ${noun} id such as ${prefix}_01JD6F5Q0Z3M8W2XK7T4N9HRBE`,
    }),
  );
}

/** The merchant's own reference for a payment (an order number). */
export const reference = z.string().check(
  z.regex(/^[A-Za-z0-9._=-]{1,100}$/, {
    error: 'must be 1–100 letters, digits, `.`, `_`, `=` or `-`, such as order-1042',
  }),
);

/** `?limit=`: checked as text here, as a number by `pageParams`. */
export const limit = z.optional(
  z.string().check(z.regex(/^\d{1,3}$/, { error: 'must be a whole number from 1 to 100, such as 20' })),
);

export const mode = z.enum(['test', 'live']);

/** A provider's name, from the one list (core/provider-adapter.ts). */
export const providerName = z.enum(providerNames);

/** `?limit=&cursor=` (ARCHITECTURE.md, Conventions: Lists). */
export const listQuery = z.strictObject({
  limit,
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

/** `?createdFrom=&createdTo=` as dates, the first not after the second (400 otherwise). */
export function createdRange(query: { createdFrom?: string | undefined; createdTo?: string | undefined }): {
  createdFrom: Date | undefined;
  createdTo: Date | undefined;
} {
  const createdFrom = query.createdFrom ? new Date(query.createdFrom) : undefined;
  const createdTo = query.createdTo ? new Date(query.createdTo) : undefined;
  if (createdFrom && createdTo && createdFrom > createdTo) {
    throw new ValidationFailed(
      'invalid_field',
      '`createdFrom` must not be after `createdTo`.',
      'createdFrom',
    );
  }
  return { createdFrom, createdTo };
}
