/**
 * The heart-disease feature list shared by the real UCI loader, the synthetic hospitals and
 * models/examples/heart-logistic.yaml. The order is chosen so that designColumns() gives
 * FLamby Fed-Heart-Disease's 13 columns in its order: age, sex, cp=2, cp=3, cp=4,
 * trestbps, chol, fbs, restecg=1, restecg=2, thalach, exang, oldpeak.
 */
import type { FeatureSpec } from '../../models/spec-schema.ts';

export const HEART_FEATURES: readonly FeatureSpec[] = [
  { name: 'age', type: 'numeric', preprocess: 'standardize' },
  { name: 'sex', type: 'numeric', preprocess: 'none' },
  { name: 'cp', type: 'categorical', categories: [1, 2, 3, 4], preprocess: 'one-hot', dropFirst: true },
  { name: 'trestbps', type: 'numeric', preprocess: 'standardize' },
  { name: 'chol', type: 'numeric', preprocess: 'standardize' },
  { name: 'fbs', type: 'numeric', preprocess: 'none' },
  { name: 'restecg', type: 'categorical', categories: [0, 1, 2], preprocess: 'one-hot', dropFirst: true },
  { name: 'thalach', type: 'numeric', preprocess: 'standardize' },
  { name: 'exang', type: 'numeric', preprocess: 'none' },
  { name: 'oldpeak', type: 'numeric', preprocess: 'standardize' },
];

/** The 13 design columns HEART_FEATURES produce, in order. */
export const HEART_COLUMNS: readonly string[] = [
  'age', 'sex', 'cp=2', 'cp=3', 'cp=4', 'trestbps', 'chol', 'fbs', 'restecg=1', 'restecg=2', 'thalach', 'exang', 'oldpeak',
];
