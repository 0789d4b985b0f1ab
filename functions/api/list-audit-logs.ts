import { http } from '#edge/http';
import { requireUser } from '#app/identity';
import { listQuery, pageParams } from '#edge/schemas';
import { listAudit } from '#store/audit';

/** GET /v1/audit-logs — every mutating action on the caller's merchant, newest first. */
export const handler = http({ query: listQuery }, async ({ actor, query }) => {
  const { limit, cursor } = pageParams(query);
  return { body: await listAudit(requireUser(actor).merchantId, limit, cursor) };
});
