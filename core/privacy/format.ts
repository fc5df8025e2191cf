/** Privacy figures for people. */

/**
 * An epsilon or delta to `digits` significant digits, rounded UP (a printed guarantee is never
 * smaller than the computed one), or "unbounded".
 */
export function formatPrivacy(x: number, digits = 6): string {
  return Number.isFinite(x) ? String(roundUpPrivacy(x, digits)) : 'unbounded';
}

/** An epsilon or delta rounded UP to `digits` significant digits, as a number; non-finite values are returned as they are. */
export function roundUpPrivacy(x: number, digits: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const unit = 10 ** (Math.floor(Math.log10(Math.abs(x))) - (digits - 1));
  // The 1e-9 absorbs the float error of the division (1294.88 / 0.01 = 129488.00000000001), a
  // billionth of the last digit; toPrecision trims the error of the multiplication.
  return Number((Math.ceil(x / unit - 1e-9) * unit).toPrecision(digits));
}
