import { publicApiKey } from '#core/identity';
import { http } from '#edge/http';
import { identity, requireUser } from '#app/identity';
import { listQuery, pageParams } from '#edge/schemas';

/** GET /v1/api-keys — prefix, mode, name and dates; never a secret. */
export const handler = http({ query: listQuery }, async ({ actor, query }) => {
  const { limit, cursor } = pageParams(query);
  const page = await identity.store.listApiKeys(requireUser(actor).merchantId, limit, cursor);
  return { body: { ...page, data: page.data.map(publicApiKey) } };
});
