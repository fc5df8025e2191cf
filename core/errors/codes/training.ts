import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the training area: the site's local trainer and its TensorFlow.js backend. */
export const TrainingErrors = defineErrors({
  BACKEND_UNAVAILABLE: {
    code: 'COHORT_E_TRAINING_BACKEND_UNAVAILABLE',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The training backend forced with --backend cannot be loaded on this machine; the message names the package.',
    fix: 'Install the named package (`npm install @tensorflow/tfjs-node` or `@tensorflow/tfjs-node-gpu` with CUDA), or start with --backend auto.',
  },
  WEIGHTS_SHAPE: {
    code: 'COHORT_E_TRAINING_WEIGHTS_SHAPE',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A flat weight vector does not have the number of parameters the spec\'s model has.',
    fix: 'The weights were made for another spec or model version; fetch the run\'s current global weights.',
  },
  DATA_SHAPE: {
    code: 'COHORT_E_TRAINING_DATA_SHAPE',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'The design matrix handed to the trainer is empty, has another width than the spec, or holds non-finite values or labels other than 0 and 1.',
    fix: 'Rebuild the design matrix from the same spec; check the site\'s column mapping and missing-value handling.',
  },
  NON_FINITE: {
    code: 'COHORT_E_TRAINING_NON_FINITE',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'Local training produced a non-finite loss or weights (it diverged), or started from non-finite global weights.',
    fix: 'Lower training.learningRate in the spec (or standardize numeric features); the round\'s update was not sent.',
  },
  DP_UNSUPPORTED_LAYER: {
    code: 'COHORT_E_TRAINING_DP_UNSUPPORTED_LAYER',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'DP-SGD was asked for a model with a layer its batched per-example clipping cannot handle (BatchNormalization mixes the examples of a batch; only Dense, Dropout, Activation, Flatten and InputLayer are supported); the message names the layer.',
    fix: 'Train this model without record-level DP, or replace the named layer (drop BatchNormalization, or use a logistic-regression or mlp spec).',
  },
  DP_CONFIG: {
    code: 'COHORT_E_TRAINING_DP_CONFIG',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A DP-SGD setting handed to the trainer is out of range (noise multiplier below 0, clip norm not above 0, sampling rate outside (0, 1], or a step cap that is not a whole number of steps); the message names the setting.',
    fix: 'Fix the named setting in the site policy or the spec\'s privacy section.',
  },
});
