import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Unprocessable, ValidationFailed } from '#core/errors';
import {
  assertAmount,
  currencyCodes,
  decimalToMinor,
  exponent,
  isCurrency,
  minorToDecimalString,
  scaleUnits,
} from '#core/money';
import { adapters } from '#providers/index';

const safeAmount = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
/** Up to 10^13 minor units: 15 significant digits at most, what a double carries exactly. */
const everydayAmount = fc.integer({ min: 1, max: 10 ** 13 });

describe('currency table', () => {
  it.each([
    ['NGN', 2],
    ['GHS', 2],
    ['KES', 2],
    ['ZAR', 2],
    ['ETB', 2],
    ['USD', 2],
    ['EUR', 2],
    ['GBP', 2],
    ['UGX', 0],
    ['RWF', 0],
    ['XOF', 0],
    ['JPY', 0],
  ])('gives %s the ISO 4217 exponent %i', (code, expected) => {
    expect(isCurrency(code)).toBe(true);
    expect(exponent(code)).toBe(expected);
  });

  it.each(['ngn', 'XYZ', '', 'toString', '__proto__', 'constructor'])(
    'does not know %j as a currency',
    (code) => {
      expect(isCurrency(code)).toBe(false);
      expect(() => exponent(code)).toThrow(ValidationFailed);
    },
  );
});

describe('assertAmount', () => {
  it('accepts a positive safe integer in a known currency', () => {
    expect(() => assertAmount(1, 'NGN')).not.toThrow();
    expect(() => assertAmount(Number.MAX_SAFE_INTEGER, 'UGX')).not.toThrow();
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1, '100', null])(
    'refuses %j as an amount',
    (amount) => {
      expect(() => assertAmount(amount, 'NGN')).toThrow(ValidationFailed);
    },
  );

  it('refuses an amount in an unknown currency', () => {
    expect(() => assertAmount(100, 'XYZ')).toThrow(ValidationFailed);
  });
});

describe('minorToDecimalString', () => {
  it.each([
    [10750, 'NGN', '107.50'],
    [5, 'USD', '0.05'],
    [1, 'KES', '0.01'],
    [100, 'GBP', '1.00'],
    [500, 'UGX', '500'],
    [1, 'JPY', '1'],
    [Number.MAX_SAFE_INTEGER, 'EUR', '90071992547409.91'],
  ])('formats %i %s as %s', (amount, currency, expected) => {
    expect(minorToDecimalString(amount, currency)).toBe(expected);
  });

  it('refuses an amount that is not a safe integer', () => {
    expect(() => minorToDecimalString(1.5, 'NGN')).toThrow(ValidationFailed);
    expect(() => minorToDecimalString(2 ** 53, 'NGN')).toThrow(ValidationFailed);
  });
});

describe('decimalToMinor', () => {
  it.each([
    ['107.50', 'NGN', 10750],
    ['107.5', 'NGN', 10750],
    [107.5, 'NGN', 10750],
    ['0.01', 'USD', 1],
    ['500', 'UGX', 500],
    [500, 'UGX', 500],
    ['500.00', 'UGX', 500],
    ['100.000', 'ETB', 10000],
    ['0', 'JPY', 0],
  ] as const)('reads %j %s as %i minor units', (value, currency, expected) => {
    expect(decimalToMinor(value, currency)).toBe(expected);
  });

  it.each([
    ['1.234', 'NGN'],
    [1.234, 'NGN'],
    ['500.5', 'UGX'],
    [0.5, 'JPY'],
    ['1.001', 'USD'],
  ] as const)('refuses %j %s, which has more decimals than the currency allows', (value, currency) => {
    expect(() => decimalToMinor(value, currency)).toThrow(/more than \d decimal place/);
  });

  it('never accepts the float 0.1 + 0.2 as 30 cents', () => {
    expect(() => decimalToMinor(0.1 + 0.2, 'USD')).toThrow(ValidationFailed);
  });

  it.each([
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -1,
    1e21,
    1e-7,
    '-1',
    '1e3',
    ' 1',
    '1 ',
    '1,000.00',
    '.5',
    '5.',
    '',
    '+5',
    '0x10',
    '9007199254740992',
  ])('refuses %j', (value) => {
    expect(() => decimalToMinor(value, 'USD')).toThrow(ValidationFailed);
  });

  it('round-trips every safe amount of every currency through its decimal string exactly', () => {
    for (const currency of currencyCodes) {
      fc.assert(
        fc.property(
          safeAmount,
          (amount) => decimalToMinor(minorToDecimalString(amount, currency), currency) === amount,
        ),
      );
    }
  });

  it('round-trips everyday amounts of every currency through a JS number exactly', () => {
    for (const currency of currencyCodes) {
      fc.assert(
        fc.property(everydayAmount, (amount) => {
          const asNumber = Number(minorToDecimalString(amount, currency));
          return decimalToMinor(asNumber, currency) === amount;
        }),
      );
    }
  });

  it('accepts an arbitrary double only when it is exactly a whole number of cents', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (value) => {
        let minor: number;
        try {
          minor = decimalToMinor(value, 'USD');
        } catch (error) {
          return error instanceof ValidationFailed;
        }
        // Accepted: its decimal form must denote the very same double.
        return Number(minorToDecimalString(minor, 'USD')) === value;
      }),
    );
  });
});

