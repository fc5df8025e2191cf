import { chooseBfvParameters, generateKeyPair, BfvUpdateEncoder, BfvChunkAdder } from './core/secure-agg/index.ts';
const choice = await chooseBfvParameters({ length: 10001, maxSummands: 100, maxAbsValue: 1, maxWeight: 1e6, precisionBits: 12 });
console.log(choice);
const key = await generateKeyPair(choice);
const enc = await BfvUpdateEncoder.create(key.descriptor, key.secretKey);
const adder = await BfvChunkAdder.create(key.descriptor);
const K = 10; const expect = new Float64Array(10001);
let accs: (Uint8Array|undefined)[] = new Array(adder.chunkCount).fill(undefined);
let bytes = 0;
for (let k = 0; k < K; k++) {
  const w = 1000 + k; const v = new Float64Array(10001);
  for (let i = 0; i < 10000; i++) { v[i] = w * (Math.random() * 2 - 1); expect[i] += v[i]; }
  v[10000] = w; expect[10000] += w;
  const t0 = performance.now();
  const chunks = [...enc.encode(v)];
  const t1 = performance.now();
  chunks.forEach((c, i) => { bytes += c.length; accs[i] = adder.add(accs[i], c, i); });
  console.log('enc ms', (t1-t0).toFixed(1), 'add ms', (performance.now()-t1).toFixed(1));
}
const r = enc.decodeAggregate(accs as Uint8Array[]);
let maxErr = 0; for (let i = 0; i < 10000; i++) maxErr = Math.max(maxErr, Math.abs(r.sum[i] - expect[i]));
console.log({ summands: r.summands, budget: r.minNoiseBudgetBits, maxErr, step: 1/choice.scale, weight: r.sum[10000], expW: expect[10000], bytesPerSite: bytes / K, ratio: bytes / K / (4 * 10001) });
enc.dispose(); adder.dispose();
