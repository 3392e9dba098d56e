/*
 * Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource): parsing with the real
 * server's rules (suffixes, rounding up to nano units), arithmetic, comparison and the canonical
 * form the API server answers with (`0.5` → `500m`, `1024Mi` → `1Gi`, `1000m` → `1`).
 * Values are held exactly, as a count of nano units in a bigint.
 */

/** How a quantity is written: `1Gi` (BinarySI), `1G` or `500m` (DecimalSI), `1e9` (DecimalExponent). */
export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

/** A quantity: its value in nano units (1e-9) and the format it was written in. */
export interface Quantity {
  nanos: bigint;
  format: QuantityFormat;
}

/** The regular expression the real server names when a quantity does not parse. */
export const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

/** The message of the real server's `ErrFormatWrong`. */
export const QUANTITY_FORMAT_MESSAGE = `quantities must match the regular expression '${QUANTITY_PATTERN}'`;

/** Thrown by `parseQuantity` with the real server's message. */
export class QuantityError extends Error {
  constructor(message: string = QUANTITY_FORMAT_MESSAGE) {
    super(message);
    this.name = 'QuantityError';
  }
}

const NANO = 1_000_000_000n;

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const DECIMAL_SUFFIX_OF: Record<number, string> = Object.fromEntries(
  Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]),
);
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Splits a quantity string as `parseQuantityString` does, or throws. */
function split(text: string): {
  negative: boolean;
  digits: string;
  fraction: string;
  suffix: string;
} {
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$/.exec(
    text,
  );
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new QuantityError();
  return {
    negative: m[1] === '-',
    digits: m[2],
    fraction: m[3] ?? '',
    suffix: m[4],
  };
}

/** The base-10 or base-2 exponent and format of a suffix, or throws (`ErrSuffix`). */
function interpretSuffix(suffix: string): {
  base: 10 | 2;
  exponent: number;
  format: QuantityFormat;
} {
  if (suffix in DECIMAL_SUFFIXES) {
    return {
      base: 10,
      exponent: DECIMAL_SUFFIXES[suffix],
      format: 'DecimalSI',
    };
  }
  const binary = BINARY_SUFFIXES.indexOf(suffix);
  if (binary > 0) return { base: 2, exponent: binary * 10, format: 'BinarySI' };
  const exp = /^[eE]([-+]?[0-9]+)$/.exec(suffix);
  if (exp) {
    return { base: 10, exponent: Number(exp[1]), format: 'DecimalExponent' };
  }
  throw new QuantityError("unable to parse quantity's suffix");
}

/**
 * Parses a quantity (`500m`, `2`, `1.5Gi`, `1e3`; a number is taken as written in decimal).
 * Non-zero values are rounded up to whole nano units, as the real server does. Throws a
 * `QuantityError` with the real message when the text is not a quantity.
 */
export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? numberText(input) : input.trim();
  if (text.length === 0) throw new QuantityError();
  if (text === '0') return { nanos: 0n, format: 'DecimalSI' };
  const { negative, digits, fraction, suffix } = split(text);
  const { base, exponent, format } = interpretSuffix(suffix);
  // value = (digits.fraction) × base^exponent, in nano units, rounded up.
  const mantissa = BigInt(`${digits || '0'}${fraction}`);
  let numerator = mantissa * NANO;
  let denominator = pow10(fraction.length);
  if (base === 2) {
    numerator *= 2n ** BigInt(exponent);
  } else if (exponent >= 0) {
    numerator *= pow10(exponent);
  } else {
    denominator *= pow10(-exponent);
  }
  let nanos = numerator / denominator;
  if (numerator % denominator !== 0n) nanos += 1n;
  return { nanos: negative ? -nanos : nanos, format };
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new QuantityError();
  // Plain decimal notation, without exponent, for the usual magnitudes.
  return Number.isInteger(n) ? BigInt(n).toString() : String(n);
}

/** Whether a value parses as a quantity. */
export function isQuantity(input: unknown): boolean {
  if (typeof input !== 'string' && typeof input !== 'number') return false;
  try {
    parseQuantity(input);
    return true;
  } catch {
    return false;
  }
}

/** Removes factors of `factor` from `n` (at most `max` of them); returns the rest and the count. */
function removeFactors(
  n: bigint,
  factor: bigint,
  max = Infinity,
): [bigint, number] {
  let count = 0;
  let rest = n;
  while (rest !== 0n && count < max && rest % factor === 0n) {
    rest /= factor;
    count++;
  }
  return [rest, count];
}

/**
 * The canonical text of a quantity, as `Quantity.String()` renders it: no fractional digits, the
 * largest exponent (or suffix) that loses no precision, a decimal suffix for BinarySI values
 * that are not whole multiples of 1024 bytes.
 */
export function formatQuantity(q: Quantity): string {
  if (q.nanos === 0n) return '0';
  const negative = q.nanos < 0n;
  const abs = negative ? -q.nanos : q.nanos;
  const sign = negative ? '-' : '';
  let format = q.format;
  if (format === 'BinarySI' && (abs < 1024n * NANO || abs % NANO !== 0n)) {
    format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    const [rest, count] = removeFactors(abs / NANO, 1024n, 6);
    return `${sign}${rest}${BINARY_SUFFIXES[count]}`;
  }
  // Decimal: mantissa × 10^exponent with the exponent a multiple of 3.
  const [rest, count] = removeFactors(abs, 10n);
  let exponent = count - 9;
  let mantissa = rest;
  const misfit = ((exponent % 3) + 3) % 3;
  mantissa *= pow10(misfit);
  exponent -= misfit;
  if (format === 'DecimalExponent') {
    return `${sign}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
  }
  if (exponent > 18) {
    mantissa *= pow10(exponent - 18);
    exponent = 18;
  }
  return `${sign}${mantissa}${DECIMAL_SUFFIX_OF[exponent]}`;
}

/** The canonical text of a quantity given as text (throws when it does not parse). */
export function canonicalQuantity(input: string | number): string {
  return formatQuantity(parseQuantity(input));
}

/** A zero quantity (format DecimalSI until something is added to it). */
export function zeroQuantity(): Quantity {
  return { nanos: 0n, format: 'DecimalSI' };
}

/** `a + b`, in the format of `a` (of `b` when `a` is a bare zero), like `Quantity.Add`. */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  const format =
    a.nanos === 0n && a.format === 'DecimalSI' ? b.format : a.format;
  return { nanos: a.nanos + b.nanos, format };
}

/** `a - b`, in the format of `a`. */
export function subtractQuantities(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos - b.nanos, format: a.format };
}

/** `q × n` for a whole `n`. */
export function multiplyQuantity(q: Quantity, n: number): Quantity {
  return { nanos: q.nanos * BigInt(Math.trunc(n)), format: q.format };
}

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b`. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  if (a.nanos < b.nanos) return -1;
  return a.nanos > b.nanos ? 1 : 0;
}

/** The value as a JavaScript number (base units, e.g. cores or bytes). */
export function quantityValue(q: Quantity): number {
  return Number(q.nanos) / 1e9;
}
