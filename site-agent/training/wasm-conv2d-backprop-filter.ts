/**
 * The `Conv2DBackpropFilter` kernel that TensorFlow.js 4.22's WebAssembly backend lacks
 * (without it, any gradient of a conv2d with respect to its filter throws on wasm). Built
 * from kernels the wasm backend has, by im2col:
 *
 *   patches = Conv2D(x, I)   I the identity filter [kh, kw, cin, kh*kw*cin]: each output
 *                            position holds the input patch under the window, flattened in
 *                            the filter's [kh, kw, cin] order, with the conv's own strides
 *                            and padding (so "same" pads exactly as the forward pass did);
 *   dW = reshape(patches [n*P, D]^T . dy [n*P, cout], [kh, kw, cin, cout])   (BatchMatMul).
 *
 * That is the definition dW[i,j,c,o] = sum over n, y, x of x[n, y*s+i-pad, x*s+j-pad, c] dy[n, y, x, o],
 * computed by the backend's own conv and matmul. Channels-last only (the wasm Conv2D's own
 * limit) and no dilation (tfjs-core's conv2d gradient refuses dilations with strides anyway).
 */
import * as tf from '@tensorflow/tfjs';

const KERNEL = 'Conv2DBackpropFilter';
const BACKEND = 'wasm';

/** The parts of the wasm backend used here (its class is not part of the package's typed API). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}

type Kernel = (args: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs: Record<string, unknown> }) => tf.TensorInfo;

function kernelOf(name: string): Kernel {
  const config = tf.getKernel(name, BACKEND);
  if (config === undefined) throw new Error(`the wasm backend has no ${name} kernel`);
  return config.kernelFunc as unknown as Kernel;
}

/** The identity filter: entry [i, j, c, (i*kw + j)*cin + c] is 1. */
function identityFilter(depth: number): Float32Array {
  const values = new Float32Array(depth * depth);
  for (let d = 0; d < depth; d++) values[d * depth + d] = 1;
  return values;
}

function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const backend = args.backend as WasmBackend;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (tf.backend_util.convertConv2DDataFormat(dataFormat) !== 'channelsLast') {
    throw new Error(`wasm Conv2DBackpropFilter supports dataFormat "NHWC" only, not "${dataFormat}"`);
  }
  const [kh, kw, cin, cout] = filterShape;
  const depth = kh * kw * cin;
  const conv2d = kernelOf('Conv2D');
  const reshape = kernelOf('Reshape');
  const batchMatMul = kernelOf('BatchMatMul');
  const made: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo): tf.TensorInfo => {
    made.push(t);
    return t;
  };
  try {
    const identity = keep(backend.makeOutput([kh, kw, cin, depth], 'float32', undefined, identityFilter(depth)));
    const patches = keep(
      conv2d({ inputs: { x, filter: identity }, backend, attrs: { strides, pad, dataFormat: 'NHWC', dilations: 1, dimRoundingMode } }),
    );
    const positions = patches.shape[0]! * patches.shape[1]! * patches.shape[2]!;
    if (dy.shape[0]! * dy.shape[1]! * dy.shape[2]! !== positions || dy.shape[3] !== cout) {
      throw new Error(`wasm Conv2DBackpropFilter: dy has shape [${dy.shape.join(', ')}] but the conv has ${positions} output positions of ${cout} filters`);
    }
    const a = keep(reshape({ inputs: { x: patches }, backend, attrs: { shape: [1, positions, depth] } }));
    const b = keep(reshape({ inputs: { x: dy }, backend, attrs: { shape: [1, positions, cout] } }));
    const product = keep(batchMatMul({ inputs: { a, b }, backend, attrs: { transposeA: true, transposeB: false } }));
    // Reshape shares the product's data (one more reference), so disposing the product below keeps it.
    return reshape({ inputs: { x: product }, backend, attrs: { shape: [kh, kw, cin, cout] } });
  } finally {
    for (const t of made) backend.disposeData(t.dataId);
  }
}

/** Registers the kernel for the wasm backend; a no-op when one is registered already. */
export function registerWasmConv2DBackpropFilter(): void {
  if (tf.getKernel(KERNEL, BACKEND) !== undefined) return;
  tf.registerKernel({ kernelName: KERNEL, backendName: BACKEND, kernelFunc: conv2DBackpropFilter as tf.KernelFunc });
}
