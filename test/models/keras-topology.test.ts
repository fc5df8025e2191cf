import { describe, expect, it } from 'vitest';
import { readKerasChain } from '../../models/keras-topology.ts';
import { parseSpec } from '../../models/validate-spec.ts';
import { caught, converterModel, numericSpec, sequentialTopology } from './helpers.ts';


const dense = (units: number, activation: string, extra: Record<string, unknown> = {}): readonly [string, Record<string, unknown>] =>
  ['Dense', { name: `d${units}_${activation}`, units, activation, use_bias: true, ...extra }] as const;

const kerasSpec = (width: number, topology: Record<string, unknown>) => numericSpec(width, { model: { family: 'keras', topology } });

describe('Keras topologies in parseSpec', () => {
  it('accepts a tfjs-layers Sequential topology and reads its chain', () => {
    const topology = sequentialTopology([dense(4, 'relu', { batch_input_shape: [null, 3] }), ['Dropout', { rate: 0.5 }], dense(1, 'sigmoid')]);

    const model = parseSpec(kerasSpec(3, topology)).model;
    if (model.family !== 'keras') throw new Error('expected a keras model');
    const chain = readKerasChain(model.topology, 3);

    expect(chain.layers.map((l) => [l.className, l.inputWidth, l.outputWidth])).toEqual([
      ['Dense', 3, 4],
      ['Dropout', 4, 4],
      ['Dense', 4, 1],
    ]);
  });

  it('accepts a tensorflowjs_converter model.json of a Keras 2 functional model, in data-flow order', () => {
    const chain = readKerasChain(converterModel(), 13);

    expect(chain.modelConfig.class_name).toBe('Functional');
    expect(chain.layers.map((l) => l.name)).toEqual([
      'features', 'dense', 'batch_normalization', 'activation', 'layer_normalization', 'dropout', 'risk',
    ]);
  });

  it('refuses a Conv2D layer, naming its class and index', () => {
    const topology = sequentialTopology([
      dense(4, 'relu', { batch_input_shape: [null, 3] }),
      ['Conv2D', { name: 'conv', filters: 2, kernel_size: [3, 3] }],
      dense(1, 'sigmoid'),
    ]);

    const e = caught(() => parseSpec(kerasSpec(3, topology)));

    expect(e.code).toBe('COHORT_E_SPEC_UNSUPPORTED_LAYER');
    expect(e.message).toBe(
      'spec.model.topology: unsupported Keras layer Conv2D (layer 1, "conv"); supported: InputLayer, Dense, Dropout, Activation, BatchNormalization, LayerNormalization',
    );
    expect(e.details).toMatchObject({ layerClass: 'Conv2D', layerIndex: 1 });
  });

  it('names every unsupported layer at once (LSTM and Conv1D)', () => {
    const topology = sequentialTopology([
      ['LSTM', { name: 'lstm', units: 4, batch_input_shape: [null, 3] }],
      ['Conv1D', { name: 'c1' }],
      dense(1, 'sigmoid'),
    ]);

    const e = caught(() => parseSpec(kerasSpec(3, topology)));

    expect(e.code).toBe('COHORT_E_SPEC_UNSUPPORTED_LAYER');
    expect(e.details.layers).toEqual([{ class: 'LSTM', index: 0 }, { class: 'Conv1D', index: 1 }]);
  });

  it('refuses a kernel regularizer that local training would ignore', () => {
    const topology = sequentialTopology([
      dense(1, 'sigmoid', { batch_input_shape: [null, 2], kernel_regularizer: { class_name: 'L2', config: { l2: 0.01 } } }),
    ]);

    const e = caught(() => parseSpec(kerasSpec(2, topology)));

    expect(e.code).toBe('COHORT_E_SPEC_UNSUPPORTED_LAYER');
    expect(e.message).toMatch(/^spec.model.topology layer 0 \(Dense "d1_sigmoid"\): "kernel_regularizer" is not supported/);
  });

  it('refuses an input narrower than the design matrix', () => {
    const topology = sequentialTopology([dense(1, 'sigmoid', { batch_input_shape: [null, 12] })]);

    const e = caught(() => parseSpec(kerasSpec(13, topology)));

    expect(e.code).toBe('COHORT_E_SPEC_KERAS_SHAPE');
    expect(e.message).toBe("spec.model.topology: the input width is 12 but the spec's design matrix has 13 columns");
    expect(e.details).toEqual({ inputWidth: 12, designWidth: 13 });
  });

  it('refuses a topology without an input shape', () => {
    const e = caught(() => parseSpec(kerasSpec(2, sequentialTopology([dense(1, 'sigmoid')]))));

    expect(e.code).toBe('COHORT_E_SPEC_KERAS_SHAPE');
    expect(e.message).toBe('spec.model.topology: the first layer ("d1_sigmoid") declares no input shape; set its batch_input_shape to [null, 2]');
  });

  it('refuses a softmax output of two units', () => {
    const topology = sequentialTopology([dense(2, 'softmax', { batch_input_shape: [null, 2] })]);

    const e = caught(() => parseSpec(kerasSpec(2, topology)));

    expect(e.code).toBe('COHORT_E_SPEC_KERAS_SHAPE');
    expect(e.details).toEqual({ outputWidth: 2 });
  });

  it('refuses a linear single-unit output', () => {
    const topology = sequentialTopology([dense(1, 'linear', { batch_input_shape: [null, 2] })]);

    expect(caught(() => parseSpec(kerasSpec(2, topology))).code).toBe('COHORT_E_SPEC_KERAS_SHAPE');
  });

  it('accepts Dense(1) followed by Activation("sigmoid") and a trailing Dropout', () => {
    const topology = sequentialTopology([
      dense(1, 'linear', { batch_input_shape: [null, 2] }),
      ['Activation', { name: 'act', activation: 'sigmoid' }],
      ['Dropout', { name: 'drop', rate: 0.1 }],
    ]);

    expect(parseSpec(kerasSpec(2, topology)).model.family).toBe('keras');
  });

  it('refuses a functional model with a branch', () => {
    const config = converterModel() as { modelTopology: { model_config: { config: { layers: Array<Record<string, unknown>> } } } };
    // The output layer now reads from "dense" as well as from "dropout": a merge.
    config.modelTopology.model_config.config.layers[6]!.inbound_nodes = [[['dropout', 0, 0, {}], ['dense', 0, 0, {}]]];

    const e = caught(() => readKerasChain(config, 13));

    expect(e.code).toBe('COHORT_E_SPEC_KERAS_SHAPE');
    expect(e.message).toBe('spec.model.topology: only a single chain of layers (one input, one output, no branches or merges) is supported');
  });

  it('refuses something that is not a Keras model JSON', () => {
    const e = caught(() => parseSpec(kerasSpec(2, { layers: [] })));

    expect(e.code).toBe('COHORT_E_SPEC_KERAS_SHAPE');
  });

  it('refuses an unknown activation as an unsupported layer option', () => {
    const topology = sequentialTopology([dense(1, 'sigmoid', { batch_input_shape: [null, 2] })]);
    ((topology.config as { layers: Array<{ config: Record<string, unknown> }> }).layers[0]!.config).activation = 'leaky';

    const e = caught(() => parseSpec(kerasSpec(2, topology)));

    expect(e.code).toBe('COHORT_E_SPEC_UNSUPPORTED_LAYER');
    expect(e.details).toEqual({ layerClass: 'Dense', layerIndex: 0 });
  });
});
