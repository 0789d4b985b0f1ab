/**
 * Expressions built from fields, for the updates and filters whose attributes
 * vary by call (a patch, a list's filters). Fixed expressions stay written out
 * where they are used: they are easier to read as text.
 *
 * Attribute names and values get placeholders of their own (`#u_x`/`:u_x`,
 * `#f_x`/`:f_x`), so they never collide with the caller's condition
 * placeholders (`:version`, `#status`).
 */

type Names = Record<string, string>;
type Values = Record<string, unknown>;

/** A condition or filter clause with its placeholders. */
export interface Clause {
  expression: string;
  names?: Names;
  values?: Values;
}

/** What an Update or UpdateCommand takes for its expressions, with no empty placeholder map. */
export interface UpdateParams {
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Names;
  ExpressionAttributeValues?: Values;
}

const attribute = /^[A-Za-z][A-Za-z0-9_]*$/;
function placeholder(prefix: string, field: string): string {
  if (!attribute.test(field)) throw new TypeError(`not an attribute name: ${field}`);
  return `${prefix}${field}`;
}

const nonEmpty = <T extends object>(map: T | undefined): map is T =>
  map !== undefined && Object.keys(map).length > 0;

/** Expression parameters for a command, dropping a map with no entries (DynamoDB refuses those). */
function params(names: Names, values: Values) {
  return {
    ...(nonEmpty(names) ? { ExpressionAttributeNames: names } : {}),
    ...(nonEmpty(values) ? { ExpressionAttributeValues: values } : {}),
  };
}

/**
 * `SET` each field of `set` to its value (undefined ones are left as they are;
 * null is stored as null) and `REMOVE` the attributes in `remove`, under an
 * optional condition.
 */
export function update(set: Values, remove: readonly string[] = [], condition?: Clause): UpdateParams {
  const names: Names = { ...condition?.names };
  const values: Values = { ...condition?.values };
  const sets: string[] = [];
  for (const [field, value] of Object.entries(set)) {
    if (value === undefined) continue;
    const name = placeholder('#u_', field);
    names[name] = field;
    values[placeholder(':u_', field)] = value;
    sets.push(`${name} = :u_${field}`);
  }
  const removes = remove.map((field) => {
    const name = placeholder('#r_', field);
    names[name] = field;
    return name;
  });
  const expression = [
    sets.length > 0 ? `SET ${sets.join(', ')}` : '',
    removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  if (expression === '') throw new TypeError('an update needs at least one field');
  return {
    UpdateExpression: expression,
    ...(condition ? { ConditionExpression: condition.expression } : {}),
    ...params(names, values),
  };
}

/** `field = value`; nothing when the value is undefined (a filter not asked for). */
export function equals(field: string, value: unknown): Clause | undefined {
  if (value === undefined) return undefined;
  const name = placeholder('#f_', field);
  return {
    expression: `${name} = :f_${field}`,
    names: { [name]: field },
    values: { [placeholder(':f_', field)]: value },
  };
}

/** Every clause given (undefined ones skipped), joined by AND; undefined when none is left. */
export function allOf(...clauses: (Clause | undefined)[]): Clause | undefined {
  const given = clauses.filter((c): c is Clause => c !== undefined);
  if (given.length === 0) return undefined;
  const names: Names = {};
  const values: Values = {};
  for (const c of given) {
    Object.assign(names, c.names);
    Object.assign(values, c.values);
  }
  return {
    expression: given.map((c) => (given.length > 1 ? `(${c.expression})` : c.expression)).join(' AND '),
    names,
    values,
  };
}

/** A Query's key condition and optional filter, with their placeholders merged. */
export function queryParams(key: Clause, filter?: Clause) {
  return {
    KeyConditionExpression: key.expression,
    ...(filter ? { FilterExpression: filter.expression } : {}),
    ...params({ ...key.names, ...filter?.names }, { ...key.values, ...filter?.values }),
  };
}
