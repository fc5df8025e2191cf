import { describe, expect, it } from 'vitest';
import type { Matrix } from '../../../models/features.ts';
import { applyScaling, fitScaling, standardize, standardizedColumns } from '../../../site-agent/data/standardize.ts';

const matrix = (rows: number[][]): Matrix => ({
  x: Float32Array.from(rows.flat()),
  y: new Float32Array(rows.length),
  rows: rows.length,
  cols: rows[0]?.length ?? 0,
});

describe('standardize', () => {
  it('scales with the training split only: mean 50, population std sqrt(200/3)', () => {
    const train = matrix([[40, 1], [50, 0], [60, 1]]);
    const test = matrix([[70, 0], [100, 1]]);
    const std = Math.sqrt(200 / 3);

    const result = standardize(train, test, [0]);

    expect(result.scaling).toEqual([{ column: 0, mean: 50, scale: std }]);
    expect(Array.from(result.train.x)).toEqual([-10 / std, 1, 0, 0, 10 / std, 1].map(Math.fround));
    expect(Array.from(result.test.x)).toEqual([20 / std, 0, 50 / std, 1].map(Math.fround));
  });

  it('centres a constant column and divides it by 1', () => {
    const train = matrix([[0.1], [0.1], [0.1]]);

    const [scaling] = fitScaling(train, [0]);

    expect(scaling?.scale).toBe(1);
    expect(Array.from(applyScaling(train, fitScaling(train, [0])).x)).toEqual([0, 0, 0]);
  });

  it('leaves the input matrices unchanged', () => {
    const train = matrix([[1], [3]]);

    applyScaling(train, fitScaling(train, [0]));

    expect(Array.from(train.x)).toEqual([1, 3]);
  });

  it('lists the design columns of numeric features marked standardize', () => {
    const spec = {
      features: [
        { name: 'age', type: 'numeric' as const, preprocess: 'standardize' as const },
        { name: 'sex', type: 'numeric' as const, preprocess: 'none' as const },
        { name: 'cp', type: 'categorical' as const, categories: [1, 2, 3, 4], preprocess: 'one-hot' as const, dropFirst: true },
        { name: 'chol', type: 'numeric' as const, preprocess: 'standardize' as const },
      ],
    };

    expect(standardizedColumns(spec)).toEqual([0, 5]);
  });
});
