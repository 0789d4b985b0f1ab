import fc from 'fast-check';

/**
 * fast-check generators of hostile HTTP requests for the fuzz suite
 * (test/integration/fuzz.test.ts). They build the pieces of a request: JSON-ish
 * bodies and the bytes they are sent as, content types, path segments, query
 * strings and header values. Every generator mixes plainly hostile input with
 * near-valid input (a route's own body with some fields swapped for hostile
 * values), so the fuzz reaches validation and the handlers, not only the parser.
 */

/** A JSON fragment written verbatim: numbers `JSON.stringify` cannot write (`1e400`, `-0`), broken JSON. */
export class RawJson {
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }
}

/** An object written key by key, in order, duplicates and `__proto__` included (an object literal cannot). */
export class Entries {
  readonly entries: ReadonlyArray<readonly [string, unknown]>;

  constructor(entries: ReadonlyArray<readonly [string, unknown]>) {
    this.entries = entries;
  }
}

/** JSON text for a generated value, honouring `RawJson` and `Entries`. */
export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof Entries) {
    return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`;
  }
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return toJsonText(new Entries(Object.entries(value as Record<string, unknown>)));
  }
  if (value === undefined) return 'null';
  return JSON.stringify(value);
}

const b64url = (s: string | Buffer): string =>
  (typeof s === 'string' ? Buffer.from(s, 'utf8') : s).toString('base64url');

// ---------------------------------------------------------------- values

/** Strings made of lone UTF-16 surrogates: valid in JSON text (`\ud800`), not in UTF-8. */
const loneSurrogates = fc.string({
  unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 8,
});

/** C0 controls, NUL included. */
const controlChars = fc.string({
  unit: fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 8,
});

const nastyStrings = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '5000',
  '5e3',
  'NGN',
  'ngn',
  'null',
  'true',
  'test',
  'live',
  'TEST',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '../../etc/passwd',
  'MER#mer_01ARZ3NDEKTSV4RRFFQ69G5FAV',
  'javascript:alert(1)',
  'http://127.0.0.1:9/',
  'https://ex ample.com',
  'a@b',
  'x@example.com\u0000',
  '\u202eevil',
  '\ufeff',
  'ℌ𝔢𝔩𝔩𝔬 💸 مرحبا 你好',
  'e\u0301',
);

/** Numbers `JSON.parse` turns into surprises: Infinity, -0, floats that are integers, precision loss. */
export const rawNumbers = fc
  .constantFrom(
    '1e400',
    '-1e400',
    '-0',
    '0.0',
    '1E2',
    '1.0',
    '100.00',
    '5000.0000000000001',
    '123456789012345678901234567890',
    '9007199254740993',
    '1e-400',
    '0.1e1',
    '-1',
    '00',
    '0x10',
    'NaN',
    'Infinity',
  )
  .map((t) => new RawJson(t));

const numbers = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    0,
    -1,
    0.5,
    1.5,
    4999.999,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 1,
    2 ** 63,
    1e21,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    -Number.MAX_SAFE_INTEGER,
  ),
  rawNumbers,
);

const strings = fc.oneof(
  nastyStrings,
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  loneSurrogates,
  controlChars,
  fc.integer({ min: 200, max: 6_000 }).map((n) => 'é'.repeat(n)),
);

export const hostileKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    'valueOf',
    '',
    ' ',
    'id',
    'merchantId',
    'mode',
    'role',
    'status',
    'pk',
    'sk',
    'AMOUNT',
    'amount ',
    '\u0000',
    'é',
    '💸',
    'a'.repeat(300),
  ),
  fc.string({ maxLength: 12 }),
);

/** Objects that try prototype pollution. */
const pollution = fc.constantFrom(
  new Entries([['__proto__', { polluted: true, role: 'admin' }]]),
  new Entries([['constructor', { prototype: { polluted: true } }]]),
  new Entries([
    ['__proto__', { isAdmin: true }],
    ['__proto__', null],
  ]),
);

/** A value put where a field of some type is expected. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 3, arbitrary: numbers },
  { weight: 4, arbitrary: strings },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: pollution },
  { weight: 1, arbitrary: fc.array(strings, { maxLength: 4 }) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 50, max: 3_000 })
      .map((n) => new RawJson(`${'['.repeat(n)}${']'.repeat(n)}`)),
  },
);

// ---------------------------------------------------------------- bodies

/** A route's body: its fields, each with values that pass validation. */
export interface BodyTemplate {
  readonly required: Readonly<Record<string, fc.Arbitrary<unknown>>>;
  readonly optional?: Readonly<Record<string, fc.Arbitrary<unknown>>>;
}

/** Bodies that pass the route's validation (the optional fields come and go). */
export function validValue(t: BodyTemplate): fc.Arbitrary<unknown> {
  return fc.record({ ...t.required, ...t.optional }, { requiredKeys: Object.keys(t.required) });
}

/** Near-valid bodies: all valid; some fields dropped or swapped for hostile values; unknown keys added. */
export function templateValue(t: BodyTemplate): fc.Arbitrary<unknown> {
  const all = { ...t.required, ...t.optional };
  const names = Object.keys(all);
  const valid = validValue(t);
  const mutated = fc.record(
    Object.fromEntries(
      names.map((n) => [
        n,
        fc.oneof(
          { weight: 3, arbitrary: all[n] as fc.Arbitrary<unknown> },
          { weight: 2, arbitrary: hostileValue },
        ),
      ]),
    ),
    { requiredKeys: [] },
  );
  const extra = fc
    .tuple(valid, fc.array(fc.tuple(hostileKey, hostileValue), { minLength: 1, maxLength: 3 }))
    .map(([o, more]) => new Entries([...Object.entries(o as Record<string, unknown>), ...more]));
  /** One field, a string just under or over the 64 KB body limit. */
  const huge = fc
    .tuple(valid, fc.constantFrom(...names), fc.integer({ min: 60_000, max: 72_000 }))
    .map(([o, name, n]) => ({ ...(o as Record<string, unknown>), [name]: 'x'.repeat(n) }));
  return names.length === 0
    ? fc.constant({})
    : fc.oneof(
        { weight: 4, arbitrary: valid },
        { weight: 5, arbitrary: mutated },
        { weight: 2, arbitrary: extra },
        { weight: 1, arbitrary: huge },
      );
}

/** Byte sequences that are not UTF-8: a bare continuation, an overlong `/`, a surrogate, 0xFF… */
const badUtf8 = fc.constantFrom(
  [0xff],
  [0xfe, 0xff],
  [0x80],
  [0xc3, 0x28],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
);

const nonJsonText = fc.oneof(
  fc.constantFrom(
    'undefined',
    "{'amount': 1}",
    '{amount: 1}',
    '<?xml version="1.0"?><a/>',
    'amount=5000&currency=NGN',
    '{"a":1}garbage',
    '{"a":1}{"b":2}',
    '\ufeff{}',
    '{"a":1,}',
    '[1,2',
    '"unterminated',
    '{"a":"\\x41"}',
    '{"a":"\\ud800"}',
    '[]',
    'null',
    'true',
    '0',
    '""',
    '{}',
  ),
  fc.string({ maxLength: 100 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
);

export interface Body {
  readonly bytes: Buffer | undefined;
  readonly contentType: string | undefined;
}

const contentTypes = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      undefined,
      'application/json; charset=utf-8',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
      'application/json;charset=latin1',
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=fuzz',
      'application/xml',
      'application/octet-stream',
      'application/jsonx',
      'application/json-patch+json',
      'application/vnd.api+json',
      '',
      '*/*',
      'json',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);

/** A request body and its content type (or none). */
export function bodyArb(template: BodyTemplate | undefined): fc.Arbitrary<Body> {
  const tv = template ? templateValue(template) : fc.jsonValue({ maxDepth: 2 });
  const json = (v: fc.Arbitrary<unknown>) => v.map((x) => Buffer.from(toJsonText(x), 'utf8'));
  const bytes: fc.Arbitrary<Buffer | undefined> = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(undefined, Buffer.alloc(0)) },
    { weight: template ? 12 : 3, arbitrary: json(tv) },
    { weight: 2, arbitrary: json(fc.jsonValue({ maxDepth: 4 })) },
    {
      weight: 2,
      arbitrary: json(
        fc.array(fc.tuple(hostileKey, hostileValue), { maxLength: 5 }).map((e) => new Entries(e)),
      ),
    },
    {
      // Deep nesting, up to ~70 KB of brackets.
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: 35_000 }), fc.constantFrom('[', '{"a":'))
        .map(([n, open]) =>
          Buffer.from(
            open === '[' ? `${'['.repeat(n)}${']'.repeat(n)}` : `${open.repeat(n)}1${'}'.repeat(n)}`,
          ),
        ),
    },
    {
      // A very long JSON string or array, around the 64 KB limit.
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 60_000, max: 72_000 }), fc.boolean())
        .map(([n, str]) =>
          Buffer.from(str ? `"${'a'.repeat(n)}"` : `[${'1,'.repeat(Math.floor(n / 2))}1]`, 'utf8'),
        ),
    },
    {
      // Valid JSON text with bytes that are not UTF-8, in a string or between tokens.
      weight: 2,
      arbitrary: fc.tuple(json(tv), badUtf8, fc.nat()).map(([text, bad, at]) => {
        const quote = text.indexOf(34 /* " */);
        const i = quote >= 0 && at % 2 === 0 ? quote + 1 : at % (text.length + 1);
        return Buffer.concat([text.subarray(0, i), Buffer.from(bad), text.subarray(i)]);
      }),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
    { weight: 2, arbitrary: nonJsonText.map((t) => Buffer.from(t, 'utf8')) },
    {
      // The same JSON in UTF-16, with or without a byte-order mark.
      weight: 1,
      arbitrary: fc
        .tuple(tv, fc.boolean())
        .map(([v, bom]) => Buffer.from(`${bom ? '\ufeff' : ''}${toJsonText(v)}`, 'utf16le')),
    },
  );
  return fc.tuple(bytes, contentTypes).map(([b, contentType]) => ({ bytes: b, contentType }));
}

// ---------------------------------------------------------------- paths and queries

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ulidChars = (n: number) =>
  fc.string({ unit: fc.constantFrom(...crockford.split('')), minLength: n, maxLength: n });

/** `pay_` + a ULID-looking tail of the wrong length, with forbidden letters, lower-cased… */
function wrongIds(prefixes: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc
      .tuple(
        fc.constantFrom(...prefixes),
        fc.integer({ min: 0, max: 40 }).filter((n) => n !== 26),
      )
      .chain(([p, n]) => ulidChars(n).map((t) => `${p}${t}`)),
    fc.tuple(fc.constantFrom(...prefixes), ulidChars(26)).map(([p, t]) => `${p}${t.toLowerCase()}`),
    fc.tuple(fc.constantFrom(...prefixes), ulidChars(25)).map(([p, t]) => `${p}${t}I`),
    fc.tuple(fc.constantFrom(...prefixes), ulidChars(26)).map(([p, t]) => `${p.toUpperCase()}${t}`),
    ulidChars(26).map((t) => `pay_${t}`),
    ulidChars(26).map((t) => `key_${t}`),
  );
}

/** Pieces of path segment an attacker tries: traversal, encodings, separators, template text. */
const segmentTricks = fc.constantFrom(
  '..',
  '.',
  '%2e%2e',
  '%2E',
  '%2F',
  '..%2F..%2Fhealth',
  '%00',
  '%',
  '%zz',
  '%C3%28',
  '%FF',
  '%E2%82',
  '%ED%A0%80',
  '%u0041',
  '%252F',
  'a/b',
  ';',
  '%3B',
  ';jsessionid=1',
  '%3F',
  '?',
  '#',
  '*',
  '$',
  '~',
  '{id}',
  '{provider}',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'prototype',
  '0',
  '-1',
  '1e3',
  'NaN',
  'é',
  '%C3%A9',
  'ÿ',
);

/** Bytes written as `%XX`, valid UTF-8 or not. */
const percentBytes = fc
  .uint8Array({ minLength: 1, maxLength: 12 })
  .map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, '0').toUpperCase()}`).join(''));

