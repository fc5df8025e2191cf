/**
 * The complementary error function and its logarithm, accurate to a few units in
 * the last place over the whole real line, including far in the tail where
 * erfc(x) underflows but log(erfc(x)) is still needed (the fractional-order RDP
 * series evaluates it at arguments in the thousands).
 *
 * Method: W. J. Cody, "Rational Chebyshev approximations for the error function",
 * Math. Comp. 23 (1969) 631-637, as in his CALERF routine (SPECFUN / netlib):
 * three rational approximations on |x| <= 0.46875, 0.46875 < |x| <= 4 and
 * |x| > 4, the last two giving erfc(x) = exp(-x^2) * R(x). Keeping that factor
 * apart is what makes log(erfc(x)) = -x^2 + log(R(x)) exact in the tail.
 */

const THRESHOLD = 0.46875;
// Cody's 18-digit coefficients, written as the doubles they round to.
const INV_SQRT_PI = 0.5641895835477563;
const LN2 = Math.LN2;

// |x| <= 0.46875: erf(x) = x * P(x^2) / Q(x^2).
const A = [3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315];
const B = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
// 0.46875 < x <= 4: erfc(x) = exp(-x^2) * P(x) / Q(x).
const C = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769,
  1712.0476126340707, 2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
];
const D = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597,
  4362.619090143247, 3439.3676741437216, 1230.3393548037495,
];
// x > 4: erfc(x) = exp(-x^2) / x * (1/sqrt(pi) - P(1/x^2) / (x^2 Q(1/x^2))).
const P = [
  0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275,
  0.0006587491615298378, 0.016315387137302097,
];
const Q = [2.568520192289822, 1.8729528499234673, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918];

/** erf(x) for |x| <= 0.46875. */
function erfSmall(x: number): number {
  const ysq = x * x;
  let num = A[4]! * ysq;
  let den = ysq;
  for (let i = 0; i < 3; i++) {
    num = (num + A[i]!) * ysq;
    den = (den + B[i]!) * ysq;
  }
  return (x * (num + A[3]!)) / (den + B[3]!);
}

/** log(erfc(y)) + y^2 for y > 0.46875: the log of the rational factor R(y). */
function logScaledErfcLarge(y: number): number {
  if (y <= 4) {
    let num = C[8]! * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + C[i]!) * y;
      den = (den + D[i]!) * y;
    }
    return Math.log((num + C[7]!) / (den + D[7]!));
  }
  const inv = 1 / (y * y);
  let num = P[5]! * inv;
  let den = inv;
  for (let i = 0; i < 4; i++) {
    num = (num + P[i]!) * inv;
    den = (den + Q[i]!) * inv;
  }
  const r = (inv * (num + P[4]!)) / (den + Q[4]!);
  return Math.log((INV_SQRT_PI - r) / y);
}

/** erfc(y) for y > 0.46875. exp(-y^2) is split as Cody does so that y^2 is exact. */
function erfcLarge(y: number): number {
  const ysq = Math.trunc(y * 16) / 16;
  const del = (y - ysq) * (y + ysq);
  return Math.exp(-ysq * ysq) * Math.exp(-del) * Math.exp(logScaledErfcLarge(y));
}

/** The complementary error function erfc(x) = 1 - erf(x). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= THRESHOLD) return 1 - erfSmall(x);
  const tail = y > 27 ? 0 : erfcLarge(y);
  return x < 0 ? 2 - tail : tail;
}

/**
 * log(erfc(x)), finite for every finite x: about -x^2 - log(x sqrt(pi)) for large
 * positive x, log(2) for large negative x.
 */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return -Infinity;
  const y = Math.abs(x);
  if (y <= THRESHOLD) return Math.log1p(-erfSmall(x));
  if (x > 0) return -y * y + logScaledErfcLarge(y);
  // erfc(x) = 2 - erfc(|x|) for x < 0; erfc(|x|) <= 0.51 here, so log1p is accurate.
  return LN2 + Math.log1p(-(y > 27 ? 0 : erfcLarge(y)) / 2);
}
