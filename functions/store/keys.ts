/**
 * Every key in the single table is built here, and nowhere else. Items carry
 * `type`; `pk`/`sk` are strings; `gsi1pk`/`gsi1sk` and `gsi2pk`/`gsi2sk` are
 * generic indexes each item type uses as listed; `ttl` is epoch seconds.
 *
 * Access patterns
 * | pattern                                   | key                                                   |
 * | ----------------------------------------- | ----------------------------------------------------- |
 * | merchant by id                            | pk MER#<mer>            sk MERCHANT                   |
 * | all merchants, newest first (admin)       | gsi1pk MERCHANTS        gsi1sk <mer>                  |
 * | login by email (unique, credentials)      | pk LOGIN#<email>        sk LOGIN                      |
 * | users of a merchant                       | pk MER#<mer>            sk USER#<usr>                 |
 * | refresh-token family                      | pk SESSION#<family>     sk SESSION                    |
 * | API key by secret hash (authentication)   | pk APIKEY#<sha256>      sk APIKEY                     |
 * | API keys of a merchant, newest first      | pk MER#<mer>            sk KEY#<key>                  |
 * | audit log of a merchant, newest first     | pk MER#<mer>            sk AUDIT#<ulid>               |
 * | audit log of everyone (admin)             | gsi1pk AUDIT#<yyyy-mm>  gsi1sk <ulid>                 |
 * | security events of a merchant             | pk MER#<mer>            sk SEC#<ulid>                 |
 * | security events with no merchant (admin)  | pk SEC#UNATTRIBUTED     sk SEC#<ulid>                 |
 * | fixed-window rate counter                 | pk RATE#<class>#<who>   sk <window start>  (ttl)      |
 * | provider credentials of a merchant+mode   | pk MER#<mer>#<mode>     sk PROVIDER#<provider>        |
 * | webhook token → merchant, mode, provider  | pk HOOK#<token>         sk HOOK                       |
 * | payment by id                             | pk MER#<mer>#<mode>     sk PAY#<pay>                  |
 * | payments of a merchant+mode, newest first | pk MER#<mer>#<mode>     sk PAY#<pay>  (ULIDs sort)    |
 * | payment by merchant reference             | gsi1pk MER#<mer>#<mode>#REF#<reference>  gsi1sk <pay> |
 * | payment by provider attempt reference     | pk ATTEMPT#<provider>#<ref> sk ATTEMPT               |
 * | idempotency record (24 h)                 | pk IDEM#<mer>#<mode>#<key> sk IDEM  (ttl)            |
 * | processed provider event (dedupe)         | pk PEVT#<provider>#<event id> sk PEVT                |
 * | outbound event by id / newest first       | pk MER#<mer>#<mode>     sk EVT#<evt>                  |
 * | webhook endpoint / endpoints of a mode    | pk MER#<mer>#<mode>     sk WE#<we>                    |
 * | delivery of an event to an endpoint       | pk MER#<mer>#<mode>     sk DLV#<evt>#<we>             |
 * | deliveries of an endpoint (recover)       | gsi1pk MER#<mer>#<mode>#WE#<we>  gsi1sk <created>#<evt> |
 * | delivery attempts of an event             | pk MER#<mer>#<mode>     sk ATT#<evt>#<att>            |
 * | open payments due for a check (sparse)    | gsi2pk RECON#<ns><shard> gsi2sk <next check>#<pay>    |
 * | provider-silence alert, once a day        | pk MER#<mer>#<mode>     sk SILENCE#<provider>  (ttl)  |
 *
 * Merchant objects that live in a mode (payments, providers, events, …) use
 * `MER#<mer>#<mode>` as their partition, so test and live never share a query.
 */

export type Key = { pk: string; sk: string };