/** A fuzzed path segment for a `{param}` whose valid values are `valid`. */
export function segmentArb(valid: readonly string[], idPrefixes: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    ...(valid.length > 0 ? [{ weight: 4, arbitrary: fc.constantFrom(...valid) }] : []),
    { weight: 3, arbitrary: segmentTricks },
    ...(idPrefixes.length > 0 ? [{ weight: 3, arbitrary: wrongIds(idPrefixes) }] : []),
    { weight: 2, arbitrary: percentBytes },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map(safeEncode) },
    {
      weight: 1,
      arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 300, maxLength: 300 }).map(safeEncode),
    },
    { weight: 1, arbitrary: fc.constant('a'.repeat(300)) },
    ...(valid.length > 0
      ? [
          {
            weight: 2,
            arbitrary: fc.tuple(fc.constantFrom(...valid), segmentTricks).map(([v, t]) => `${v}${t}`),
          },
          { weight: 1, arbitrary: fc.constantFrom(...valid).map((v) => v.toUpperCase()) },
          { weight: 1, arbitrary: fc.constantFrom(...valid).map((v) => encodeURIComponent(`${v} `)) },
        ]
      : []),
  );
}

/** encodeURIComponent that survives lone surrogates. */
export function safeEncode(s: string): string {
  let out = '';
  for (const ch of s) {
    try {
      out += encodeURIComponent(ch);
    } catch {
      out += '%EF%BF%BD';
    }
  }
  return out;
}

