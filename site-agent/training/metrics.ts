/**
 * Evaluation metrics on plain arrays: pure, exact, independent of TensorFlow.js, so the
 * numbers every site reports are computed the same way on every backend.
 */

import { EVAL_PROBABILITY_CLIP, exampleLoss, isCorrect } from '../../core/evaluation/summed-metrics.ts';

/** Probabilities are clipped to [EPSILON, 1 - EPSILON] before the logarithm, as Keras does (the summed evaluation uses the same clip). */
export const EPSILON = EVAL_PROBABILITY_CLIP;

type Values = ArrayLike<number>;

function checkLengths(scores: Values, labels: Values): void {
  if (scores.length !== labels.length) {
    throw new RangeError(`scores and labels differ in length: ${scores.length} vs ${labels.length}`);
  }
}

/**
 * Area under the ROC curve by the rank (Mann-Whitney U) formula, ties given their
 * average rank: AUC = (R+ - n+(n+ + 1)/2) / (n+ n-), R+ the rank sum of the positives.
 * NaN when only one class is present.
 */
export function binaryAuc(scores: Values, labels: Values): number {
  checkLengths(scores, labels);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positiveRankSum = 0;
  let positives = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]!] === scores[order[start]!]) end++;
    // Ranks start..end-1 (0-based) share the average 1-based rank.
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) {
      if (labels[order[k]!] === 1) {
        positiveRankSum += averageRank;
        positives++;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Fraction of rows whose prediction (score > threshold, as Keras's binary accuracy) equals the label. NaN when empty. */
export function accuracy(scores: Values, labels: Values, threshold = 0.5): number {
  checkLengths(scores, labels);
  if (scores.length === 0) return Number.NaN;
  let correct = 0;
  for (let i = 0; i < scores.length; i++) if (isCorrect(scores[i]!, labels[i] === 1, threshold)) correct++;
  return correct / scores.length;
}

/** Mean binary cross-entropy of probabilities against 0/1 labels. NaN when empty. */
export function binaryCrossEntropy(probabilities: Values, labels: Values): number {
  checkLengths(probabilities, labels);
  if (probabilities.length === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) sum += exampleLoss(probabilities[i]!, labels[i] === 1);
  return sum / probabilities.length;
}
