import { createHash } from 'node:crypto';
import { mulberry32, deriveSeed } from './models/seeded-random.ts';
import { initialWeights } from './models/build-model.ts';
import { loadSpecFile } from './models/validate-spec.ts';
const r = mulberry32(42); console.log([r(), r(), r()]);
const r0 = mulberry32(0); console.log([r0(), r0()]);
const r1 = mulberry32(1); console.log([r1(), r1()], Math.floor(mulberry32(1)()*2**32));
console.log(deriveSeed(42, 1), deriveSeed(42, 2), deriveSeed(42, 1, 0));
for (const f of ['heart-logistic.yaml','heart-mlp.yaml','keras-mlp.json']) { const w = initialWeights(loadSpecFile('models/examples/'+f)); console.log(f, createHash('sha256').update(new Uint8Array(w.buffer)).digest('hex'), Array.from(w.slice(0,3))); }
