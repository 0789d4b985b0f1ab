import { monotonicFactory } from 'ulid';

/** Every id prefix PayBridge issues (DESIGN.md, Conventions). */
export type IdPrefix =
  'mer' | 'usr' | 'key' | 'pay' | 'ref' | 'evt' | 'we' | 'msg' | 'att' | 'ses' | 'aud' | 'sec';

const ulid = monotonicFactory();

/** A prefixed, time-sortable, random id such as `pay_01J…`. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid()}`;
}

/** True when `value` looks like an id we issued with this prefix. */
export function isId(prefix: IdPrefix, value: string): boolean {
  return new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`).test(value);
}
