/** The spec's privacy and aggregation sections: defaults, ranges, and the cross-field rules. */
import { describe, expect, it } from 'vitest';
import type { ModelSpecInput } from '../../models/spec-schema.ts';
import { parseSpec, type SpecIssue } from '../../models/validate-spec.ts';
import { caught, converterModel, example, numericSpec, sequentialTopology } from './helpers.ts';

const issues = (input: unknown): SpecIssue[] => {
  const e = caught(() => parseSpec(input));
  expect(e.code).toBe('COHORT_E_SPEC_INVALID');
  return e.details.issues as SpecIssue[];
};
const withPrivacy = (privacy: unknown, overrides: Partial<ModelSpecInput> = {}): unknown => ({ ...numericSpec(2, overrides), privacy });
const SITE = { noiseMultiplier: 0.3, clipNorm: 1 };

describe('aggregation', () => {
  it('fills in every default when absent, and leaves privacy absent', () => {
    const spec = parseSpec(numericSpec(2));

    expect(spec.aggregation).toEqual({ maxUpdateNorm: 100, precisionBits: 20, maxWeight: 1_000_000 });
    expect(spec.privacy).toBeUndefined();
  });

  it('keeps a set value and defaults the rest', () => {
    expect(parseSpec({ ...numericSpec(2), aggregation: { precisionBits: 16 } }).aggregation).toEqual({ maxUpdateNorm: 100, precisionBits: 16, maxWeight: 1_000_000 });
  });

  it('refuses values outside their ranges, each at its path', () => {
    expect(issues({ ...numericSpec(2), aggregation: { maxUpdateNorm: 0, precisionBits: 31, maxWeight: 2 ** 24 + 1, extra: 1 } })).toEqual([
      { path: 'spec.aggregation.maxUpdateNorm', message: 'expected number to be >0' },
      { path: 'spec.aggregation.precisionBits', message: 'expected number to be <=30' },
      { path: 'spec.aggregation.maxWeight', message: 'expected number to be <=16777216' },
      { path: 'spec.aggregation.extra', message: 'unknown field' },
    ]);
  });

  it('refuses a fractional number of bits and a weight cap of 0', () => {
    expect(issues({ ...numericSpec(2), aggregation: { precisionBits: 8.5, maxWeight: 0 } })).toEqual([
      { path: 'spec.aggregation.precisionBits', message: 'expected int, received number' },
      { path: 'spec.aggregation.maxWeight', message: 'expected number to be >=1' },
    ]);
  });
});

