/**
 * The cnn model family without TensorFlow.js: its one image input, the shape after each
 * conv and pooling layer (TensorFlow's "same" / "valid" arithmetic), the weights each layer
 * holds, and the per-image intensity normalisation. Pure, so the coordinator can refuse a
 * spec whose layers shrink the image to nothing before any site builds a model.
 *
 * The image travels as one design-matrix row of height * width * channels values,
 * row-major with channels last; the model's first layer reshapes it to [h, w, c].
 */
import { CohortError, SpecErrors } from '../core/errors/index.ts';
import type { CnnSpec, FeatureSpec, ImageFeatureSpec, ModelSpec } from './spec-schema.ts';

/** [height, width, channels]. */
export type ImageShape = readonly [number, number, number];

/** One conv or pooling layer of the chain with its input and output shapes. */
export interface CnnStage {
  readonly name: string;
  readonly layer: CnnSpec['layers'][number];
  readonly input: ImageShape;
  readonly output: ImageShape;
}

export interface CnnPlan {
  readonly image: ImageFeatureSpec;
  readonly stages: readonly CnnStage[];
  /** Width of the flattened output of the last conv / pooling layer. */
  readonly flatWidth: number;
}

/**
 * The most a conv window may hold, kernelSize^2 x input channels (3x3 over 256 channels).
 * Per-example clipping builds im2col patches by a conv with an identity filter of depth^2
 * floats (site-agent/training/ghost-clipping.ts, wasm-conv2d-backprop-filter.ts) and that
 * conv costs depth^2 multiplications per output position: at 2304 the filter is 21 MB, where
 * the schema's bounds alone (7x7 over 256 channels, depth 12544) would allow 630 MB.
 */
export const MAX_CONV_WINDOW_DEPTH = 2304;

/** Design columns of an image feature. */
export const imageSize = (f: ImageFeatureSpec): number => f.height * f.width * f.channels;

/** Output length along one axis: TensorFlow's "same" is ceil(n / s), "valid" floor((n - k) / s) + 1. */
export function outputLength(n: number, kernel: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(n / stride) : Math.floor((n - kernel) / stride) + 1;
}

/**
 * Checks the features of a spec against its model family: the cnn family needs exactly one
 * image feature and nothing else; an image feature needs the cnn family. Returns the image
 * for a cnn spec. Throws COHORT_E_SPEC_CNN_SHAPE otherwise.
 */
export function imageFeatureOf(spec: Pick<ModelSpec, 'features' | 'model'>): ImageFeatureSpec | undefined {
  const images = spec.features.filter((f): f is Extract<FeatureSpec, { type: 'image' }> => f.type === 'image');
  if (spec.model.family !== 'cnn') {
    if (images.length > 0) {
      throw new CohortError(SpecErrors.CNN_SHAPE, `spec.features: image feature "${images[0]!.name}" needs spec.model.family "cnn"`);
    }
    return undefined;
  }
  if (images.length !== 1 || spec.features.length !== 1) {
    throw new CohortError(SpecErrors.CNN_SHAPE, 'spec.features: the cnn family reads exactly one feature, of type "image"', {
      details: { features: spec.features.length, images: images.length },
    });
  }
  return images[0]!;
}

/**
 * The shapes through the conv and pooling layers. Throws COHORT_E_SPEC_CNN_SHAPE naming
 * the first layer whose window does not fit its input.
 */
export function cnnPlan(spec: Pick<ModelSpec, 'features' | 'model'>): CnnPlan {
  const image = imageFeatureOf(spec);
  if (image === undefined || spec.model.family !== 'cnn') throw new TypeError('cnnPlan needs a cnn spec');
  let shape: ImageShape = [image.height, image.width, image.channels];
  const stages: CnnStage[] = [];
  let convs = 0;
  let pools = 0;
  spec.model.layers.forEach((layer, index) => {
    const conv = layer.type === 'conv2d';
    const kernel = conv ? layer.kernelSize : layer.poolSize;
    const stride = conv ? layer.strides : (layer.strides ?? layer.poolSize);
    const padding = conv ? layer.padding : 'valid';
    // A stride past the window skips pixels, and tfjs 4.22's wasm Conv2D returns zeros for some of those
    // shapes with "same" padding (e.g. 2x2, stride 3, on 9 rows), so neither is allowed.
    if (stride > kernel) {
      throw new CohortError(SpecErrors.CNN_SHAPE, `spec.model.layers[${index}]: strides ${stride} exceed the ${kernel}x${kernel} window; expected at most ${kernel}`, {
        details: { layerIndex: index },
      });
    }
    if (conv && kernel * kernel * shape[2] > MAX_CONV_WINDOW_DEPTH) {
      throw new CohortError(
        SpecErrors.CNN_SHAPE,
        `spec.model.layers[${index}]: a ${kernel}x${kernel} conv2d window over ${shape[2]} channels has depth ${kernel * kernel * shape[2]}; expected at most ${MAX_CONV_WINDOW_DEPTH} (kernelSize^2 x input channels)`,
        { details: { layerIndex: index, depth: kernel * kernel * shape[2], limit: MAX_CONV_WINDOW_DEPTH } },
      );
    }
    const h = outputLength(shape[0], kernel, stride, padding);
    const w = outputLength(shape[1], kernel, stride, padding);
    if (h < 1 || w < 1) {
      throw new CohortError(
        SpecErrors.CNN_SHAPE,
        `spec.model.layers[${index}]: a ${kernel}x${kernel} ${layer.type} window does not fit its ${shape[0]}x${shape[1]} input`,
        { details: { layerIndex: index, input: [...shape] } },
      );
    }
    const output: ImageShape = [h, w, conv ? layer.filters : shape[2]];
    stages.push({ name: conv ? `conv_${++convs}` : `pool_${++pools}`, layer, input: shape, output });
    shape = output;
  });
  return { image, stages, flatWidth: shape[0] * shape[1] * shape[2] };
}

/**
 * Normalises each image (one row of `x`, `size` values) on its own, as the spec's image
 * feature asks: `per-image` to mean 0 and population std 1 (a constant image to all 0),
 * `range` divided by maxValue, `none` unchanged. Per record, so it needs no statistic of
 * other records and commutes with per-example clipping. Returns a new array.
 */
export function normalizeImages(x: Float32Array, image: ImageFeatureSpec): Float32Array {
  const out = new Float32Array(x);
  if (image.normalization === 'none') return out;
  if (image.normalization === 'range') {
    for (let i = 0; i < out.length; i++) out[i] = x[i]! / image.maxValue;
    return out;
  }
  const size = imageSize(image);
  for (let start = 0; start < x.length; start += size) {
    let sum = 0;
    for (let i = start; i < start + size; i++) sum += x[i]!;
    const mean = sum / size;
    let squares = 0;
    for (let i = start; i < start + size; i++) squares += (x[i]! - mean) ** 2;
    const std = Math.sqrt(squares / size);
    const scale = std > 1e-12 * Math.max(1, Math.abs(mean)) ? 1 / std : 0;
    for (let i = start; i < start + size; i++) out[i] = (x[i]! - mean) * scale;
  }
  return out;
}
