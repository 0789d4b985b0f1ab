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
 * | emailed link (verify / reset) by its hash | pk EMAILTOKEN#<sha256>  sk EMAILTOKEN  (ttl)          |
 * | API key by secret hash (authentication)   | pk APIKEY#<sha256>      sk APIKEY                     |
 * | API keys of a merchant, newest first      | pk MER#<mer>            sk KEY#<key>                  |
 * | audit log of a merchant, newest first     | pk MER#<mer>            sk AUDIT#<ulid>               |
 * | audit log of everyone (admin)             | gsi1pk AUDIT#<yyyy-mm>  gsi1sk <ulid>                 |
 * | security events of a merchant             | pk MER#<mer>            sk SEC#<ulid>                 |
 * | security events with no merchant (admin)  | pk SEC#UNATTRIBUTED#<yyyy-mm-dd>#<0-15> sk SEC#<ulid> |
 * | fixed-window rate counter                 | pk RATE#<class>#<who>   sk <window start>  (ttl)      |
 * | provider credentials of a merchant+mode   | pk MER#<mer>#<mode>     sk PROVIDER#<provider>        |
 * | webhook token → merchant, mode, provider  | pk HOOK#<token>         sk HOOK                       |
 * | payment by id                             | pk MER#<mer>#<mode>     sk PAY#<pay>                  |
 * | payments of a merchant+mode, newest first | pk MER#<mer>#<mode>     sk PAY#<pay>  (ULIDs sort)    |
 * | payment by merchant reference             | gsi1pk MER#<mer>#<mode>#REF#<reference>  gsi1sk <pay> |
 * | payment by provider attempt reference     | pk ATTEMPT#<provider>#<ref> sk ATTEMPT               |
 * | per-currency amount limits of a mode      | pk MER#<mer>#<mode>     sk LIMITS                     |
 * | idempotency record (24 h)                 | pk IDEM#<mer>#<mode>#<key> sk IDEM  (ttl)            |
 * | processed provider event (dedupe, 30 d)   | pk PEVT#<mer>#<mode>#<provider>#<identity> sk PEVT (ttl) |
 * | outbound event by id / newest first       | pk MER#<mer>#<mode>     sk EVT#<evt>                  |
 * | webhook endpoint / endpoints of a mode    | pk MER#<mer>#<mode>     sk WE#<we>                    |
 * | delivery of an event to an endpoint       | pk MER#<mer>#<mode>     sk DLV#<evt>#<we>             |
 * | deliveries of an endpoint (recover)       | gsi1pk MER#<mer>#<mode>#WE#<we>  gsi1sk <created>#<evt> |
 * | delivery attempts of an event             | pk MER#<mer>#<mode>     sk ATT#<evt>#<att>            |
 * | open payments due for a check (sparse)    | gsi2pk RECON#<ns><shard> gsi2sk <next check>#<pay>    |
 * | provider-silence alert, once a day        | pk MER#<mer>#<mode>     sk SILENCE#<provider>  (ttl)  |
 * | payment activity (timeline), time order   | pk MER#<mer>#<mode>     sk PACT#<pay>#<at>#<id> (ttl) |
 * | refund by id / refunds newest first       | pk MER#<mer>#<mode>     sk REFUND#<re>                |
 * | refunds of a payment                      | gsi1pk MER#<mer>#<mode>#PAY#<pay>#REFUNDS  gsi1sk <re> |
 * | open refunds due for a check (sparse)     | gsi2pk RECON#<ns><shard> gsi2sk <next check>#<re>     |
 * | ledger entry: one cause's postings (its first's deterministic id) | pk MER#<mer>#<mode> sk BTX#<btx> |
 * | ledger postings, newest first             | gsi1pk MER#<mer>#<mode>#BTX  gsi1sk <created>#<btx>   |
 * | running balance, 8 shards per currency    | pk MER#<mer>#<mode>     sk BAL#<provider>#<currency>#<n> |
 * | payment link by id / links newest first   | pk MER#<mer>#<mode>     sk PLINK#<plink>              |
 * | payment link by its public slug (page)    | pk PLINKSLUG#<slug>     sk PLINKSLUG                  |
 * | payments of a link (a link payment has no merchant reference, so gsi1 is free) | gsi1pk MER#<mer>#<mode>#PLINK#<plink>  gsi1sk <pay> |
 * | form submission's claim on a link's counter (24 h) | pk PLINKSUB#<plink>#<token> sk PLINKSUB  (ttl) |
 *
 * Merchant objects that live in a mode (payments, providers, events, …) use
 * `MER#<mer>#<mode>` as their partition, so test and live never share a query.
 */

import { encodeTime } from 'ulid';

export type Key = { pk: string; sk: string };

/** A date as a ULID time: clamped to what a ULID can hold (1970 to the year 10889). */
export const ulidTime = (date: Date): number => Math.min(Math.max(date.getTime(), 0), 2 ** 48 - 1);