export const keys = {
  merchant: (merchantId: string): Key => ({ pk: `MER#${merchantId}`, sk: 'MERCHANT' }),
  merchantsIndex: () => ({ gsi1pk: 'MERCHANTS' }),
  login: (email: string): Key => ({ pk: `LOGIN#${email}`, sk: 'LOGIN' }),
  user: (merchantId: string, userId: string): Key => ({ pk: `MER#${merchantId}`, sk: `USER#${userId}` }),
  session: (familyId: string): Key => ({ pk: `SESSION#${familyId}`, sk: 'SESSION' }),
  apiKeyByHash: (hash: string): Key => ({ pk: `APIKEY#${hash}`, sk: 'APIKEY' }),
  apiKey: (merchantId: string, keyId: string): Key => ({ pk: `MER#${merchantId}`, sk: `KEY#${keyId}` }),
  apiKeyPrefix: 'KEY#',
  audit: (merchantId: string, id: string): Key => ({ pk: `MER#${merchantId}`, sk: `AUDIT#${id}` }),
  auditPrefix: 'AUDIT#',
  /** Admin audit index, one partition per month so no partition grows without bound. */
  auditIndex: (at: Date, id: string) => ({ gsi1pk: `AUDIT#${at.toISOString().slice(0, 7)}`, gsi1sk: id }),
  securityEvent: (merchantId: string | undefined, id: string): Key => ({
    pk: merchantId ? `MER#${merchantId}` : 'SEC#UNATTRIBUTED',
    sk: `SEC#${id}`,
  }),
  securityPrefix: 'SEC#',
  merchantPartition: (merchantId: string): string => `MER#${merchantId}`,
  /** The partition of everything a merchant owns in one mode. */
  modePartition: (merchantId: string, mode: string): string => `MER#${merchantId}#${mode}`,
  provider: (merchantId: string, mode: string, provider: string): Key => ({
    pk: `MER#${merchantId}#${mode}`,
    sk: `PROVIDER#${provider}`,
  }),
  providerPrefix: 'PROVIDER#',
  webhookToken: (token: string): Key => ({ pk: `HOOK#${token}`, sk: 'HOOK' }),
  payment: (merchantId: string, mode: string, paymentId: string): Key => ({
    pk: `MER#${merchantId}#${mode}`,
    sk: `PAY#${paymentId}`,
  }),
  paymentPrefix: 'PAY#',
  paymentReferenceIndex: (merchantId: string, mode: string, reference: string, paymentId: string) => ({
    gsi1pk: `MER#${merchantId}#${mode}#REF#${reference}`,
    gsi1sk: paymentId,
  }),
  attempt: (provider: string, reference: string): Key => ({
    pk: `ATTEMPT#${provider}#${reference}`,
    sk: 'ATTEMPT',
  }),
  providerEvent: (provider: string, eventId: string): Key => ({
    pk: `PEVT#${provider}#${eventId}`,
    sk: 'PEVT',
  }),
  event: (merchantId: string, mode: string, eventId: string): Key => ({
    pk: `MER#${merchantId}#${mode}`,
    sk: `EVT#${eventId}`,
  }),
  eventPrefix: 'EVT#',
  endpoint: (merchantId: string, mode: string, endpointId: string): Key => ({
    pk: `MER#${merchantId}#${mode}`,
    sk: `WE#${endpointId}`,
  }),
  endpointPrefix: 'WE#',
  delivery: (merchantId: string, mode: string, eventId: string, endpointId: string): Key => ({
    pk: `MER#${merchantId}#${mode}`,
    sk: `DLV#${eventId}#${endpointId}`,
  }),
  deliveryPrefix: (eventId: string): string => `DLV#${eventId}#`,
  deliveriesOfEndpoint: (
    merchantId: string,
    mode: string,
    endpointId: string,
    createdAt: string,
    eventId: string,
  ) => ({
    gsi1pk: `MER#${merchantId}#${mode}#WE#${endpointId}`,
    gsi1sk: `${createdAt}#${eventId}`,
  }),
  deliveryAttempt: (merchantId: string, mode: string, eventId: string, attemptId: string): Key => ({
    pk: `MER#${merchantId}#${mode}`,
    sk: `ATT#${eventId}#${attemptId}`,
  }),
  attemptPrefix: (eventId: string): string => `ATT#${eventId}#`,
  /** Spread over one partition per merchant, mode and key: never one hot partition for all. */
  idempotency: (merchantId: string, mode: string, key: string): Key => ({
    pk: `IDEM#${merchantId}#${mode}#${key}`,
    sk: 'IDEM',
  }),
  rate: (kind: string, who: string, windowStart: number): Key => ({
    pk: `RATE#${kind}#${who}`,
    sk: String(windowStart),
  }),
  /**
   * The sweeper's sparse index: only payments that still need a provider check
   * (open ones, and expired ones watched for late money) carry these keys; a
   * settled payment drops them, so a sweep costs what is open, not what is
   * history. Spread over `reconcileShards` partitions by payment id; `ns`
   * separates sweepers sharing one table (test files, two local stacks).
   */
  reconcileDue: (ns: string, paymentId: string, nextCheckAt: string) => ({
    gsi2pk: `RECON#${ns}${reconcileShard(paymentId)}`,
    gsi2sk: `${nextCheckAt}#${paymentId}`,
  }),
  reconcilePartition: (ns: string, shard: number): string => `RECON#${ns}${shard}`,
  providerSilence: (merchantId: string, mode: string, provider: string): Key => ({
    pk: `MER#${merchantId}#${mode}`,
    sk: `SILENCE#${provider}`,
  }),
} as const;

/** Partitions of the sweeper's index: a sweep is this many Queries plus one read per due payment. */
export const reconcileShards = 4;

function reconcileShard(paymentId: string): number {
  let h = 0;
  for (const c of paymentId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % reconcileShards;
}
