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

/** The shape of an id we issue with this prefix: the one place the pattern is written. */
export function idPattern(prefix: IdPrefix): RegExp {
  return new RegExp(`^${prefix}_[0-9A-Z]{26}$`);
}
