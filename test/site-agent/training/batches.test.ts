import { describe, expect, it } from 'vitest';
import { batchSchedule, trainingLength } from '../../../site-agent/training/batches.ts';

const collect = (...args: Parameters<typeof batchSchedule>): number[][] => [...batchSchedule(...args)].map((b) => [...b]);

describe('batchSchedule', () => {
  it('visits every row exactly once per epoch, the last batch smaller', () => {
    const batches = collect(10, 4, { epochs: 2 }, 1);

    expect(batches.map((b) => b.length)).toEqual([4, 4, 2, 4, 4, 2]);
    expect(batches.slice(0, 3).flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches.slice(3).flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('reshuffles between epochs', () => {
    const batches = collect(10, 10, { epochs: 2 }, 1);

    expect(batches[0]).not.toEqual(batches[1]);
  });

  it('runs the requested number of steps across epoch boundaries', () => {
    expect(collect(10, 4, { steps: 7 }, 1).map((b) => b.length)).toEqual([4, 4, 2, 4, 4, 2, 4]);
  });

  it('gives the same batches for the same seed and others for another seed', () => {
    expect(collect(50, 8, { epochs: 1 }, 3)).toEqual(collect(50, 8, { epochs: 1 }, 3));
    expect(collect(50, 8, { epochs: 1 }, 3)).not.toEqual(collect(50, 8, { epochs: 1 }, 4));
  });
});

describe('trainingLength', () => {
  it('reads steps or epochs from the spec', () => {
    expect(trainingLength({ steps: 5 })).toEqual({ steps: 5 });
    expect(trainingLength({ epochs: 3 })).toEqual({ epochs: 3 });
  });
});
