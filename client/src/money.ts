import { exponents } from './tables.ts';

/**
 * The ISO 4217 minor-unit exponent of each currency PayBridge handles (2 for NGN: 100 kobo;
 * 0 for UGX), from the API's own table (functions/core/money.ts, copied by the generator), for
 * formatting `amount` exactly.
 */

/** An ISO 4217 code that PayBridge knows the exponent of. */
export type CurrencyCode = keyof typeof exponents;

/** Every currency PayBridge handles. */
export const currencyCodes = Object.keys(exponents) as readonly CurrencyCode[];

/** True when `code` is an upper-case ISO 4217 code in the table. */
export function isCurrency(code: string): code is CurrencyCode {
  return Object.hasOwn(exponents, code);
}

/** The minor-unit exponent of `code`; throws a RangeError for a currency PayBridge does not handle. */
export function currencyExponent(code: string): number {
  if (!isCurrency(code)) {
    throw new RangeError(
      `Currency ${JSON.stringify(code)} is not supported; use one of ${currencyCodes.join(', ')}.`,
    );
  }
  return exponents[code];
}