/**
 * A request target is visible ASCII (RFC 9112; Node's server answers anything
 * else with its own bare 400 before any handler, as API Gateway does at its
 * edge): percent-encode whatever else a generator produced, as a client must.
 */
export function toWire(path: string): string {
  let out = '';
  for (const ch of path) {
    const c = ch.codePointAt(0) as number;
    out += c >= 0x21 && c <= 0x7e ? ch : safeEncode(ch);
  }
  return out;
}

/** Partitions a forged cursor may name (the caller's own, someone else's). */
export interface CursorContext {
  readonly partitions: readonly { readonly name: string; readonly value: string }[];
  /** Cursors the API handed out (`nextCursor`), to be tampered with. */
  readonly realCursors: readonly string[];
}

/** A real cursor, decoded, edited and re-encoded: a key dropped, changed, or one added. */
function tamperedCursors(real: readonly string[]): fc.WeightedArbitrary<string>[] {
  if (real.length === 0) return [];
  const decoded = real.map((c) => {
    try {
      return JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return {};
    }
  });
  const edited = fc
    .tuple(
      fc.constantFrom(...decoded),
      fc.constantFrom('drop', 'set'),
      fc.constantFrom('sk', 'gsi1sk', 'gsi2sk', 'id', 'type', 'createdAt'),
      fc.oneof(fc.string({ maxLength: 20 }), nastyStrings, fc.constant('x'.repeat(1_500))),
    )
    .map(([key, op, field, value]) => {
      const next: Record<string, unknown> = { ...key };
      if (op === 'drop') delete next[field];
      else next[field] = value;
      return b64url(JSON.stringify(next));
    });
  return [
    { weight: 6, arbitrary: edited },
    { weight: 1, arbitrary: fc.constantFrom(...real).map((c) => `${c}A`) },
    { weight: 1, arbitrary: fc.constantFrom(...real).map((c) => c.slice(0, -3)) },
  ];
}

