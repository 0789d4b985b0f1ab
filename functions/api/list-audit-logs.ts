import { http } from '#platform/http';
import { requireUser } from '#platform/identity';
import { listQuery, pageParams } from '#platform/schemas';
import { listAudit } from '#store/audit';

/** GET /v1/audit-logs — every mutating action on the caller's merchant, newest first. */
export const handler = http({ query: listQuery }, async ({ actor, query }) => {
  const { limit, cursor } = pageParams(query);
  return { body: await listAudit(requireUser(actor).merchantId, limit, cursor) };
});
