import { ValidationFailed } from '#core/errors';

/** A page of a list, newest first (DESIGN.md, Lists). */
export interface Page<T> {
  data: T[];
  hasMore: boolean;
  nextCursor: string | null;
}

type StartKey = Record<string, string>;

/** Opaque cursor: the DynamoDB start key, base64url-encoded. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  if (!key) return null;
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor and checks it belongs to the partition being queried, so a
 * cursor from another merchant (or a forged one) can never move a query there.
 */
export function decodeCursor(
  cursor: string | undefined,
  partition: { name: string; value: string },
): StartKey | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () =>
    new ValidationFailed('invalid_cursor', 'The cursor is not valid for this list.', 'cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid();
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length > 6 || entries.some(([, v]) => typeof v !== 'string')) throw invalid();
  const key = parsed as StartKey;
  if (key[partition.name] !== partition.value) throw invalid();
  return key;
}
