/**
 * Answers list their fields in one order, `id` first, whatever order DynamoDB returned the
 * attributes in (it keeps none, nested maps included): the order of each object's answer schema.
 */
export function inFieldOrder<T extends object>(object: T, order: readonly string[]): T {
  const source = object as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of order) if (key in source) out[key] = source[key];
  // Fields the order does not name yet keep their place after it: never dropped.
  for (const key of Object.keys(source).sort()) if (!(key in out)) out[key] = source[key];
  return out as T;
}

/** `id` first, then the rest by name: for objects whose schema order is not listed. */
export function idFirst<T extends object>(object: T): T {
  return inFieldOrder(object, ['id']);
}
