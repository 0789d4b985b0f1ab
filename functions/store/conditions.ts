import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/** The codes of a cancelled transaction, one per item in order (`ConditionalCheckFailed`, `None`, …). */
export const cancellationReasons = (error: unknown): (string | undefined)[] =>
  error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []).map((r) => r.Code) : [];

/** A write refused by its condition: a single write's, or any item's of a transaction. */
export const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  cancellationReasons(error).includes('ConditionalCheckFailed');

/** A transaction refused by the condition of its item at `index` (a single write counts as index 0). */
export const conditionFailedAt = (error: unknown, index: number): boolean =>
  (index === 0 && error instanceof ConditionalCheckFailedException) ||
  cancellationReasons(error)[index] === 'ConditionalCheckFailed';

/**
 * Sends a conditional write: true when written, false when its condition
 * refused it (someone got there first, or there is nothing to change); any
 * other error is thrown.
 */
export async function written(send: Promise<unknown>): Promise<boolean> {
  try {
    await send;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
