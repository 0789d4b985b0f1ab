import { describe, expect, it } from 'vitest';
import { newId } from '#core/ids';
import { keys } from '#store/keys';

describe('security event keys', () => {
  it('spreads security events with no merchant over 16 partitions per UTC day, never one', () => {
    const partitions = new Set(
      Array.from({ length: 400 }, () => keys.securityEvent(undefined, newId('sec')).pk),
    );
    const today = new Date().toISOString().slice(0, 10);
    const expected = keys.unattributedPartitions(today);
    expect(partitions.size).toBeGreaterThan(8);
    for (const pk of partitions) expect(expected).toContain(pk);
    expect(partitions.has('SEC#UNATTRIBUTED')).toBe(false);
  });

  it('keeps a merchant’s security events in the merchant’s partition', () => {
    expect(keys.securityEvent('mer_1', 'sec_01J9Z3K6V8Q2M4N7P5R1T0W3XY')).toEqual({
      pk: 'MER#mer_1',
      sk: 'SEC#sec_01J9Z3K6V8Q2M4N7P5R1T0W3XY',
    });
  });

  it('names the day of the event’s own timestamp', () => {
    // 01J9Z3K6V8 is 2024-10-12 (ULID time part).
    expect(keys.securityEvent(undefined, 'sec_01J9Z3K6V8Q2M4N7P5R1T0W3X0').pk).toBe(
      'SEC#UNATTRIBUTED#2024-10-12#0',
    );
  });
});
