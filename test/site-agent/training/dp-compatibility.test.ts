import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../../models/validate-spec.ts';
import { assertDpCompatible } from '../../../site-agent/training/dp-compatibility.ts';
import { caught, converterModel, example, numericSpec, sequentialTopology } from '../../models/helpers.ts';

const kerasSpec = (width: number, topology: Record<string, unknown>) => parseSpec(numericSpec(width, { model: { family: 'keras', topology } }));

describe('assertDpCompatible', () => {
  it('accepts the logistic-regression and mlp example specs', () => {
    expect(() => assertDpCompatible(example('heart-logistic.yaml'))).not.toThrow();
    expect(() => assertDpCompatible(example('heart-mlp.yaml'))).not.toThrow();
  });

  it('accepts a Keras topology of Dense, Activation and Dropout layers', () => {
    const spec = kerasSpec(
      3,
      sequentialTopology([
        ['Dense', { name: 'hidden', units: 4, activation: 'relu', batch_input_shape: [null, 3] }],
        ['Activation', { name: 'act', activation: 'tanh' }],
        ['Dropout', { name: 'drop', rate: 0.2 }],
        ['Dense', { name: 'out', units: 1, activation: 'sigmoid' }],
      ]),
    );

    expect(() => assertDpCompatible(spec)).not.toThrow();
  });

  it('refuses BatchNormalization with COHORT_E_TRAINING_DP_UNSUPPORTED_LAYER, naming the layer', () => {
    const spec = kerasSpec(13, converterModel());

    const e = caught(() => assertDpCompatible(spec));

    expect(e.code).toBe('COHORT_E_TRAINING_DP_UNSUPPORTED_LAYER');
    expect(e.message).toBe(
      'DP-SGD cannot train spec.model.topology layer 2 (BatchNormalization "batch_normalization"): it mixes the examples of a batch, so per-example gradients (and their clipping) are not defined; train this model without record-level DP or remove the layer',
    );
    expect(e.details).toEqual({ layerClass: 'BatchNormalization', layerIndex: 2, layerName: 'batch_normalization' });
  });

  it('refuses LayerNormalization, which ghost clipping does not cover', () => {
    const spec = kerasSpec(
      3,
      sequentialTopology([
        ['Dense', { name: 'hidden', units: 4, activation: 'relu', batch_input_shape: [null, 3] }],
        ['LayerNormalization', { name: 'ln' }],
        ['Dense', { name: 'out', units: 1, activation: 'sigmoid' }],
      ]),
    );

    const e = caught(() => assertDpCompatible(spec));

    expect(e.code).toBe('COHORT_E_TRAINING_DP_UNSUPPORTED_LAYER');
    expect(e.message).toBe(
      'DP-SGD cannot train spec.model.topology layer 1 (LayerNormalization "ln"): DP-SGD\'s batched per-example clipping supports only Dense, Dropout, Activation, Flatten, InputLayer layers; train this model without record-level DP or remove the layer',
    );
  });
});
