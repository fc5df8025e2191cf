/** Privacy figures for people. */

/**
 * An epsilon or delta to `digits` significant digits, rounded UP (a printed guarantee is never
 * smaller than the computed one), or "unbounded".
 */
export function formatPrivacy(x: number, digits = 6): string {
  if (!Number.isFinite(x)) return 'unbounded';
  if (x === 0) return '0';
  const unit = 10 ** (Math.floor(Math.log10(Math.abs(x))) - (digits - 1));
  // The 1e-9 absorbs the float error of the division (1294.88 / 0.01 = 129488.00000000001), a
  // billionth of the last digit; toPrecision trims the error of the multiplication.
  return String(Number((Math.ceil(x / unit - 1e-9) * unit).toPrecision(digits)));
}
