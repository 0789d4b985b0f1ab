import { http } from '#edge/http';
import { identity, requireUser } from '#app/identity';
import { listQuery, pageParams } from '#edge/schemas';

/** GET /v1/security-events — failed sign-ins, lockouts, refresh-token reuse, rejected webhooks. */
export const handler = http({ query: listQuery }, async ({ actor, query }) => {
  const { limit, cursor } = pageParams(query);
  return { body: await identity.listSecurityEvents(requireUser(actor).merchantId, limit, cursor) };
});
