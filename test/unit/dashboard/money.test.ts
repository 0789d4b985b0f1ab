import { describe, expect, it } from 'vitest';
import {
  currencyDigits,
  decimalToMinor,
  formatMoney as format,
  minorToDecimal,
  sumMinor,
} from '../../../dashboard/src/money.ts';

/** Intl puts a no-break space between code and number: compare with plain spaces. */
const formatMoney = (...args: Parameters<typeof format>) => format(...args).replace(/\u00a0/g, ' ');

describe('dashboard money formatting', () => {
  it('formats minor units with each currency’s ISO digits', () => {
    expect(formatMoney(1075000, 'NGN')).toBe('NGN 10,750.00');
    expect(formatMoney(5, 'USD')).toBe('USD 0.05');
    expect(formatMoney(500, 'UGX')).toBe('UGX 500');
    expect(formatMoney(123456, 'JPY')).toBe('JPY 123,456');
    expect(formatMoney(250000, 'XOF')).toBe('XOF 250,000');
    expect(formatMoney(100, 'ETB')).toBe('ETB 1.00');
  });

  it('is exact where float arithmetic is not', () => {
    // 0.1 + 0.2 style traps: these minor amounts divided by 100 in floating point give 0.30000000000000004, 10.07999…
    expect(formatMoney(30, 'USD')).toBe('USD 0.30');
    expect(formatMoney(1008, 'USD')).toBe('USD 10.08');
    // The largest safe integer: a float division would round the last digits.
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'NGN')).toBe('NGN 90,071,992,547,409.91');
    expect(formatMoney(9_007_199_254_740_993n, 'KES')).toBe('KES 90,071,992,547,409.93');
  });

  it('converts to a decimal string by string arithmetic', () => {
    expect(minorToDecimal(0, 2)).toBe('0.00');
    expect(minorToDecimal(7, 2)).toBe('0.07');
    expect(minorToDecimal(-5, 2)).toBe('-0.05');
    expect(minorToDecimal(500, 0)).toBe('500');
    expect(minorToDecimal(12345, 3)).toBe('12.345');
  });

  it('takes digits from the API’s table, then Intl for other codes', () => {
    expect(currencyDigits('NGN')).toBe(2);
    expect(currencyDigits('RWF')).toBe(0);
    expect(currencyDigits('BHD')).toBe(3);
    expect(formatMoney(1234, 'BHD')).toBe('BHD 1.234');
  });

  it('refuses a non-integer amount rather than rounding it', () => {
    expect(() => formatMoney(10.5, 'NGN')).toThrow(RangeError);
  });

  it('sums exactly beyond the safe-integer range', () => {
    expect(sumMinor([Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER])).toBe(18_014_398_509_481_982n);
  });

  it('reads a typed decimal into exact minor units, refusing what the currency cannot hold', () => {
    expect(decimalToMinor('20.50', 2)).toBe(2050);
    expect(decimalToMinor('20.5', 2)).toBe(2050);
    expect(decimalToMinor('10,750.50', 2)).toBe(1075050);
    expect(decimalToMinor('0.29', 2)).toBe(29); // 0.29 * 100 is 28.999… in floats
    expect(decimalToMinor('1 000', 0)).toBe(1000);
    expect(decimalToMinor('500', 0)).toBe(500);
    expect(decimalToMinor('5.', 2)).toBe(500);
    expect(decimalToMinor('0.005', 2)).toBeUndefined();
    expect(decimalToMinor('1.5', 0)).toBeUndefined();
    expect(decimalToMinor('-1', 2)).toBeUndefined();
    expect(decimalToMinor('1e3', 2)).toBeUndefined();
    expect(decimalToMinor('', 2)).toBeUndefined();
    expect(decimalToMinor('90071992547409.92', 2)).toBeUndefined(); // past Number.MAX_SAFE_INTEGER
  });
});
