import * as z from 'zod/mini';
import type { Mode } from '#core/actor';
import { providerNames } from '#core/provider-adapter';

/** An item as the DynamoDB document client returns it. */
export type Item = Record<string, unknown>;

/**
 * The attributes that locate an item in the table (keys.ts) and say what it is,
 * never part of the domain object it holds.
 */
export const keyAttributes = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'type', 'ttl'] as const;

/** The item without its key attributes (and without `also`, attributes the store keeps for itself). */
export function stripKeys(item: Item, also: readonly string[] = []): Item {
  const rest: Item = { ...item };
  for (const name of keyAttributes) delete rest[name];
  for (const name of also) delete rest[name];
  return rest;
}

/**
 * An item that is not what its key or its query promised: another item type, or
 * a field missing or of the wrong kind. A bug or a damaged table, never the
 * caller's fault, so it is not an AppError (the API answers 500). The message
 * names the item type and the fields, never their values.
 */
export class MalformedItem extends Error {
  override readonly name = 'MalformedItem';
  readonly entity: string;
  readonly fields: string[];
  constructor(entity: string, fields: string[]) {
    super(`Malformed ${entity} item: ${fields.join(', ') || 'not an object'}`);
    this.entity = entity;
    this.fields = fields;
  }
}

/** A check for some of an aggregate's fields: each one's schema produces that field's type. */
export type FieldChecks<T> = {
  readonly [K in keyof T]?: z.core.$ZodType & { _zod: { output: T[K] } };
};

/** Checks shared by many readers. */
export const check = {
  id: (prefix: string) => z.string().check(z.startsWith(prefix)),
  mode: z.enum(['test', 'live'] satisfies Mode[]),
  provider: z.enum(providerNames),
  text: z.string(),
  int: z.int(),
  number: z.number(),
  boolean: z.boolean(),
} as const;

/**
 * A reader for one item type: checks the item's `type` and the fields that
 * decide what the object is (its id, owner, mode, status, money), then strips
 * the key attributes. Cheap enough for every read: a handful of field checks
 * with the zod already in every bundle (runtime/config.ts), no full schema.
 * The item's `type` must be `options.type`, by default `entity`; `null` reads
 * an item that carries none (an index projection, the mode settings item).
 */
export function reader<T extends object>(
  entity: string,
  fields: FieldChecks<T>,
  options: { type?: string | null; strip?: readonly string[] } = {},
): (item: Item) => T {
  const type = options.type === undefined ? entity : options.type;
  const schema = z.looseObject({
    ...(type === null ? {} : { type: z.literal(type) }),
    ...(fields as Record<string, z.core.$ZodType>),
  });
  const strip = options.strip ?? [];
  return (item) => {
    const out = schema.safeParse(item);
    if (!out.success) {
      throw new MalformedItem(entity, [
        ...new Set(out.error.issues.map((i) => i.path.map(String).join('.') || '(item)')),
      ]);
    }
    // The checked fields are T's own (FieldChecks<T>); the rest is what the store wrote for T.
    return stripKeys(item, strip) as T;
  };
}

/** The same reader for a GetItem's answer, which may be empty. */
export const optional =
  <T>(read: (item: Item) => T) =>
  (item: Item | undefined): T | undefined =>
    item === undefined ? undefined : read(item);
