import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { portableBackendFor, selectBackend } from '../../../site-agent/training/backend.ts';
import { caught } from './helpers.ts';

/** Simulates a machine without the native packages (as here): they fail like a missing module. */
const withoutNative = (specifier: string): Promise<unknown> => {
  if (specifier.startsWith('@tensorflow/tfjs-node')) {
    return Promise.reject(Object.assign(new Error(`Cannot find package '${specifier}' imported from backend.ts`), { code: 'ERR_MODULE_NOT_FOUND' }));
  }
  return import(specifier);
};

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('selectBackend', () => {
  it('picks plain JS for logistic regression when native TensorFlow is absent', async () => {
    const choice = await selectBackend('auto', 'logistic-regression', { importModule: withoutNative });

    expect(choice.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(choice.reason).toBe(
      '@tensorflow/tfjs-node-gpu is not installed; @tensorflow/tfjs-node is not installed; plain JS is fastest for logistic regression without native TensorFlow',
    );
  });

  it.each(['mlp', 'keras'] as const)('picks WebAssembly for %s models when native TensorFlow is absent', async (family) => {
    const choice = await selectBackend('auto', family, { importModule: withoutNative });

    expect(choice.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('falls back to plain JS when WebAssembly cannot load either', async () => {
    const nothing = (s: string): Promise<unknown> =>
      Promise.reject(Object.assign(new Error(`Cannot find package '${s}'`), { code: 'ERR_MODULE_NOT_FOUND' }));

    const choice = await selectBackend('auto', 'mlp', { importModule: nothing });

    expect(choice.backend).toBe('cpu');
    expect(choice.reason).toContain('@tensorflow/tfjs-backend-wasm is not installed');
  });

  it('refuses a forced native backend that is not installed, naming the package', async () => {
    const e = await caught(selectBackend('tensorflow', 'mlp', { importModule: withoutNative }));

    expect(e.code).toBe('COHORT_E_TRAINING_BACKEND_UNAVAILABLE');
    expect(e.grpc).toBe(9); // FAILED_PRECONDITION
    expect(e.details).toEqual({ backend: 'tensorflow', package: '@tensorflow/tfjs-node' });
    expect(e.message).toBe(
      'training backend "tensorflow" is unavailable: @tensorflow/tfjs-node is not installed; install it with `npm install @tensorflow/tfjs-node@4.22.0`, or start with --backend auto',
    );
  });

  it('says that an installed native package failed to load (e.g. CUDA libraries missing)', async () => {
    const brokenGpu = (s: string): Promise<unknown> => Promise.reject(new Error(`libcudnn.so.8: cannot open shared object file (${s})`));

    const e = await caught(selectBackend('tensorflow-gpu', 'mlp', { importModule: brokenGpu }));

    expect(e.code).toBe('COHORT_E_TRAINING_BACKEND_UNAVAILABLE');
    expect(e.message).toMatch(/^training backend "tensorflow-gpu" is unavailable: @tensorflow\/tfjs-node-gpu failed to load \(libcudnn\.so\.8/);
  });

  it.skipIf(installed('@tensorflow/tfjs-node'))('refuses --backend tensorflow with the real import on this machine', async () => {
    const e = await caught(selectBackend('tensorflow', 'logistic-regression'));

    expect(e.code).toBe('COHORT_E_TRAINING_BACKEND_UNAVAILABLE');
    expect(e.details.package).toBe('@tensorflow/tfjs-node');
    expect(e.message).toContain('@tensorflow/tfjs-node is not installed');
  });

  it('activates a forced portable backend', async () => {
    const choice = await selectBackend('wasm', 'logistic-regression');

    expect(choice).toEqual({ backend: 'wasm', reason: 'forced with --backend wasm' });
    expect(tf.getBackend()).toBe('wasm');
  });
});

describe('portableBackendFor', () => {
  it('prefers plain JS for logistic regression and WebAssembly otherwise', () => {
    expect(portableBackendFor('logistic-regression')).toBe('cpu');
    expect(portableBackendFor('mlp')).toBe('wasm');
    expect(portableBackendFor('keras')).toBe('wasm');
  });
});
