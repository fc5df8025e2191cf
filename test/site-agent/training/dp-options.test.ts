import { describe, expect, it } from 'vitest';
import { checkDpOptions, dpStepPlan, type DpTrainingOptions } from '../../../site-agent/training/dp-options.ts';
import { caught } from '../../models/helpers.ts';

const VALID: DpTrainingOptions = { noiseMultiplier: 1.1, clipNorm: 1, samplingRate: 0.01 };


describe('dpStepPlan', () => {
  it('runs epochs * round(1/q) steps when the spec counts epochs', () => {
    expect(dpStepPlan({ epochs: 3 }, { samplingRate: 0.1 })).toEqual({ steps: 30, stoppedEarly: false });
    expect(dpStepPlan({ epochs: 2 }, { samplingRate: 0.03 })).toEqual({ steps: 66, stoppedEarly: false });
  });

  it('runs training.steps when the spec counts steps', () => {
    expect(dpStepPlan({ steps: 17 }, { samplingRate: 0.5 })).toEqual({ steps: 17, stoppedEarly: false });
  });

  it('stops at maxSteps when the budget allows fewer steps than the spec asks for', () => {
    expect(dpStepPlan({ epochs: 1 }, { samplingRate: 0.1, maxSteps: 4 })).toEqual({ steps: 4, stoppedEarly: true });
    expect(dpStepPlan({ epochs: 1 }, { samplingRate: 0.1, maxSteps: 0 })).toEqual({ steps: 0, stoppedEarly: true });
  });

  it('is not stopped early when maxSteps is exactly what the spec asks for', () => {
    expect(dpStepPlan({ epochs: 1 }, { samplingRate: 0.1, maxSteps: 10 })).toEqual({ steps: 10, stoppedEarly: false });
  });
});

describe('checkDpOptions', () => {
  it('accepts valid settings, sigma 0 and q 1 included', () => {
    expect(() => checkDpOptions(VALID)).not.toThrow();
    expect(() => checkDpOptions({ noiseMultiplier: 0, clipNorm: 0.5, samplingRate: 1, maxSteps: 0 })).not.toThrow();
  });

  const bad: ReadonlyArray<readonly [Partial<DpTrainingOptions>, string]> = [
    [{ noiseMultiplier: -1 }, 'dp.noiseMultiplier is -1; expected a finite number >= 0'],
    [{ noiseMultiplier: Number.NaN }, 'dp.noiseMultiplier is NaN; expected a finite number >= 0'],
    [{ clipNorm: 0 }, 'dp.clipNorm is 0; expected a finite number > 0'],
    [{ samplingRate: 0 }, 'dp.samplingRate is 0; expected a number in (0, 1]'],
    [{ samplingRate: 1.5 }, 'dp.samplingRate is 1.5; expected a number in (0, 1]'],
    [{ maxSteps: 2.5 }, 'dp.maxSteps is 2.5; expected a whole number >= 0'],
    [{ maxSteps: -1 }, 'dp.maxSteps is -1; expected a whole number >= 0'],
  ];
  for (const [change, message] of bad) {
    it(`refuses ${JSON.stringify(change)} with COHORT_E_TRAINING_DP_CONFIG`, () => {
      const e = caught(() => checkDpOptions({ ...VALID, ...change }));

      expect(e.code).toBe('COHORT_E_TRAINING_DP_CONFIG');
      expect(e.message).toBe(message);
    });
  }
});
