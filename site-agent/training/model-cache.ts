/**
 * Keeps the built model of the current spec between rounds (building a Keras topology
 * is not free, and tfjs-layers leaks layer names with every build), and lets one
 * caller at a time use it: training writes the model's weights, so two rounds, or a
 * round and an evaluation, must not interleave on it.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../../models/build-model.ts';
import { inputDimOf } from '../../models/features.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';

type ModelSource = Pick<ModelSpec, 'features' | 'model'>;

let cached: { readonly key: string; readonly model: tf.LayersModel } | undefined;
let queue: Promise<unknown> = Promise.resolve();

function keyOf(spec: ModelSource): string {
  // The backend is part of the key: variables made under another backend would be copied on every use.
  // A cnn's image shape (not only its width) shapes the model.
  return JSON.stringify([tf.getBackend(), spec.model.family === 'cnn' ? spec.features : inputDimOf(spec), spec.model]);
}

async function modelFor(spec: ModelSource): Promise<tf.LayersModel> {
  const key = keyOf(spec);
  if (cached?.key === key) return cached.model;
  dropCached();
  const model = await buildModel(spec);
  cached = { key, model };
  return model;
}

/** Runs `use` with the spec's model, after every earlier caller has finished with it. */
export function withModel<T>(spec: ModelSource, use: (model: tf.LayersModel) => Promise<T> | T): Promise<T> {
  const run = queue.then(async () => use(await modelFor(spec)));
  queue = run.catch(() => undefined);
  return run;
}

function dropCached(): void {
  cached?.model.dispose();
  cached = undefined;
}

/** Disposes the cached model and its variables once its current users are done (end of a run, tests). */
export function releaseModel(): Promise<void> {
  const run = queue.then(dropCached);
  queue = run.catch(() => undefined);
  return run;
}
