import * as z from 'zod/mini';
import { refresh } from '#core/identity';
import { http } from '#platform/http';
import { identity } from '#platform/identity';

export const refreshBody = z.strictObject({ refreshToken: z.string().check(z.maxLength(200)) });

/** POST /v1/auth/refresh — rotates the refresh token; a reused one revokes its family. */
export const handler = http({ body: refreshBody }, async ({ body, meta }) => ({
  body: await refresh(identity, body.refreshToken, meta),
}));