describe('scaleUnits', () => {
  it('scales up exactly and down only without remainder', () => {
    expect(scaleUnits(500, 0, 2)).toBe(50000);
    expect(scaleUnits(50000, 2, 0)).toBe(500);
    expect(() => scaleUnits(50050, 2, 0)).toThrow(/without rounding/);
    expect(() => scaleUnits(Number.MAX_SAFE_INTEGER, 0, 2)).toThrow(ValidationFailed);
  });
});

describe('provider units', () => {
  const cases = Object.values(adapters).flatMap((adapter) =>
    adapter.currencies.map((currency) => [adapter.name, currency] as const),
  );

  it('lists only currencies that the money table knows', () => {
    for (const [, currency] of cases) expect(isCurrency(currency)).toBe(true);
  });

  it.each(cases)('%s round-trips %s amounts minor → provider → minor exactly', (name, currency) => {
    const adapter = adapters[name];
    fc.assert(
      fc.property(everydayAmount, (amount) => {
        const wire = adapter.toProviderAmount(amount, currency);
        return adapter.fromProviderAmount(wire, currency) === amount;
      }),
    );
  });

  it.each(cases)('%s never changes a %s amount silently, however large', (name, currency) => {
    const adapter = adapters[name];
    fc.assert(
      fc.property(safeAmount, (amount) => {
        let wire: number | string;
        try {
          wire = adapter.toProviderAmount(amount, currency);
        } catch (error) {
          return error instanceof ValidationFailed;
        }
        // Whatever goes out must come back as the same amount, also through JSON.
        const overTheWire = JSON.parse(JSON.stringify(wire)) as number | string;
        return adapter.fromProviderAmount(overTheWire, currency) === amount;
      }),
    );
  });

  it.each([
    ['paystack', 10750, 'NGN', 10750],
    ['paystack', 500, 'XOF', 50000],
    ['paystack', 1000, 'RWF', 100000],
    ['flutterwave', 10750, 'NGN', 107.5],
    ['flutterwave', 100000, 'UGX', 100000],
    ['flutterwave', 1999, 'USD', 19.99],
    ['stripe', 1999, 'USD', 1999],
    ['stripe', 500, 'JPY', 500],
    ['stripe', 500, 'XOF', 500],
    ['chapa', 10750, 'ETB', '107.50'],
    ['chapa', 100, 'USD', '1.00'],
  ] as const)('%s sends %i minor units of %s as %j', (name, amount, currency, wire) => {
    expect(adapters[name].toProviderAmount(amount, currency)).toStrictEqual(wire);
  });

  it('refuses a Paystack XOF amount that is not a whole franc', () => {
    expect(() => adapters.paystack.fromProviderAmount(50050, 'XOF')).toThrow(ValidationFailed);
  });

  it.each([
    ['paystack', 'JPY'],
    ['flutterwave', 'JPY'],
    ['stripe', 'GHS'],
    ['chapa', 'NGN'],
  ] as const)('%s refuses %s as unsupported', (name, currency) => {
    expect(() => adapters[name].toProviderAmount(100, currency)).toThrow(Unprocessable);
  });
});
