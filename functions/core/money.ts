import { ValidationFailed } from './errors.ts';

/**
 * Money in PayBridge is an integer count of a currency's minor unit plus an
 * upper-case ISO 4217 code (ARCHITECTURE.md, Conventions). This module owns the
 * exponents and the only conversions between integers and decimal strings.
 * Every conversion is string or BigInt arithmetic: a float never touches an
 * amount, and anything that is not exact is refused rather than rounded.
 */

/**
 * ISO 4217 minor-unit exponents of the currencies PayBridge handles. The
 * exponent is the ISO one, not a provider's: where a provider counts in other
 * units (Paystack charges XOF in 1/100 franc, Stripe has its own zero-decimal
 * list) the adapter scales with {@link scaleUnits}.
 */
const exponents = {
  NGN: 2,
  GHS: 2,
  KES: 2,
  ZAR: 2,
  ETB: 2,
  EGP: 2,
  TZS: 2,
  UGX: 0,
  RWF: 0,
  XOF: 0,
  XAF: 0,
  USD: 2,
  EUR: 2,
  GBP: 2,
  JPY: 0,
} as const satisfies Record<string, number>;

/** An ISO 4217 code that PayBridge knows the exponent of. */
export type CurrencyCode = keyof typeof exponents;

/** Every currency in the table, for tests and for schemas (`z.enum(currencyCodes)`). */
export const currencyCodes = Object.keys(exponents) as readonly CurrencyCode[];

/** True when `code` is an upper-case ISO 4217 code in our table. */
export function isCurrency(code: string): code is CurrencyCode {
  return Object.hasOwn(exponents, code);
}

/**
 * The ISO 4217 minor-unit exponent of `code` (2 for NGN: 100 kobo; 0 for UGX).
 * Throws ValidationFailed `currency_not_supported` for a code not in the table.
 */
export function exponent(code: string): number {
  if (!isCurrency(code)) {
    throw new ValidationFailed(
      'currency_not_supported',
      `Currency ${JSON.stringify(code)} is not supported; use one of ${currencyCodes.join(', ')}.`,
      'currency',
    );
  }
  return exponents[code];
}

/**
 * Asserts that `amount` is a positive safe integer in the minor unit of a known
 * `currency`. Throws ValidationFailed (param `amount` or `currency`) otherwise.
 */
export function assertAmount(amount: unknown, currency: string): asserts amount is number {
  exponent(currency);
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new ValidationFailed(
      'invalid_amount',
      `The amount must be a positive integer in the minor unit of ${currency} (e.g. 10750 for NGN 107.50).`,
      'amount',
    );
  }
}

/**
 * The largest amount one payment may ask for, per currency, in minor units: about
 * USD 100,000 at 2026 rates. It bounds what a leaked key or a bug can put in front
 * of a customer, and keeps every amount far inside what each provider's wire format
 * carries exactly. A merchant's own limits (`PaymentsStore.amountLimits`) replace these.
 */
export const defaultMaxAmounts: Readonly<Record<CurrencyCode, number>> = {
  NGN: 15_000_000_000, // ₦150,000,000.00
  GHS: 150_000_000,
  KES: 1_300_000_000,
  ZAR: 180_000_000,
  ETB: 1_200_000_000,
  EGP: 500_000_000,
  TZS: 26_000_000_000,
  UGX: 370_000_000,
  RWF: 130_000_000,
  XOF: 60_000_000,
  XAF: 60_000_000,
  USD: 10_000_000,
  EUR: 10_000_000,
  GBP: 8_000_000,
  JPY: 15_000_000,
};

/**
 * Refuses an amount above the currency's maximum: the merchant's own limit when it
 * set one, otherwise {@link defaultMaxAmounts}. Throws ValidationFailed `amount_too_large`.
 */
export function assertWithinMaximum(
  amount: number,
  currency: CurrencyCode,
  limits: Readonly<Partial<Record<string, number>>> = {},
): void {
  const max = limits[currency] ?? defaultMaxAmounts[currency];
  if (amount > max) {
    throw new ValidationFailed(
      'amount_too_large',
      `The amount may be at most ${max} (${formatUnits(max, exponents[currency])} ${currency}) for this account.`,
      'amount',
    );
  }
}

/**
 * Formats an integer count of minor units as a plain decimal string in major
 * units: (10750, 'NGN') → '107.50', (500, 'UGX') → '500'. Throws ValidationFailed
 * for an unknown currency or an amount that is not a safe integer.
 */
