/**
 * What the in-memory adapters share: DynamoDB's rules for a write, reduced to
 * what the domain can observe. Each request is atomic (no other request runs
 * between its condition and its write), a transaction is all or nothing and
 * names the item whose condition failed, and nothing a caller holds aliases
 * what is stored. Between requests, concurrent callers interleave, as they do
 * against the real table.
 */

/** The code DynamoDB gives each item of a cancelled transaction. */
export type ItemCode = 'ConditionalCheckFailed' | 'None';

/** A transaction (or a single conditional write) refused by a condition: one code per item, in order. */
export class ConditionRefused extends Error {
  readonly codes: readonly ItemCode[];
  constructor(codes: readonly ItemCode[]) {
    super(`conditional write refused: ${codes.join(',')}`);
    this.name = 'ConditionRefused';
    this.codes = codes;
  }
}

/** One item of a transaction: its condition, read before anything is written, and its write. */
export interface TransactItem {
  readonly condition?: () => boolean;
  readonly write?: () => void;
}

/**
 * Writes every item or none: all conditions are evaluated against the state
 * before the transaction, then, if all hold, every write is applied.
 */
export function transact(items: readonly TransactItem[]): void {
  const codes = items.map((item): ItemCode =>
    item.condition && !item.condition() ? 'ConditionalCheckFailed' : 'None',
  );
  if (codes.includes('ConditionalCheckFailed')) throw new ConditionRefused(codes);
  for (const item of items) item.write?.();
}

/** The codes of a refused write (empty for any other error), as `cancellationReasons` reads them. */
export const codesOf = (error: unknown): readonly ItemCode[] =>
  error instanceof ConditionRefused ? error.codes : [];

/** A stored value never aliases what a caller holds (the table serialises every item). */
export const copy = <T>(value: T): T => structuredClone(value);

/**
 * One round trip: lets other pending requests run first, so that concurrent
 * calls (`Promise.all`) interleave between requests as they do over the network.
 */
export const roundTrip = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