/** Cursors: random base64, JSON of anything, start keys with the right partition and forged rest. */
export function cursorArb(ctx: CursorContext): fc.Arbitrary<string> {
  const stringy = fc.oneof(fc.string({ maxLength: 30 }), nastyStrings, wrongIds(['pay_', 'aud_', 'sec_']));
  // The partitions the real cursors name come first: a forged key there gets past the partition check.
  const partitions = [...realPartitions(ctx.realCursors), ...ctx.partitions];
  const startKeyIn = (ps: readonly { name: string; value: string }[]) =>
    fc
      .tuple(
        fc.constantFrom(...ps),
        fc.dictionary(
          fc.constantFrom('sk', 'pk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'id', 'x', '__proto__'),
          stringy,
          { maxKeys: 4 },
        ),
      )
      .map(([p, rest]) => ({ ...rest, [p.name]: p.value }));
  const startKey = startKeyIn(partitions);
  const real = realPartitions(ctx.realCursors);
  // Start keys forged in a partition a real cursor names get past the partition check and reach the query.
  const forged = real.length > 0 ? startKeyIn(real) : startKey;
  return fc.oneof(
    { weight: 8, arbitrary: forged.map((k) => b64url(JSON.stringify(k))) },
    { weight: 2, arbitrary: startKey.map((k) => b64url(JSON.stringify(k))) },
    { weight: 1, arbitrary: fc.base64String({ maxLength: 80 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }).map((b) => b64url(Buffer.from(b))) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => b64url(JSON.stringify(v) ?? 'null')) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...partitions), fc.constantFrom(1, true, null, [], {}))
        .map(([p, v]) => b64url(JSON.stringify({ [p.name]: p.value, sk: v }))),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '=',
        '====',
        '%',
        'eyJ9',
        'null',
        'a'.repeat(2049),
        `${b64url('{"pk":1}')}!`,
      ),
    },
    ...tamperedCursors(ctx.realCursors),
  );
}

