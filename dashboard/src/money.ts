import { currencyExponent, isCurrency } from '#client';

/**
 * The decimal string of an integer count of minor units, by string arithmetic only:
 * (1075000, 2) → "10750.00", (-5, 2) → "-0.05", (500, 0) → "500". A float never touches it.
 */
export function minorToDecimal(amount: number | bigint, digits: number): string {
  const units = BigInt(amount);
  const negative = units < 0n;
  const text = (negative ? -units : units).toString().padStart(digits + 1, '0');
  const sign = negative ? '-' : '';
  return digits === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** The currency's minor-unit exponent: the API's table, else what Intl knows. */
export function currencyDigits(currency: string): number {
  if (isCurrency(currency)) return currencyExponent(currency);
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits as number;
  } catch {
    return 2;
  }
}

/**
 * Formats an amount in minor units for humans: (1075000, "NGN") → "NGN 10,750.00".
 * Intl.NumberFormat receives the exact decimal string (it formats strings as exact
 * decimals), with exactly the currency's digits, so nothing is rounded on the way.
 */
export function formatMoney(amount: number | bigint, currency: string, locale = 'en-GB'): string {
  if (typeof amount === 'number' && !Number.isSafeInteger(amount)) {
    throw new RangeError(`${amount} is not an integer count of minor units`);
  }
  const digits = currencyDigits(currency);
  const decimal = minorToDecimal(amount, digits);
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      currencyDisplay: 'code',
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
  } catch {
    return `${currency} ${decimal}`;
  }
  // The string overload formats the decimal exactly (Intl.NumberFormat v3).
  return format.format(decimal as unknown as number);
}

/** Sums amounts of one currency exactly (BigInt). */
export function sumMinor(amounts: readonly number[]): bigint {
  return amounts.reduce((total, amount) => total + BigInt(amount), 0n);
}

/**
 * The integer count of minor units a person typed as a decimal, by string arithmetic only:
 * ("20.50", 2) → 2050, ("1,000", 0) → 1000, ("0.005", 2) → undefined (more digits than the
 * currency has), ("-1", 2) / ("abc", 2) / ("", 2) → undefined. Group separators (",", spaces) are ignored.
 */
export function decimalToMinor(text: string, digits: number): number | undefined {
  const cleaned = text.trim().replace(/[,\s\u00a0]/g, '');
  const match = /^(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return undefined;
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return undefined;
  const units = BigInt(whole + fraction.padEnd(digits, '0'));
  return units <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(units) : undefined;
}