export function minorToDecimalString(amount: number, currency: string): string {
  return formatUnits(amount, exponent(currency));
}

/**
 * Parses a provider's major-unit value into minor units of `currency`, exactly:
 * ('107.5', 'NGN') → 10750, (107.5, 'NGN') → 10750, ('500', 'UGX') → 500.
 *
 * A string must be plain digits with an optional fractional part (no sign,
 * exponent, spaces or separators); fractional digits beyond the currency's
 * exponent are accepted only when they are zeros ('500.00' UGX is exactly 500).
 * A number is read through its shortest round-trip string (`String(n)`), so
 * 0.1 + 0.2 arrives as '0.30000000000000004' and is refused, never rounded;
 * non-finite numbers and exponent forms are refused too. Throws ValidationFailed.
 */
export function decimalToMinor(value: string | number, currency: string): number {
  return parseUnits(value, exponent(currency));
}

/**
 * Formats an integer count of 10^-`decimals` units as a decimal string with
 * exactly `decimals` fractional digits. The generic form of
 * {@link minorToDecimalString}, for a provider whose unit is not the ISO one.
 */
export function formatUnits(units: number, decimals: number): string {
  if (!Number.isSafeInteger(units)) {
    throw new ValidationFailed('invalid_amount', `Amount ${String(units)} is not a safe integer.`, 'amount');
  }
  const digits = Math.abs(units)
    .toString()
    .padStart(decimals + 1, '0');
  const sign = units < 0 ? '-' : '';
  if (decimals === 0) return `${sign}${digits}`;
  return `${sign}${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

/**
 * Parses a non-negative decimal (string or number) into an integer count of
 * 10^-`decimals` units, exactly, with the rules of {@link decimalToMinor}.
 */
export function parseUnits(value: string | number, decimals: number): number {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new ValidationFailed(
        'invalid_amount',
        `Amount ${String(value)} is not a finite number.`,
        'amount',
      );
    }
    text = String(value);
  } else if (typeof value === 'string') {
    text = value;
  } else {
    throw new ValidationFailed(
      'invalid_amount',
      'The amount is neither a number nor a decimal string.',
      'amount',
    );
  }
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) {
    throw new ValidationFailed(
      'invalid_amount',
      `Amount ${JSON.stringify(text)} is not a plain non-negative decimal.`,
      'amount',
    );
  }
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > decimals) {
    throw new ValidationFailed(
      'invalid_amount',
      `Amount ${JSON.stringify(text)} has more than ${decimals} decimal place${decimals === 1 ? '' : 's'}.`,
      'amount',
    );
  }
  const units = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(significant.padEnd(decimals, '0') || '0');
  if (units > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ValidationFailed('amount_too_large', `Amount ${JSON.stringify(text)} is too large.`, 'amount');
  }
  return Number(units);
}

/**
 * Re-expresses an integer count of 10^-`from` units as 10^-`to` units, exactly:
 * (500, 0, 2) → 50000 (Paystack's XOF), (50000, 2, 0) → 500. Throws
 * ValidationFailed when scaling down would drop a non-zero remainder or the
 * result is not a safe integer.
 */
export function scaleUnits(units: number, from: number, to: number): number {
  if (!Number.isSafeInteger(units)) {
    throw new ValidationFailed('invalid_amount', `Amount ${String(units)} is not a safe integer.`, 'amount');
  }
  const value = BigInt(units);
  let scaled: bigint;
  if (to >= from) {
    scaled = value * 10n ** BigInt(to - from);
  } else {
    const divisor = 10n ** BigInt(from - to);
    if (value % divisor !== 0n) {
      throw new ValidationFailed(
        'inexact_amount',
        `Amount ${units} cannot be expressed in whole units of 10^-${to} without rounding.`,
        'amount',
      );
    }
    scaled = value / divisor;
  }
  if (scaled > BigInt(Number.MAX_SAFE_INTEGER) || scaled < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ValidationFailed(
      'amount_too_large',
      `Amount ${units} is too large for this provider.`,
      'amount',
    );
  }
  return Number(scaled);
}

/** `12345, 'NGN'` → `123.45 NGN`: an amount in words for messages, exact. */
export function formatMinor(amount: number, currency: string): string {
  return `${formatUnits(amount, exponent(currency))} ${currency}`;
}