/** The partition key (`pk` or `gsi1pk`) each real cursor names. */
function realPartitions(real: readonly string[]): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const c of real) {
    try {
      const key = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Record<string, unknown>;
      const name = typeof key.gsi1pk === 'string' ? 'gsi1pk' : 'pk';
      if (typeof key[name] === 'string') out.push({ name, value: key[name] });
    } catch {
      // Not ours to fix here: the cursor is used as it is elsewhere.
    }
  }
  return out;
}

/** Timestamps: valid ISO 8601 across the whole range (before 1970, year 0, year 9999), and not. */
const dates = fc.oneof(
  // The edges first: the epoch and before it (ids and sort keys encode time as unsigned), year 0, 9999.
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '1970-01-01T00:00:00Z',
      '1969-12-31T23:59:59.999Z',
      '1900-01-01T00:00:00Z',
      '0000-01-01T00:00:00Z',
      '9999-12-31T23:59:59.999Z',
    ),
  },
  fc
    .date({
      min: new Date('0000-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '2024-01-01T00:00:00Z',
    '2024-02-30T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-01-01T00:00:00%2B01:00',
    '2024-01-01',
    'yesterday',
    '0',
    '',
  ),
);

const limitValues = fc.constantFrom(
  '-1',
  '0',
  '1',
  '20',
  '100',
  '101',
  '999',
  '1000',
  '1e3',
  '1.5',
  'abc',
  '',
  '0x10',
  '%205',
  '5%20',
  '007',
  '99999999999999999999',
  '%00',
  'NaN',
);

/** The query parameter names some route of the table knows, and values for them. */
const knownParams: Record<string, (ctx: CursorContext) => fc.Arbitrary<string>> = {
  limit: () => limitValues,
  cursor: (ctx) => cursorArb(ctx).map(encodeURIComponent),
  mode: () => fc.constantFrom('test', 'live', 'TEST', 'prod', '', 'test%00', 'live,test'),
  month: () => fc.constantFrom('2024-01', '2024-13', '0000-00', '9999-12', '2024-1', '2024-01-01', 'x'),
  status: () => fc.constantFrom('pending', 'succeeded', 'refunded', 'PENDING', 'unknown', ''),
  provider: () => fc.constantFrom('paystack', 'stripe', 'Paystack', 'evil', ''),
  reference: () => fc.oneof(fc.constantFrom('order-1', 'a'.repeat(101), ''), fc.string().map(safeEncode)),
  createdFrom: () => dates,
  createdTo: () => dates,
  type: () => fc.constantFrom('payment.succeeded', 'webhook_endpoint.test', '*', 'payment.*', ''),
  paymentId: () =>
    fc.oneof(
      wrongIds(['pay_']),
      ulidChars(26).map((t) => `pay_${t}`),
    ),
};

/**
 * A query string for a route that knows the parameters `names`: one of them with
 * a hostile value (a cursor most often, when the route pages), several at once,
 * repeated, unknown names, broken encodings.
 */
export function queryArb(ctx: CursorContext, names: readonly string[]): fc.Arbitrary<string> {
  const valueOf = (name: string) =>
    (knownParams[name] ?? (() => fc.string({ maxLength: 20 }).map(safeEncode)))(ctx).map(
      (v) => `${name}=${v}`,
    );
  const known = names.length > 0 ? fc.constantFrom(...names).chain(valueOf) : undefined;
  const anyKnown = fc.constantFrom(...Object.keys(knownParams)).chain(valueOf);
  const unknown = fc
    .tuple(
      fc.oneof(
        fc.constantFrom(
          'foo',
          'LIMIT',
          'limit[]',
          'limit[a]',
          '__proto__',
          'constructor',
          'toString',
          'hasOwnProperty',
          '',
          '%00',
          '%zz',
          'a%20b',
          'merchantId',
        ),
        fc.string({ maxLength: 10 }).map(safeEncode),
      ),
      fc.option(fc.string({ maxLength: 20 }).map(safeEncode), { nil: undefined }),
    )
    .map(([k, v]) => (v === undefined ? k : `${k}=${v}`));
  const pair = fc.oneof(
    ...(known ? [{ weight: 4, arbitrary: known }] : []),
    { weight: 1, arbitrary: anyKnown },
    { weight: 1, arbitrary: unknown },
  );
  return fc.oneof(
    ...(known ? [{ weight: 4, arbitrary: known.map((p) => `?${p}`) }] : []),
    ...(names.includes('cursor')
      ? [{ weight: 6, arbitrary: cursorArb(ctx).map((c) => `?cursor=${encodeURIComponent(c)}`) }]
      : []),
    { weight: 3, arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((ps) => `?${ps.join('&')}`) },
    // The same parameter twice (the server joins repeats with commas, as API Gateway does).
    {
      weight: 1,
      arbitrary: fc.tuple(known ?? anyKnown, known ?? anyKnown).map(([a, b]) => `?${a}&${b}&${a}`),
    },
    { weight: 1, arbitrary: fc.constantFrom('?', '?&', '?&&&', '?=', '?==', '?limit', '?%', '?a=%zz&b') },
  );
}

// ---------------------------------------------------------------- headers

/** What a JWT for the dashboard looks like, minus the signature we would accept. */
export function forgedJwts(realJwt: string | undefined): fc.Arbitrary<string> {
  const segment = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }).map((v) => b64url(JSON.stringify(v) ?? 'null')),
    fc.uint8Array({ maxLength: 64 }).map((b) => b64url(Buffer.from(b))),
    fc.string({ maxLength: 20 }),
  );
  const headers = fc.constantFrom(
    { alg: 'none', typ: 'JWT' },
    { alg: 'HS256', typ: 'JWT' },
    { alg: 'EdDSA', kid: 'unknown' },
    { alg: 'EdDSA' },
    { alg: 'RS256', kid: '../../etc/passwd' },
    { alg: 'EdDSA', kid: '__proto__' },
    { alg: 'EdDSA', kid: 'x', crit: ['b64'], b64: false },
  );
  const parts = realJwt?.split('.') ?? [];
  const realPayload = parts[1] ?? b64url('{}');
  const realSig = parts[2] ?? '';
  return fc.oneof(
    fc.tuple(segment, segment, segment).map(([a, b, c]) => `eyJ${a}.${b}.${c}`),
    fc.tuple(headers, segment).map(([h, sig]) => `${b64url(JSON.stringify(h))}.${realPayload}.${sig}`),
    headers.map((h) => `${b64url(JSON.stringify(h))}.${realPayload}.`),
    headers.map((h) => `${b64url(JSON.stringify(h))}.${realPayload}.${realSig}`),
    // A real token, tampered: payload swapped for an admin claim, or the signature cut.
    fc.constant(
      `${parts[0] ?? ''}.${b64url(JSON.stringify({ ...decodePayload(realPayload), role: 'admin' }))}.${realSig}`,
    ),
    fc.constant(`${parts[0] ?? ''}.${realPayload}.${realSig.slice(0, -2)}`),
    fc.constant(`${parts[0] ?? ''}.${realPayload}`),
    fc.constant('eyJ'),
    fc.constant('eyJhbGciOiJub25lIn0..'),
  );
}

