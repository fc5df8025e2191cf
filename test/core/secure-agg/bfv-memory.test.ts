/**
 * WebAssembly memory stays flat over many encode + add + decode cycles. SEAL's heap lives
 * in one WebAssembly.Memory that only ever grows, so an exact signal is its byte length:
 * capture it as node-seal instantiates its module (this file runs in its own process, so
 * the hook is in place before the first load).
 */
import { describe, expect, it } from 'vitest';

const memories: WebAssembly.Memory[] = [];
const instantiate = WebAssembly.instantiate.bind(WebAssembly);
(WebAssembly as unknown as { instantiate: (...args: unknown[]) => Promise<unknown> }).instantiate = async (...args: unknown[]) => {
  const result = (await (instantiate as (...a: unknown[]) => Promise<unknown>)(...args)) as
    | WebAssembly.Instance
    | { instance: WebAssembly.Instance };
  const instance = result instanceof WebAssembly.Instance ? result : result.instance;
  for (const e of Object.values(instance.exports)) if (e instanceof WebAssembly.Memory) memories.push(e);
  return result;
};

describe('BFV codec memory', () => {
  it('does not grow the SEAL heap over 200 encode, add and decode cycles', async () => {
    const { makeCodec, pseudoRandom, sumThroughAdder } = await import('./bfv-fixtures.ts');
    const { weightedUpdateVector } = await import('../../../core/strategies/aggregate.ts');
    const codec = await makeCodec({ length: 3000, maxSummands: 2, maxAbsValue: 1, maxWeight: 5, precisionBits: 12 }, 'memory');
    expect(memories).toHaveLength(1);
    const heap = memories[0] as WebAssembly.Memory;
    const v = weightedUpdateVector(new Float32Array(pseudoRandom(2999, 3)), 5);
    const cycle = (): void => {
      const a = [...codec.encoder.encode(v)];
      const b = [...codec.encoder.encode(v)];
      codec.encoder.decode(sumThroughAdder(codec.adder, [a, b]));
    };
    try {
      for (let i = 0; i < 20; i++) cycle(); // let SEAL's memory pool reach its working size
      const settled = heap.buffer.byteLength;
      for (let i = 0; i < 200; i++) cycle();
      expect(heap.buffer.byteLength).toBe(settled);
    } finally {
      codec.dispose();
    }
  });
});
