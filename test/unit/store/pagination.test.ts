import { describe, expect, it } from 'vitest';
import { ValidationFailed } from '#core/errors';
import { decodeCursor, encodeCursor, withinRange } from '#store/pagination';

describe('list cursors', () => {
  const onIndex = {
    gsi1pk: 'MER#mer_1#test#BTX',
    gsi1sk: '2026-01-02T00:00:00.000Z#btx_1',
    pk: 'MER#mer_1#test',
    sk: 'BTX#btx_1',
  };

  it('accepts a cursor of the index partition being queried, inside the queried range', () => {
    const key = decodeCursor(encodeCursor(onIndex) ?? undefined, { name: 'gsi1pk', value: onIndex.gsi1pk });
    expect(withinRange(key, '2026-01-01', '2026-01-03~', 'gsi1sk')).toEqual(onIndex);
  });

  it('refuses with a 400, not a DynamoDB error, a cursor outside the queried range of the index', () => {
    expect(() => withinRange(onIndex, '2026-02-01', '~', 'gsi1sk')).toThrow(ValidationFailed);
    // The table's sort key is another attribute: the range applies to the queried one.
    expect(withinRange(onIndex, '2026', '2026~', 'gsi1sk')).toEqual(onIndex);
    expect(() => withinRange(onIndex, '2026', '2026~', 'sk')).toThrow(ValidationFailed);
  });

  it('refuses a cursor of another partition', () => {
    expect(() =>
      decodeCursor(encodeCursor(onIndex) ?? undefined, { name: 'gsi1pk', value: 'MER#mer_2#test#BTX' }),
    ).toThrow(ValidationFailed);
  });
});
