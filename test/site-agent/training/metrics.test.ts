import { describe, expect, it } from 'vitest';
import { accuracy, binaryAuc, binaryCrossEntropy } from '../../../site-agent/training/metrics.ts';

describe('binaryAuc', () => {
  it('counts the ordered positive-negative pairs (3 of 4)', () => {
    // Pairs (pos, neg): 0.35>0.1 yes, 0.35>0.4 no, 0.8>0.1 yes, 0.8>0.4 yes.
    expect(binaryAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
  });

  it('counts a tie between a positive and a negative as half a pair', () => {
    // Pairs: 0.9>0.2 yes, 0.9>0.5 yes, 0.5>0.2 yes, 0.5=0.5 half -> 3.5 / 4.
    expect(binaryAuc([0.9, 0.5, 0.5, 0.2], [1, 1, 0, 0])).toBe(0.875);
  });

  it('is 0.5 when every score is equal', () => {
    expect(binaryAuc([0.3, 0.3, 0.3, 0.3, 0.3], [1, 0, 1, 0, 0])).toBe(0.5);
  });

  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(binaryAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(binaryAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
  });

  it('is NaN when only one class is present', () => {
    expect(binaryAuc([0.1, 0.7], [1, 1])).toBeNaN();
    expect(binaryAuc([0.1, 0.7], [0, 0])).toBeNaN();
  });

  it('refuses scores and labels of different lengths', () => {
    expect(() => binaryAuc([0.1], [0, 1])).toThrow('scores and labels differ in length: 1 vs 2');
  });
});

describe('accuracy', () => {
  it('thresholds strictly above 0.5, as Keras does', () => {
    // Predictions 0, 0 (0.5 is not above), 1, 1 against labels 0, 1, 1, 0: two correct.
    expect(accuracy([0.2, 0.5, 0.51, 0.9], [0, 1, 1, 0])).toBe(0.5);
  });

  it('is NaN for no rows', () => {
    expect(accuracy([], [])).toBeNaN();
  });
});

describe('binaryCrossEntropy', () => {
  it('averages -log p for positives and -log(1-p) for negatives', () => {
    const expected = -(Math.log(0.8) + Math.log(1 - 0.3)) / 2;

    expect(binaryCrossEntropy([0.8, 0.3], [1, 0])).toBeCloseTo(expected, 12);
  });

  it('clips probabilities to 1e-7 so a confident mistake costs -log(1e-7), not infinity', () => {
    expect(binaryCrossEntropy([0], [1])).toBeCloseTo(-Math.log(1e-7), 9);
  });
});