/**
 * The sort-key range of the items under `prefix` (`PAY#`) whose ULID ids
 * (`pay_…`) were made from `from` to `to` (either end open): ids sort by time, so
 * a created range is a key range.
 */
function createdRange(prefix: string, idPrefix: string, from?: Date, to?: Date): [string, string] {
  return [
    from ? `${prefix}${idPrefix}_${encodeTime(ulidTime(from), 10)}` : prefix,
    to ? `${prefix}${idPrefix}_${encodeTime(ulidTime(to), 10)}~` : `${prefix}~`,
  ];
}

/**
 * Security events with no merchant (sign-ins for unknown emails) are written by
 * anyone who can reach the login route: one partition per UTC day and shard, the
 * shard from the id's random last character, so a flood spreads over 16 partitions
 * and no partition grows forever.
 */
const unattributedShards = 16;
const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function unattributedPartition(id: string): string {
  const ulid = id.slice(id.indexOf('_') + 1);
  let ms = 0;
  for (const char of ulid.slice(0, 10)) ms = ms * 32 + Math.max(0, crockford.indexOf(char));
  const day = new Date(ms).toISOString().slice(0, 10);
  const shard = Math.max(0, crockford.indexOf(ulid.at(-1) ?? '0')) % unattributedShards;
  return `SEC#UNATTRIBUTED#${day}#${shard}`;
}

