import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/** The codes of a cancelled transaction, one per item in order (`ConditionalCheckFailed`, `None`, …). */
export const cancellationReasons = (error: unknown): (string | undefined)[] =>
  error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []).map((r) => r.Code) : [];

/** A write refused by its condition: a single write's, or any item's of a transaction. */
export const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  cancellationReasons(error).includes('ConditionalCheckFailed');
