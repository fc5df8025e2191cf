import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { loadSpecFile } from './models/validate-spec.ts';
import { initialWeights, parameterCount } from './models/build-model.ts';
import { trainLocal, evaluate } from './site-agent/training/local-trainer.ts';
import { selectBackend } from './site-agent/training/backend.ts';
import { releaseModel } from './site-agent/training/model-cache.ts';

function load(h: string) {
  const lines = readFileSync(`../shared/data/heart-disease/processed.${h}.data`, 'utf8').trim().split('\n');
  const split = readFileSync('../shared/data/heart-disease/split.csv','utf8').trim().split('\n').slice(1).map(l=>l.split(',')).filter(r=>r[0]===h);
  const setOf = new Map(split.map(r=>[Number(r[1]), r[2]]));
  const rows: {x:number[], y:number, set:string}[] = [];
  lines.forEach((l, i) => { const v = l.split(','); const keep=[0,1,2,3,4,5,6,7,8,9,13]; if (keep.some(k=>v[k]==='?')) return; const n=v.map(Number);
    const x=[n[0],n[1], n[2]===2?1:0,n[2]===3?1:0,n[2]===4?1:0, n[3],n[4],n[5], n[6]===1?1:0,n[6]===2?1:0, n[7],n[8],n[9]];
    rows.push({x, y: n[13]>0?1:0, set: setOf.get(i+1)!}); });
  const tr = rows.filter(r=>r.set==='train'), te = rows.filter(r=>r.set==='test');
  const std=[0,5,6,10,12]; for (const c of std) { const m = tr.reduce((a,r)=>a+r.x[c],0)/tr.length; const s=Math.sqrt(tr.reduce((a,r)=>a+(r.x[c]-m)**2,0)/tr.length)||1; for (const r of rows) r.x[c]=(r.x[c]-m)/s; }
  const mk = (rs: typeof rows) => ({ x: Float32Array.from(rs.flatMap(r=>r.x)), y: Float32Array.from(rs.map(r=>r.y)), rows: rs.length, cols: 13 });
  return { train: mk(tr), test: mk(te) };
}
const hs = ['cleveland','hungarian','switzerland','va'].map(load);
for (const file of ['heart-logistic.yaml','heart-mlp.yaml','keras-mlp.json']) {
  const spec = loadSpecFile(`models/examples/${file}`);
  for (const be of ['cpu','wasm'] as const) {
    await selectBackend(be, spec.model.family);
    await releaseModel();
    let w = initialWeights(spec);
    const t0 = performance.now(); let steps = 0;
    const n0 = tf.memory().numTensors;
    for (let round = 0; round < 20; round++) {
      const outs = [];
      for (let s = 0; s < 4; s++) { const r = await trainLocal({ spec, weights: w, data: hs[s].train, fit: { round, proximalMu: 0 }, seed: round*10+s }); outs.push(r); steps += r.steps; }
      const tot = outs.reduce((a,o)=>a+o.numExamples,0); const nw = new Float32Array(w.length);
      for (const o of outs) for (let i=0;i<w.length;i++) nw[i]+=o.weights[i]*o.numExamples/tot; w = nw;
    }
    const dt = performance.now()-t0;
    const evs = []; for (const h of hs) evs.push(await evaluate(spec, w, h.test));
    console.log(file, be, parameterCount(spec), `${dt.toFixed(0)}ms ${steps} steps ${(dt/steps*1000).toFixed(0)}us/step`, evs.map(e=>`${e.accuracy.toFixed(3)}/${e.auc.toFixed(3)}`).join(' '), 'tensors', n0, tf.memory().numTensors);
  }
}
