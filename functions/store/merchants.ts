import type { Merchant } from '#core/identity';
import { readMerchant } from './identity.ts';
import { keys } from './keys.ts';
import { type Page, queryPage } from './pagination.ts';

/** Every merchant, newest first (admin). */
export function listMerchants(limit: number, cursor?: string): Promise<Page<Merchant>> {
  return queryPage({
    index: 'gsi1',
    partition: keys.merchantsIndex().gsi1pk,
    limit,
    cursor,
    read: readMerchant,
  });
}
