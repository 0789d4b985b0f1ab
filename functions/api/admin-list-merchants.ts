import { http } from '#edge/http';
import { listQuery, pageParams } from '#edge/schemas';
import { identity } from '#app/identity';

/** GET /v1/admin/merchants — admins only (declared in the route table). */
export const handler = http({ query: listQuery }, async ({ query }) => {
  const { limit, cursor } = pageParams(query);
  return { body: await identity.listMerchants(limit, cursor) };
});
