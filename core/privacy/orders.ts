/**
 * dp_accounting's DEFAULT_RDP_ORDERS: 1.1, 1.2, ..., 10.9, then 11..63, then 128,
 * 256, 512, 1024. Dense at small orders, where the optimum lies for the
 * moderate epsilons of practice; the large ones serve small epsilons and heavy
 * subsampling. Each x / 10 is computed as dp_accounting does (1 + x / 10) so the
 * orders are the same doubles.
 */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, k) => 1 + (k + 1) / 10),
  ...Array.from({ length: 53 }, (_, k) => 11 + k),
  128,
  256,
  512,
  1024,
]);
