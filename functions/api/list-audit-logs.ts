import { http } from '#edge/http';
import { identity, requireUser } from '#app/identity';
import { listQuery, pageParams } from '#edge/schemas';

/** GET /v1/audit-logs — every mutating action on the caller's merchant, newest first. */
export const handler = http({ query: listQuery }, async ({ actor, query }) => {
  const { limit, cursor } = pageParams(query);
  return { body: await identity.listAudit(requireUser(actor).merchantId, limit, cursor) };
});
