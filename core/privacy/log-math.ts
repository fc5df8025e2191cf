/**
 * Arithmetic on numbers held as their logarithms, so that sums of terms such as
 * exp(10^6) or exp(-10^6) neither overflow nor vanish. -Infinity stands for 0.
 */

/** log(exp(a) + exp(b)). */
export function logAdd(a: number, b: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  if (lo === -Infinity) return hi;
  return hi + Math.log1p(Math.exp(lo - hi));
}

/** A real number as a sign and the log of its magnitude; magnitude 0 has logAbs -Infinity. */
export interface SignedLog {
  readonly positive: boolean;
  readonly logAbs: number;
}

/** Signed sum of two numbers held as SignedLog, without leaving log space. */
export function signedLogAdd(x: SignedLog, y: SignedLog): SignedLog {
  if (x.logAbs === -Infinity) return y;
  if (y.logAbs === -Infinity) return x;
  if (x.positive === y.positive) return { positive: x.positive, logAbs: logAdd(x.logAbs, y.logAbs) };
  // Opposite signs: the larger magnitude keeps its sign.
  if (x.logAbs === y.logAbs) return { positive: true, logAbs: -Infinity };
  const [big, small] = x.logAbs > y.logAbs ? [x, y] : [y, x];
  return { positive: big.positive, logAbs: big.logAbs + log1mExp(small.logAbs - big.logAbs) };
}

/**
 * log(1 - exp(d)) for d <= 0, switching between the two forms at -log 2 as
 * Maechler (2012, "Accurately computing log(1 - exp(-|a|))") recommends.
 */
export function log1mExp(d: number): number {
  return d > -Math.LN2 ? Math.log(-Math.expm1(d)) : Math.log1p(-Math.exp(d));
}