export const keys = {
  merchant: (merchantId: string): Key => ({ pk: `MER#${merchantId}`, sk: 'MERCHANT' }),
  merchantsIndex: () => ({ gsi1pk: 'MERCHANTS' }) as const,
  login: (email: string): Key => ({ pk: `LOGIN#${email}`, sk: 'LOGIN' }),
  user: (merchantId: string, userId: string): Key => ({ pk: `MER#${merchantId}`, sk: `USER#${userId}` }),
  session: (familyId: string): Key => ({ pk: `SESSION#${familyId}`, sk: 'SESSION' }),
  /** A single-use emailed link (verification, password reset), by the SHA-256 of its token: never the token. */
  emailToken: (hash: string): Key => ({ pk: `EMAILTOKEN#${hash}`, sk: 'EMAILTOKEN' }),
  apiKeyByHash: (hash: string): Key => ({ pk: `APIKEY#${hash}`, sk: 'APIKEY' }),
  apiKey: (merchantId: string, keyId: string): Key => ({ pk: `MER#${merchantId}`, sk: `KEY#${keyId}` }),
  apiKeyPrefix: 'KEY#',
  audit: (merchantId: string, id: string): Key => ({ pk: `MER#${merchantId}`, sk: `AUDIT#${id}` }),
  auditPrefix: 'AUDIT#',
  /** Admin audit index, one partition per month so no partition grows without bound. */
  auditIndex: (at: Date, id: string) => ({
    gsi1pk: keys.auditMonth(at.toISOString().slice(0, 7)),
    gsi1sk: id,
  }),
  /** The admin audit index's partition for one month (`yyyy-mm`). */
  auditMonth: (month: string): string => `AUDIT#${month}`,
  securityEvent: (merchantId: string | undefined, id: string): Key => ({
    pk: merchantId ? `MER#${merchantId}` : unattributedPartition(id),
    sk: `SEC#${id}`,
  }),
  /** Every partition unattributed security events of one UTC day are spread over (admin reads all 16). */
  unattributedPartitions: (day: string): string[] =>
    Array.from({ length: unattributedShards }, (_, n) => `SEC#UNATTRIBUTED#${day}#${n}`),
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
  /** Payments created from `from` to `to` (either open), as a sort-key range of the mode partition. */
  paymentsCreated: (from?: Date, to?: Date) => createdRange('PAY#', 'pay', from, to),
  amountLimits: (merchantId: string, mode: string): Key => ({
    pk: `MER#${merchantId}#${mode}`,
    sk: 'LIMITS',
  }),
  paymentReferenceIndex: (merchantId: string, mode: string, reference: string, paymentId: string) => ({
    gsi1pk: keys.paymentsWithReference(merchantId, mode, reference),
    gsi1sk: paymentId,
  }),
  paymentsWithReference: (merchantId: string, mode: string, reference: string): string =>
    `MER#${merchantId}#${mode}#REF#${reference}`,
  attempt: (provider: string, reference: string): Key => ({
    pk: `ATTEMPT#${provider}#${reference}`,
    sk: 'ATTEMPT',
  }),
  /**
   * A processed provider event, scoped to the merchant and mode whose webhook URL
   * it came in on: a provider's event id is not a secret (Flutterwave's is its
   * global, increasing transaction number), so one merchant must never be able to
   * claim an id before another merchant's genuine event arrives. `identity` is the
   * adapter's event id prefixed by our reference (app/inbound.ts).
   */
  providerEvent: (merchantId: string, mode: string, provider: string, identity: string): Key => ({
    pk: `PEVT#${merchantId}#${mode}#${provider}#${identity}`,
    sk: 'PEVT',
  }),
  event: (merchantId: string, mode: string, eventId: string): Key => ({
    pk: `MER#${merchantId}#${mode}`,
    sk: `EVT#${eventId}`,
  }),
  eventPrefix: 'EVT#',
  /** Events created from `from` to `to` (either open), as a sort-key range of the mode partition. */
  eventsCreated: (from?: Date, to?: Date) => createdRange('EVT#', 'evt', from, to),
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
    gsi1pk: keys.endpointDeliveries(merchantId, mode, endpointId),
    gsi1sk: `${createdAt}#${eventId}`,
  }),
  endpointDeliveries: (merchantId: string, mode: string, endpointId: string): string =>
    `MER#${merchantId}#${mode}#WE#${endpointId}`,
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
  refund: (merchantId: string, mode: string, refundId: string): Key => ({
    pk: `MER#${merchantId}#${mode}`,
    sk: `REFUND#${refundId}`,
  }),
  refundPrefix: 'REFUND#',
  /** Refunds created from `from` to `to` (either open), as a sort-key range of the mode partition. */
  refundsCreated: (from?: Date, to?: Date) => createdRange('REFUND#', 're', from, to),
  refundsOfPayment: (merchantId: string, mode: string, paymentId: string, refundId: string) => ({
    gsi1pk: keys.paymentRefunds(merchantId, mode, paymentId),
    gsi1sk: refundId,
  }),
  paymentRefunds: (merchantId: string, mode: string, paymentId: string): string =>
    `MER#${merchantId}#${mode}#PAY#${paymentId}#REFUNDS`,
  posting: (merchantId: string, mode: string, postingId: string): Key => ({
    pk: `MER#${merchantId}#${mode}`,
    sk: `BTX#${postingId}`,
  }),
  postingPrefix: 'BTX#',
  postingsIndex: (merchantId: string, mode: string, createdAt: string, postingId: string) => ({
    gsi1pk: keys.postings(merchantId, mode),
    gsi1sk: `${createdAt}#${postingId}`,
  }),
  postings: (merchantId: string, mode: string): string => `MER#${merchantId}#${mode}#BTX`,
  /** Postings created from `from` to `to` (either open), as a range of the `postings` index partition. */
  postingsCreated: (from?: Date, to?: Date): [string, string] => [
    from ? from.toISOString() : '0',
    to ? `${to.toISOString()}~` : '~',
  ],
  /**
   * The running balance is spread over `balanceShards` items per provider and
   * currency, each write adding to one at random: a busy merchant's balance never
   * becomes one hot item; a read sums the shards (one Query).
   */
  balanceShard: (
    merchantId: string,
    mode: string,
    provider: string,
    currency: string,
    shard: number,
  ): Key => ({
    pk: `MER#${merchantId}#${mode}`,
    sk: `BAL#${provider}#${currency}#${shard}`,
  }),
  balancePrefix: 'BAL#',
  paymentLink: (merchantId: string, mode: string, linkId: string): Key => ({
    pk: `MER#${merchantId}#${mode}`,
    sk: `PLINK#${linkId}`,
  }),
  paymentLinkPrefix: 'PLINK#',
  /** The public page's slug → merchant, mode and link: the page's only lookup, one GetItem. */
  paymentLinkSlug: (slug: string): Key => ({ pk: `PLINKSLUG#${slug}`, sk: 'PLINKSLUG' }),
  /** Payments made through a link (`GET /v1/payment-links/{id}/payments`, `?paymentLink=`). */
  paymentsOfLink: (merchantId: string, mode: string, linkId: string, paymentId: string) => ({
    gsi1pk: keys.linkPayments(merchantId, mode, linkId),
    gsi1sk: paymentId,
  }),
  linkPayments: (merchantId: string, mode: string, linkId: string): string =>
    `MER#${merchantId}#${mode}#PLINK#${linkId}`,
  /**
   * One hosted-page form submission's slot in its link's `paymentsCount`: written in
   * the same transaction as the counter's conditional increment, so a double tap
   * counts once. Outside the merchant's partition, expired by TTL.
   */
  paymentLinkSubmission: (linkId: string, token: string): Key => ({
    pk: `PLINKSUB#${linkId}#${token}`,
    sk: 'PLINKSUB',
  }),
  providerSilence: (merchantId: string, mode: string, provider: string): Key => ({
    pk: `MER#${merchantId}#${mode}`,
    sk: `SILENCE#${provider}`,
  }),
  /** One webhook-received or verify entry of a payment's timeline; `at` (ISO) first so a Query is in time order. */
  paymentActivity: (merchantId: string, mode: string, paymentId: string, at: string, id: string): Key => ({
    pk: `MER#${merchantId}#${mode}`,
    sk: `PACT#${paymentId}#${at}#${id}`,
  }),
  paymentActivityPrefix: (paymentId: string): string => `PACT#${paymentId}#`,
} as const;

export const balanceShards = 8;

/** Partitions of the sweeper's index: a sweep is this many Queries plus one read per due payment. */
export const reconcileShards = 4;

function reconcileShard(paymentId: string): number {
  let h = 0;
  for (const c of paymentId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % reconcileShards;
}
