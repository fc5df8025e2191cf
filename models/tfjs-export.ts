/**
 * A registry version in TensorFlow.js's layers format: `model.json` (the topology and its
 * weights manifest) and one binary weights file, as `tf.loadLayersModel` reads them from a
 * URL, a file:// path (tfjs-node) or any IOHandler. The topology and the manifest are what
 * tfjs-layers itself writes for the spec's model (`model.save`), so a loader needs nothing
 * from Cohort; the weights are the registry's flat vector put into that model.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CohortError, GeneralErrors } from '../core/errors/index.ts';
import { COHORT_VERSION } from '../core/version.ts';
import { buildModel, setFlatWeights } from './build-model.ts';
import type { ModelSpec } from './spec-schema.ts';

/** The file names an export writes into its directory. */
export const EXPORT_FILES = { model: 'model.json', weights: 'group1-shard1of1.bin', card: 'model-card.json' } as const;

export interface LayersModelExport {
  /** The parsed content of model.json. */
  readonly modelJson: tf.io.ModelJSON;
  /** The one weights file its manifest names. */
  readonly weights: Buffer;
}

/** model.json and the weights file for the spec's model holding `flat` (the registry's weight vector). */
export async function layersModelExport(spec: Pick<ModelSpec, 'features' | 'model'>, flat: Float32Array, metadata: Record<string, unknown> = {}): Promise<LayersModelExport> {
  const model = await buildModel(spec);
  try {
    setFlatWeights(model, flat);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    if (!artifacts?.modelTopology || !artifacts.weightSpecs || artifacts.weightData === undefined) throw new Error('TensorFlow.js saved no topology or weights');
    const data = Buffer.from(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
    if (data.byteLength !== flat.byteLength) throw new Error(`TensorFlow.js saved ${data.byteLength} bytes of weights for ${flat.byteLength} bytes of registry weights`);
    return {
      modelJson: {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: `Cohort ${COHORT_VERSION} (TensorFlow.js ${tf.version.tfjs})`,
        convertedBy: null,
        weightsManifest: [{ paths: [EXPORT_FILES.weights], weights: artifacts.weightSpecs }],
        userDefinedMetadata: metadata,
      } as tf.io.ModelJSON,
      weights: data,
    };
  } finally {
    model.dispose();
  }
}

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/**
 * Writes model.json, the weights file and model-card.json (with the SHA-256 of the other
 * two) into `dir`, created if needed. Never overwrites: a directory that already holds one
 * of the files is refused with COHORT_E_GENERAL_USAGE and left as it was.
 */
export function writeLayersModel(dir: string, exported: LayersModelExport, card: Record<string, unknown>): { files: Record<string, string> } {
  mkdirSync(dir, { recursive: true });
  const modelText = `${JSON.stringify(exported.modelJson, null, 2)}\n`;
  const files = { [EXPORT_FILES.model]: sha256(modelText), [EXPORT_FILES.weights]: sha256(exported.weights) };
  const cardText = `${JSON.stringify({ ...card, files }, null, 2)}\n`;
  const contents: [string, string | Buffer][] = [
    [EXPORT_FILES.weights, exported.weights],
    [EXPORT_FILES.model, modelText],
    [EXPORT_FILES.card, cardText],
  ];
  const present = contents.map(([name]) => name).filter((name) => existsSync(join(dir, name)));
  if (present.length > 0) {
    throw new CohortError(GeneralErrors.USAGE, `${dir} already holds ${present.join(', ')}; choose an empty --out directory (an export never overwrites)`, { details: { dir, present } });
  }
  // 'wx': a file that appeared meanwhile is an error, never overwritten.
  for (const [name, content] of contents) writeFileSync(join(dir, name), content, { flag: 'wx' });
  return { files: { ...files, [EXPORT_FILES.card]: sha256(cardText) } };
}
