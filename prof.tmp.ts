import * as tf from '@tensorflow/tfjs';
import { loadSpecFile } from './models/validate-spec.ts';
import { initialWeights } from './models/build-model.ts';
import { trainLocal } from './site-agent/training/local-trainer.ts';
import { selectBackend } from './site-agent/training/backend.ts';
const spec = loadSpecFile(process.argv[2] ?? 'models/examples/heart-logistic.yaml');
await selectBackend((process.argv[3] ?? 'cpu') as 'cpu', spec.model.family);
const rows = 2000, cols = 13; const x = new Float32Array(rows*cols); const y = new Float32Array(rows);
for (let i=0;i<rows;i++){ let s=0; for (let j=0;j<cols;j++){ const v=Math.sin(i*7+j*3); x[i*cols+j]=v; s+=v*(j%3-1);} y[i]= s>0?1:0; }
const w = initialWeights(spec);
await trainLocal({ spec, weights: w, data: {x,y,rows,cols}, fit: {round:0, proximalMu:0}, seed: 1});
for (const bs of [4, 32, 256]) {
  const s2 = { ...spec, training: { ...spec.training, batchSize: bs, epochs: undefined, steps: 300 } };
  const t0 = performance.now();
  const r = await trainLocal({ spec: s2, weights: w, data: {x,y,rows,cols}, fit: {round:0, proximalMu:0}, seed: 1});
  console.log(process.argv[3], 'bs', bs, ((performance.now()-t0)/r.steps*1000).toFixed(0), 'us/step', r.meanLoss.toFixed(4));
}
