/**
 * Chooses and activates the TensorFlow.js backend at start-up. The native packages
 * (@tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node) are optional dependencies that may
 * be absent, so they are loaded with dynamic `import()` and their absence is a normal
 * outcome of `auto`, or a coded error when the operator forced them.
 */
import * as tf from '@tensorflow/tfjs';
import { CohortError, TrainingErrors } from '../../core/errors/index.ts';
import type { ModelFamily } from '../../models/spec-schema.ts';
import { registerWasmConv2DBackpropFilter } from './wasm-conv2d-backprop-filter.ts';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;

export interface BackendChoice {
  readonly backend: BackendName;
  /** One line for the start-up log: why this backend. */
  readonly reason: string;
}

export interface BackendOptions {
  /** Loads a package; defaults to `import()`. Tests pass a stub to simulate what is installed. */
  readonly importModule?: (specifier: string) => Promise<unknown>;
}

interface BackendDef {
  /** The package that provides it, or null for the plain-JS backend bundled with @tensorflow/tfjs. */
  readonly pkg: string | null;
  /** The name TensorFlow.js registers it under (both native packages register "tensorflow"). */
  readonly tfjsName: string;
  /** The install command, and what else the machine needs. */
  readonly install: string;
  readonly needs?: string;
}

const BACKENDS: Readonly<Record<BackendName, BackendDef>> = {
  'tensorflow-gpu': {
    pkg: '@tensorflow/tfjs-node-gpu',
    tfjsName: 'tensorflow',
    install: 'npm install @tensorflow/tfjs-node-gpu@4.22.0',
    needs: 'Linux x86-64 with an NVIDIA driver, CUDA 11.2 and cuDNN 8',
  },
  tensorflow: { pkg: '@tensorflow/tfjs-node', tfjsName: 'tensorflow', install: 'npm install @tensorflow/tfjs-node@4.22.0' },
  wasm: { pkg: '@tensorflow/tfjs-backend-wasm', tfjsName: 'wasm', install: 'npm install @tensorflow/tfjs-backend-wasm@4.22.0' },
  cpu: { pkg: null, tfjsName: 'cpu', install: 'npm install @tensorflow/tfjs@4.22.0' },
};

type Loaded = { readonly ok: true } | { readonly ok: false; readonly why: string; readonly cause?: unknown };

function isModuleNotFound(e: unknown, pkg: string): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((e as Error).message).includes(pkg);
}

async function activate(name: BackendName, importModule: (s: string) => Promise<unknown>): Promise<Loaded> {
  const def = BACKENDS[name];
  if (def.pkg !== null) {
    try {
      await importModule(def.pkg);
    } catch (cause) {
      const why = isModuleNotFound(cause, def.pkg)
        ? `${def.pkg} is not installed`
        : `${def.pkg} failed to load (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)})`;
      return { ok: false, why, cause };
    }
  }
  try {
    if (await tf.setBackend(def.tfjsName)) {
      await tf.ready();
      // tfjs 4.22's wasm backend has no Conv2DBackpropFilter: conv training needs ours.
      if (name === 'wasm') registerWasmConv2DBackpropFilter();
      return { ok: true };
    }
    return { ok: false, why: `${def.pkg ?? '@tensorflow/tfjs'} loaded but its "${def.tfjsName}" backend did not initialise` };
  } catch (cause) {
    return { ok: false, why: `the "${def.tfjsName}" backend failed to initialise (${(cause as Error).message})`, cause };
  }
}

/**
 * Which backend `auto` prefers for a model family once no native TensorFlow is
 * available: WebAssembly for MLP and Keras models (their larger matmuls gain from it),
 * plain JS for logistic regression and cox-ph (one linear score: their tiny matmuls lose
 * more to WebAssembly call overhead than they gain). See docs/model-spec.md, "Training backends".
 */
export function portableBackendFor(family: ModelFamily['family']): 'wasm' | 'cpu' {
  return family === 'logistic-regression' || family === 'cox-ph' ? 'cpu' : 'wasm';
}

/**
 * Activates a TensorFlow.js backend. `auto` tries tfjs-node-gpu (CUDA), then tfjs-node,
 * then the portable backend for the model family (wasm or cpu, falling back to cpu).
 * A forced backend that cannot load throws COHORT_E_TRAINING_BACKEND_UNAVAILABLE naming
 * the package to install.
 */
export async function selectBackend(
  requested: BackendRequest,
  modelFamily: ModelFamily['family'],
  options: BackendOptions = {},
): Promise<BackendChoice> {
  const importModule = options.importModule ?? ((s: string) => import(s));
  // Cohort logs its own choice; TensorFlow.js's console banner would tell hospital IT to install an optional package.
  tf.env().set('PROD', true);
  if (requested !== 'auto') {
    const loaded = await activate(requested, importModule);
    if (!loaded.ok) {
      const def = BACKENDS[requested];
      throw new CohortError(
        TrainingErrors.BACKEND_UNAVAILABLE,
        `training backend "${requested}" is unavailable: ${loaded.why}; install it with \`${def.install}\`${def.needs === undefined ? '' : ` (needs ${def.needs})`}, or start with --backend auto`,
        { details: { backend: requested, package: def.pkg ?? '@tensorflow/tfjs' }, cause: loaded.cause },
      );
    }
    return { backend: requested, reason: `forced with --backend ${requested}` };
  }
  const skipped: string[] = [];
  for (const name of ['tensorflow-gpu', 'tensorflow'] as const) {
    const loaded = await activate(name, importModule);
    if (loaded.ok) {
      const why = name === 'tensorflow-gpu' ? 'native TensorFlow with CUDA is installed' : 'native TensorFlow (CPU) is installed';
      return { backend: name, reason: [...skipped, why].join('; ') };
    }
    skipped.push(loaded.why);
  }
  const portable = portableBackendFor(modelFamily);
  if (portable === 'wasm') {
    const loaded = await activate('wasm', importModule);
    if (loaded.ok) return { backend: 'wasm', reason: [...skipped, `WebAssembly is fastest for ${modelFamily} models without native TensorFlow`].join('; ') };
    skipped.push(loaded.why);
  } else {
    skipped.push('plain JS is fastest for logistic regression without native TensorFlow');
  }
  const cpu = await activate('cpu', importModule);
  if (!cpu.ok) throw new CohortError(TrainingErrors.BACKEND_UNAVAILABLE, `no training backend could be started: ${[...skipped, cpu.why].join('; ')}`);
  return { backend: 'cpu', reason: skipped.join('; ') };
}
