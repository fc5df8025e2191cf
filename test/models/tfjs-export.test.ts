/**
 * The layers-format export of every model family: tfjs-layers loads the files back (through an
 * IOHandler that reads them as a loader would) with the registry's flat vector bit for bit, and
 * predicts what the model built from the spec with those weights predicts. The Keras topology
 * has BatchNormalization, whose moving statistics sit at the end of the flat vector but inside
 * the layer in tfjs's own save order: a mix-up would show here.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, flattenWeights, setFlatWeights } from '../../models/build-model.ts';
import { inputDimOf } from '../../models/features.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { EXPORT_FILES, layersModelExport, writeLayersModel } from '../../models/tfjs-export.ts';
import { initialWeights } from '../../models/weight-layout.ts';
import { caught } from '../support/caught.ts';
import { converterModel, example } from './helpers.ts';

const dirs: string[] = [];
beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** An IOHandler over an export directory: model.json, then every path of its weights manifest, in order. */
function directoryHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(dir, EXPORT_FILES.model), 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights);
        const buffers = manifest.flatMap((g) => g.paths.map((p) => new Uint8Array(readFileSync(join(dir, p))).buffer));
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

const specs: [string, ModelSpec][] = [
  ['logistic regression', example('heart-logistic.yaml')],
  ['MLP', example('heart-mlp.yaml')],
  ['Keras functional topology with BatchNormalization', { ...example('heart-logistic.yaml'), model: { family: 'keras', topology: converterModel() } }],
];

describe('layersModelExport', () => {
  it.each(specs)('%s: loads back with the same weights and predictions', async (_label, spec) => {
    // Moving statistics of 1 + small values keep BatchNormalization's variance positive.
    const flat = initialWeights(spec).map((x, i) => x + 0.25 + ((i * 37) % 11) / 100);
    const dir = mkdtempSync(join(tmpdir(), 'cohort-tfjs-export-'));
    dirs.push(dir);
    writeLayersModel(dir, await layersModelExport(spec, flat), { schema: 'test' });
    expect(readdirSync(dir).sort()).toEqual([EXPORT_FILES.weights, EXPORT_FILES.card, EXPORT_FILES.model].sort());
    const json = JSON.parse(readFileSync(join(dir, EXPORT_FILES.model), 'utf8')) as { format: string; weightsManifest: { paths: string[] }[] };
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest.map((g) => g.paths)).toEqual([[EXPORT_FILES.weights]]);
    expect(readFileSync(join(dir, EXPORT_FILES.weights)).byteLength).toBe(flat.byteLength);

    const loaded = await tf.loadLayersModel(directoryHandler(dir));
    const reference = await buildModel(spec);
    try {
      setFlatWeights(reference, flat);
      expect([...flattenWeights(loaded)]).toEqual([...flat]);
      const x = tf.tensor2d(Array.from({ length: 8 }, (_, i) => Array.from({ length: inputDimOf(spec) }, (_, j) => Math.cos(i * 3 + j))));
      const [a, b] = [loaded.predict(x) as tf.Tensor, reference.predict(x) as tf.Tensor];
      expect([...a.dataSync()]).toEqual([...b.dataSync()]);
      expect(a.shape).toEqual([8, 1]);
      tf.dispose([x, a, b]);
    } finally {
      loaded.dispose();
      reference.dispose();
    }
  });

  it('refuses a vector of the wrong length, and a directory that already holds an export', async () => {
    const spec = example('heart-logistic.yaml');
    const short = await caught(layersModelExport(spec, new Float32Array(3)));
    expect(short.code).toBe('COHORT_E_TRAINING_WEIGHTS_SHAPE');
    const dir = mkdtempSync(join(tmpdir(), 'cohort-tfjs-export-'));
    dirs.push(dir);
    const exported = await layersModelExport(spec, initialWeights(spec));
    writeLayersModel(dir, exported, { n: 1 });
    const card = readFileSync(join(dir, EXPORT_FILES.card), 'utf8');
    expect(() => writeLayersModel(dir, exported, { n: 2 })).toThrow(/already holds group1-shard1of1.bin, model.json, model-card.json/);
    expect(readFileSync(join(dir, EXPORT_FILES.card), 'utf8')).toBe(card);
  });
});
