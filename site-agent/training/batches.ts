/**
 * The order in which local training visits the rows: a fresh seeded shuffle per epoch,
 * cut into consecutive batches (the last one of an epoch may be smaller). Pure, so the
 * same seed gives the same batches on every run and backend.
 */
import { mulberry32, shuffledIndices } from '../../models/seeded-random.ts';

/** How long local training runs: whole passes over the data, or a number of batches. */
export type TrainingLength = { readonly epochs: number } | { readonly steps: number };

/** Yields the row indices of each batch. */
export function* batchSchedule(rows: number, batchSize: number, length: TrainingLength, seed: number): Generator<Int32Array> {
  if (rows <= 0 || batchSize <= 0) return;
  const rng = mulberry32(seed);
  const batchesPerEpoch = Math.ceil(rows / batchSize);
  const total = 'epochs' in length ? length.epochs * batchesPerEpoch : length.steps;
  let order = shuffledIndices(rows, rng);
  for (let step = 0; step < total; step++) {
    const inEpoch = step % batchesPerEpoch;
    if (inEpoch === 0 && step > 0) order = shuffledIndices(rows, rng);
    yield order.subarray(inEpoch * batchSize, Math.min(rows, (inEpoch + 1) * batchSize));
  }
}

/** The training length a spec's `training` section asks for. */
export function trainingLength(training: { readonly epochs?: number | undefined; readonly steps?: number | undefined }): TrainingLength {
  return training.steps !== undefined ? { steps: training.steps } : { epochs: training.epochs ?? 1 };
}
