/**
 * Which models DP-SGD can train. The batched per-example clipping (ghost-clipping.ts)
 * needs every trainable layer to be Dense, and every layer to treat each example of a
 * batch on its own: BatchNormalization mixes the examples (each one's output depends
 * on the batch's mean), so an example's gradient is not its own and clipping it bounds
 * nothing. Pure and TensorFlow-free, so a site can refuse a run before building a model.
 */
import { CohortError, TrainingErrors } from '../../core/errors/index.ts';
import { inputDimOf } from '../../models/features.ts';
import { DP_SGD_LAYER_CLASSES, readKerasChain } from '../../models/keras-topology.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { assertRecordDpApplies } from '../../models/validate-spec.ts';

/** Layer classes DP-SGD supports (models/keras-topology.ts): Dense trains; the others act on each example separately and hold no weights. */
export const DP_LAYER_CLASSES = DP_SGD_LAYER_CLASSES;

/** Why a layer class is refused, for the message. */
function whyRefused(layerClass: string): string {
  return layerClass === 'BatchNormalization'
    ? 'it mixes the examples of a batch, so per-example gradients (and their clipping) are not defined'
    : `DP-SGD's batched per-example clipping supports only ${DP_LAYER_CLASSES.join(', ')} layers`;
}

/** The coded error for a layer DP-SGD cannot train; `where` names it as the user sees it. */
export function unsupportedDpLayer(where: string, layerClass: string, details: Record<string, unknown>): CohortError {
  return new CohortError(
    TrainingErrors.DP_UNSUPPORTED_LAYER,
    `DP-SGD cannot train ${where}: ${whyRefused(layerClass)}; train this model without record-level DP or remove the layer`,
    { details: { layerClass, ...details } },
  );
}

/**
 * Throws COHORT_E_TRAINING_DP_UNSUPPORTED_LAYER, naming the first offending layer, unless
 * DP-SGD can train the spec's model: logistic regression and MLP always can; a Keras
 * topology when all its layers are Dense, Dropout, Activation, Flatten or InputLayer; cox-ph
 * never (COHORT_E_SPEC_DP_UNSUPPORTED_MODEL: its loss couples the examples of a risk set).
 * A topology the spec rules refuse throws their COHORT_E_SPEC_* error.
 */
export function assertDpCompatible(spec: Pick<ModelSpec, 'features' | 'model'>): void {
  // Checked again here for specs that did not come through parseSpec: DP-SGD on a Cox partial likelihood clips nothing of one patient's.
  assertRecordDpApplies(spec);
  if (spec.model.family !== 'keras') return;
  const chain = readKerasChain(spec.model.topology, inputDimOf(spec));
  const bad = chain.layers.find((layer) => !DP_LAYER_CLASSES.includes(layer.className));
  if (bad !== undefined) {
    throw unsupportedDpLayer(`spec.model.topology layer ${bad.index} (${bad.className} "${bad.name}")`, bad.className, {
      layerIndex: bad.index,
      layerName: bad.name,
    });
  }
}