describe('privacy', () => {
  it('accepts record- and site-level privacy together', () => {
    const spec = parseSpec(withPrivacy({ record: { noiseMultiplier: 1, clipNorm: 1 }, site: SITE }));

    expect(spec.privacy).toEqual({ record: { noiseMultiplier: 1, clipNorm: 1 }, site: { noiseMultiplier: 0.3, clipNorm: 1 } });
  });

  it('fills in the adaptive-clipping defaults, maxClipNorm as 100 x the initial clip norm', () => {
    const spec = parseSpec(withPrivacy({ site: { noiseMultiplier: 0.3, clipNorm: 2, adaptive: { countNoiseMultiplier: 0.5 } } }));

    expect(spec.privacy?.site?.adaptive).toEqual({ targetQuantile: 0.5, learningRate: 0.2, countNoiseMultiplier: 0.5, maxClipNorm: 200 });
  });

  it('refuses values outside their ranges, each at its path', () => {
    expect(issues(withPrivacy({ record: { noiseMultiplier: 0.1, clipNorm: 0 }, site: { noiseMultiplier: 101, clipNorm: -1 } }))).toEqual([
      { path: 'spec.privacy.record.noiseMultiplier', message: 'expected number to be >=0.3' },
      { path: 'spec.privacy.record.clipNorm', message: 'expected number to be >0' },
      { path: 'spec.privacy.site.noiseMultiplier', message: 'expected number to be <=100' },
      { path: 'spec.privacy.site.clipNorm', message: 'expected number to be >0' },
    ]);
  });

  it('refuses adaptive clipping without its count noise, and a quantile of 1', () => {
    expect(issues(withPrivacy({ site: { ...SITE, adaptive: { targetQuantile: 1 } } }))).toEqual([
      { path: 'spec.privacy.site.adaptive.targetQuantile', message: 'expected number to be <1' },
      { path: 'spec.privacy.site.adaptive.countNoiseMultiplier', message: 'required; expected number' },
    ]);
  });

  it('refuses an empty privacy block rather than read it as protection', () => {
    expect(issues(withPrivacy({}))).toEqual([
      { path: 'spec.privacy', message: 'expected at least one of "record" or "site" (omit "privacy" for no differential privacy)' },
    ]);
  });

  it('refuses adaptive clipping outside privacy.site', () => {
    expect(issues(withPrivacy({ record: { noiseMultiplier: 1, clipNorm: 1 }, adaptive: { countNoiseMultiplier: 1 } }))).toEqual([
      { path: 'spec.privacy.adaptive', message: 'unknown field' },
    ]);
  });

  it('refuses a clip-norm cap below the initial clip norm', () => {
    expect(issues(withPrivacy({ site: { noiseMultiplier: 0.3, clipNorm: 2, adaptive: { countNoiseMultiplier: 1, maxClipNorm: 1.5 } } }))).toEqual([
      { path: 'spec.privacy.site.adaptive.maxClipNorm', message: 'expected at least spec.privacy.site.clipNorm (2), the initial clip norm' },
    ]);
  });

  it('accepts a cap equal to the initial clip norm', () => {
    expect(parseSpec(withPrivacy({ site: { noiseMultiplier: 0.3, clipNorm: 2, adaptive: { countNoiseMultiplier: 1, maxClipNorm: 2 } } })).privacy?.site?.adaptive?.maxClipNorm).toBe(2);
  });

  it('refuses a count noise of at most half the site noise (no update noise multiplier would remain)', () => {
    expect(issues(withPrivacy({ site: { noiseMultiplier: 1, clipNorm: 1, adaptive: { countNoiseMultiplier: 0.5 } } }))).toEqual([
      {
        path: 'spec.privacy.site.adaptive.countNoiseMultiplier',
        message: 'expected more than half of spec.privacy.site.noiseMultiplier (0.5): the clipped-count noise takes part of the site-level budget',
      },
    ]);
  });

  it('lists privacy problems together with schema problems elsewhere', () => {
    const input = { ...(withPrivacy({ site: { noiseMultiplier: 0.3, clipNorm: 2, adaptive: { countNoiseMultiplier: 1, maxClipNorm: 1 } } }) as object), rounds: 0 };

    expect(issues(input).map((i) => i.path)).toEqual(['spec.rounds', 'spec.privacy.site.adaptive.maxClipNorm']);
  });

  it('allows record-level privacy with FedProx', () => {
    const spec = parseSpec(withPrivacy({ record: { noiseMultiplier: 1, clipNorm: 1 } }, { strategy: { name: 'fedprox', mu: 0.01 } }));

    expect(spec.strategy).toEqual({ name: 'fedprox', mu: 0.01 });
  });
});

describe('record-level privacy and the model', () => {
  it('allows a Keras topology of Dense, Dropout and Activation layers', () => {
    const topology = sequentialTopology([
      ['Dense', { units: 4, activation: 'relu', batch_input_shape: [null, 2] }],
      ['Dropout', { rate: 0.1 }],
      ['Dense', { units: 1 }],
      ['Activation', { activation: 'sigmoid' }],
    ]);

    expect(parseSpec(withPrivacy({ record: { noiseMultiplier: 1, clipNorm: 1 } }, { model: { family: 'keras', topology } })).privacy?.record).toEqual({ noiseMultiplier: 1, clipNorm: 1 });
  });

  it('names each normalization layer of a Keras model under privacy.record', () => {
    const e = caught(() => parseSpec({ ...example('heart-logistic.yaml'), model: { family: 'keras', topology: converterModel() }, privacy: { record: { noiseMultiplier: 1, clipNorm: 1 } } }));

    expect(e.code).toBe('COHORT_E_SPEC_INVALID');
    expect(e.details.issues).toEqual([
      {
        path: 'spec.model.topology',
        message: 'layer 2 (BatchNormalization "batch_normalization") is not allowed with spec.privacy.record: record-level privacy needs every trainable layer to be Dense',
      },
      {
        path: 'spec.model.topology',
        message: 'layer 4 (LayerNormalization "layer_normalization") is not allowed with spec.privacy.record: record-level privacy needs every trainable layer to be Dense',
      },
    ]);
  });

  it('allows the same Keras model with site-level privacy only', () => {
    const spec = parseSpec({ ...example('heart-logistic.yaml'), model: { family: 'keras', topology: converterModel() }, privacy: { site: SITE } });

    expect(spec.privacy).toEqual({ site: SITE });
  });
});

describe('examples', () => {
  it.each([
    ['heart-logistic.yaml', 0.3],
    ['heart-mlp.yaml', 0.2],
  ])('%s asks for record- and site-level privacy', (file, siteClipNorm) => {
    const spec = example(file);

    expect(spec.privacy).toEqual({ record: { noiseMultiplier: 1, clipNorm: 1 }, site: { noiseMultiplier: 0.3, clipNorm: siteClipNorm } });
  });
});
