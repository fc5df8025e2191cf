import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the spec area: a model spec that cannot be read, parsed or built. */
export const SpecErrors = defineErrors({
  INVALID: {
    code: 'COHORT_E_SPEC_INVALID',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'The model spec does not match the schema; the message lists every problem as `spec.<path>: <what was expected>`.',
    fix: 'Correct each listed field (see docs/model-spec.md for every field and its allowed values) and submit again.',
  },
  SYNTAX: {
    code: 'COHORT_E_SPEC_SYNTAX',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'The spec file is not valid YAML or JSON; the message names the file, line and column.',
    fix: 'Fix the syntax at the named line (a YAML linter or `node -e "JSON.parse(...)"` shows the same position).',
  },
  UNSUPPORTED_LAYER: {
    code: 'COHORT_E_SPEC_UNSUPPORTED_LAYER',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A Keras topology uses a layer class, activation or layer option that Cohort cannot train; the message names the layer class and its index.',
    fix: 'Use only InputLayer, Dense, Dropout, Activation, BatchNormalization and LayerNormalization, without regularizers or constraints, or use the `mlp` family.',
  },
  DP_UNSUPPORTED_MODEL: {
    code: 'COHORT_E_SPEC_DP_UNSUPPORTED_MODEL',
    grpc: status.INVALID_ARGUMENT,
    meaning:
      "Record-level DP (spec.privacy.record, DP-SGD) was asked for a cox-ph model: the Cox partial likelihood couples the patients of a risk set (each patient's term sums over everyone still at risk), so one patient's record changes the gradient of others and per-example clipping bounds nothing.",
    fix: 'Remove spec.privacy.record; protect the run with site-level DP (spec.privacy.site), which clips and noises each site\'s whole update and applies to cox-ph.',
  },
  KERAS_SHAPE: {
    code: 'COHORT_E_SPEC_KERAS_SHAPE',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A Keras topology is not a single chain from an input as wide as the design matrix to one sigmoid output unit.',
    fix: 'Set the first layer\'s input shape to [null, <design-matrix width>] (one column per numeric feature, one per kept category level) and end with Dense(1, activation="sigmoid").',
  },
  CNN_SHAPE: {
    code: 'COHORT_E_SPEC_CNN_SHAPE',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A cnn spec does not fit its image: the family needs exactly one feature of type "image" (and an image feature needs the cnn family), every conv or pooling window must fit the shape that reaches it, no stride may exceed its window, and a conv window may hold at most 2304 values (kernelSize^2 x input channels: per-example clipping builds its patches with an identity filter of that depth squared).',
    fix: 'Give a cnn spec one image feature and nothing else; use "same" padding, smaller kernels or fewer pooling layers so that the image stays at least 1x1; fewer filters before a large kernel.',
  },
  MASKED_MIN_SITES: {
    code: 'COHORT_E_SPEC_MASKED_MIN_SITES',
    grpc: status.INVALID_ARGUMENT,
    meaning:
      'An encrypted (BFV) run masks its updates unless the spec says `masking: false`, and a masked run needs `minSites` of at least 3: with two sites each reads the other\'s update as the sum minus its own. Whether a run masks is decided from the spec alone, never from the cohort size the coordinator reports, so a spec that masks with `minSites` below 3 is refused at submission (COHORT_E_SPEC_MASKED_MIN_SITES) and declined by every site.',
    fix: 'Set `minSites: 3` or more, or opt the run out of masking with `masking: false` (a two-site run gains nothing from masking).',
  },
});
