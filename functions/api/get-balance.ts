import { http } from '#edge/http';
import { requireMerchant } from '#app/identity';
import { ledger } from '#app/ledger';

/** GET /v1/balance — what the ledger says sits at each provider, per currency. */
export const handler = http({}, async ({ actor }) => {
  const caller = requireMerchant(actor);
  const asOf = new Date().toISOString();
  return { body: { asOf, balances: await ledger.balances(caller.merchantId, caller.mode) } };
});