function decodePayload(segment: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A header value as raw bytes: UTF-8 encoded, then each byte one latin1 character (what goes on the wire). */
export const wireHeader = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

/** Header values Node will send: HTAB, visible ASCII and obs-text (0x80–0xFF), no CR/LF/NUL. */
const headerText = (maxLength: number) =>
  fc.string({ unit: 'binary', maxLength }).map((s) =>
    wireHeader(s)
      .replace(/[^\t\x20-\x7e\x80-\xff]/g, '')
      .trim(),
  );

/** `Authorization` values that are not a credential of anyone (the caller stays anonymous). */
export function badAuthorization(ctx: {
  realJwt: string | undefined;
  revokedKey: string | undefined;
  realKey: string | undefined;
}): fc.Arbitrary<string | readonly string[] | undefined> {
  const garbage43 = fc.string({
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')),
    minLength: 43,
    maxLength: 43,
  });
  return fc.oneof(
    fc.constantFrom(undefined, '', 'Bearer', 'Bearer ', 'bearer', 'Bearer\t', 'Token abc', 'Bearer null'),
    headerText(60),
    headerText(60).map((s) => `Bearer ${s}`),
    headerText(40).map((s) => `Bearer sk_test_${s}`),
    headerText(40).map((s) => `Bearer sk_${s}`),
    garbage43.map((s) => `Bearer sk_live_${s}`),
    garbage43.map((s) => `Bearer sk_test_${s}`),
    forgedJwts(ctx.realJwt).map((t) => `Bearer ${t}`),
    fc
      .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }))
      .map(([u, p]) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`),
    fc.constant(`Bearer ${'A'.repeat(8_000)}`),
    fc.constant(`Bearer sk_test_${'A'.repeat(4_000)}`),
    ...(ctx.revokedKey ? [fc.constant(`Bearer ${ctx.revokedKey}`)] : []),
    ...(ctx.realKey
      ? [
          // One character off, a second key glued on, or the key sent twice: none is a credential.
          fc.constant(`Bearer ${ctx.realKey.slice(0, -1)}${ctx.realKey.endsWith('A') ? 'B' : 'A'}`),
          fc.constant(`Bearer ${ctx.realKey} ${ctx.realKey}`),
          fc.constant([`Bearer ${ctx.realKey}`, `Bearer ${ctx.realKey}`] as const),
          fc.constant(`Bearer ${ctx.realKey.replace('sk_test_', 'sk_live_')}`),
        ]
      : []),
  );
}

export const modeHeader: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constantFrom('test', 'live') },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.constantFrom('TEST', 'Live', '', 'test,live', 'sandbox', 'production', 'test\t', 'tést'),
      headerText(30),
      fc.constant('x'.repeat(2_000)),
    ),
  },
);

export const idempotencyHeader: fc.Arbitrary<string | readonly string[] | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.uuid() },
  {
    weight: 4,
    arbitrary: fc.oneof(
      fc.constant('k'.repeat(300)),
      fc.constant('k'.repeat(255)),
      fc.constant('k'.repeat(256)),
      // Control characters: HTAB is the only one an HTTP/1.1 field value may carry.
      fc.constantFrom('\t', 'a\tb', 'key\t\t1'),
      // obs-text bytes (0x80–0xFF) and UTF-8 sent raw.
      fc.constantFrom(wireHeader('clé-1'), '\xff\xfe', wireHeader('💸')),
      headerText(40),
      fc.constant(['dup-1', 'dup-2'] as const),
    ),
  },
);

/** Headers nobody asked for: long or binary user agents, forwarded-for spoofing, encodings we do not do. */
export const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    'user-agent': fc.oneof(
      headerText(50),
      fc.constant('U'.repeat(4_000)),
      fc.constant(wireHeader('Zürich 💸')),
    ),
    'x-forwarded-for': fc.constantFrom('127.0.0.1', '1.2.3.4, 5.6.7.8', 'garbage', '::1'),
    'content-encoding': fc.constantFrom('gzip', 'br', 'identity', 'x'),
    accept: fc.constantFrom('text/html', '*/*', 'application/xml', ''),
    'x-http-method-override': fc.constantFrom('DELETE', 'GET', 'PATCH'),
    'paybridge-version': headerText(20),
  },
  { requiredKeys: [] },
);
