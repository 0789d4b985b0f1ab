import { monotonicFactory } from 'ulid';

/** Every id prefix PayBridge issues (ARCHITECTURE.md, Conventions). */
export type IdPrefix =
  | 'mer'
  | 'usr'
  | 'key'
  | 'pay'
  | 'ref'
  | 'evt'
  | 'we'
  | 'msg'
  | 'att'
  | 'ses'
  | 'aud'
  | 'sec'
  | 're'
  | 'plink';

const ulid = monotonicFactory();

/** A prefixed, time-sortable, random id such as `pay_01J…`. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid()}`;
}

/**
 * The shape of an id we issue with this prefix: the one place the pattern is written (request
 * schemas, response schemas, the OpenAPI document, the provider adapters all use it). The tail
 * is a ULID: 26 upper-case letters and digits (its Crockford alphabet is a subset, and the API has
 * always accepted the wider set, documented examples such as `pay_01JXAMPLE…` included).
 * `separator` is `-` only where a provider allows no underscore (Paystack's `ref-…`).
 */
export function idPattern(prefix: IdPrefix, separator: '_' | '-' = '_'): RegExp {
  return new RegExp(`^${prefix}${separator}[0-9A-Z]{26}$`);
}
