/**
 * Pairwise masking under BFV, with real node-seal ciphertexts: masks cancel in the full sum,
 * dropouts are recovered, the coordinator with the HE key learns nothing from one upload or a
 * partial sum, and a site never releases both share kinds for one site.
 */
import { createCipheriv } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecureAggErrors } from '../../../../core/errors/index.ts';
import { loadSecretKey } from '../../../../core/secure-agg/keys.ts';
import { layoutOf } from '../../../../core/secure-agg/layout.ts';
import { readChunk } from '../../../../core/secure-agg/chunk-format.ts';
import { MaskPrg, maskModulus } from '../../../../core/secure-agg/masking/prg.ts';
import { maskCohort, releaseShares, verifyMaskKeys, createRoundMaskKeys, dealShares, openShare, type ReleasedShares, type ShareCommitment } from '../../../../core/secure-agg/masking/protocol.ts';
import { rebuildSecrets, type Release } from '../../../../core/secure-agg/masking/reconstruct.ts';
import { SiteMasker } from '../../../../core/secure-agg/masking/site-masker.ts';
import { createRunContext, loadCiphertext } from '../../../../core/secure-agg/seal-context.ts';
import { deleteAll, loadSeal } from '../../../../core/secure-agg/seal-library.ts';
import { caughtSync, caught } from '../../../support/caught.ts';
import { makeCodec, sumThroughAdder, type Codec } from '../bfv-fixtures.ts';
import { testCa, type TestCa, type TestIdentity } from '../ceremony-pki.ts';
import { MIN_SITES, maskedUploads, notRevoked, publicKeysOf, setUpRound, unmasker, unmaskSecrets, type SiteRound } from './round-fixture.ts';

const context = { consortium: 'acme', run: 'run-1', round: 1 };
const LENGTH = 5000; // two ciphertexts at N = 4096
const NAMES = ['alder', 'birch', 'cedar', 'dogwood', 'elm'];

/** A deterministic integer update in [-1000, 1000] with weight 1 (sin-hash). */
function update(seed: number): Float64Array {
  const v = new Float64Array(LENGTH);
  for (let i = 0; i < LENGTH - 1; i++) {
    const s = Math.sin((i + 1) * 12.9898 + seed * 78.233) * 43758.5453;
    v[i] = Math.round((s - Math.floor(s)) * 2000 - 1000) + 0; // + 0: no -0
  }
  v[LENGTH - 1] = 1;
  return v;
}

const sumOf = (vs: readonly Float64Array[]): Float64Array => {
  const out = new Float64Array(LENGTH);
  for (const v of vs) v.forEach((x, i) => (out[i] = (out[i] as number) + x));
  return out;
};

/** Pearson correlation. */
function correlation(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] as number;
    mb += b[i] as number;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = (a[i] as number) - ma;
    const y = (b[i] as number) - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

let ca: TestCa;
let ids: TestIdentity[];
let codec: Codec;
const vectors = new Map(NAMES.map((n, i) => [n, update(i + 1)]));

/** The key holder's view: decrypts every slot with the HE key, centred, no checks at all. */
async function decryptRaw(chunks: readonly Uint8Array[]): Promise<{ values: Float64Array; checkSlots: bigint[] }> {
  const seal = await loadSeal();
  const d = codec.key.descriptor;
  const bfv = createRunContext(seal, d);
  const key = loadSecretKey(seal, bfv.context, d, codec.key.secretKey);
  const decryptor = seal.Decryptor(bfv.context, key);
  const batch = seal.BatchEncoder(bfv.context);
  const plain = seal.PlainText();
  const layout = layoutOf(d);
  const values = new Float64Array(d.length);
  const checkSlots: bigint[] = [];
  try {
    for (const [index, chunk] of chunks.entries()) {
      for (const [c, bytes] of readChunk(chunk, 'raw').ciphertexts.entries()) {
        const ct = loadCiphertext(seal, bfv.context, bytes, 'raw');
        decryptor.decrypt(ct, plain);
        ct.delete();
        const slots = batch.decodeBigInt(plain, true) as BigInt64Array;
        const start = (index * layout.ciphertextsPerChunk + c) * layout.valuesPerCiphertext;
        for (let i = start; i < Math.min(start + layout.valuesPerCiphertext, d.length); i++) values[i] = Number(slots[i - start] as bigint);
        checkSlots.push(slots[slots.length - 1] as bigint);
      }
    }
  } finally {
    deleteAll(plain, batch, decryptor, key, bfv.context, bfv.parms);
  }
  return { values, checkSlots };
}

beforeAll(async () => {
  ca = await testCa('acme');
  ids = await Promise.all(NAMES.map((n) => ca.issue(n)));
  codec = await makeCodec({ length: LENGTH, maxSummands: 8, maxAbsValue: 1000, maxWeight: 1, scale: 1 }, 'masking');
}, 120_000);
afterAll(() => codec?.dispose());

describe('mask expansion', () => {
  it('matches a BigInt reference of AES-256-CTR with rejection sampling, and stays in [0, t)', () => {
    const t = maskModulus(codec.key.descriptor.plainModulus);
    const seed = Buffer.alloc(32, 7);
    const prg = new MaskPrg(t, 64);
    const got = new Float64Array(64);
    prg.addBlock(seed, 3, 1, got);
    // Reference: the same keystream read as big-endian-free little-endian words via BigInt.
    const iv = Buffer.alloc(16);
    iv.write('CMSK', 0, 'latin1');
    iv.writeUInt32BE(3, 4);
    const stream = createCipheriv('aes-256-ctr', seed, iv).update(Buffer.alloc(64 * 64));
    const bits = BigInt(t.toString(2).length);
    const want: number[] = [];
    // One little-endian word per draw up to 32 bits; above, the first word is the high part.
    for (let at = 0; want.length < 64; ) {
      let v: bigint;
      if (bits > 32n) {
        v = ((BigInt(stream.readUInt32LE(at)) << 32n) | BigInt(stream.readUInt32LE(at + 4))) & ((1n << bits) - 1n);
        at += 8;
      } else {
        v = BigInt(stream.readUInt32LE(at)) & ((1n << bits) - 1n);
        at += 4;
      }
      if (v < BigInt(t)) want.push(Number(v));
    }
    expect(Array.from(got)).toEqual(want);
    expect(got.every((x) => x >= 0 && x < t)).toBe(true);
  });

  it('matches the BigInt reference where a first pass falls short (t = 65537, about half the draws rejected, 8192 slots)', () => {
    const t = 65537;
    const slots = 8192;
    const bits = BigInt(t.toString(2).length);
    const keystream = (seed: Buffer, block: number, bytes: number): Buffer => {
      const iv = Buffer.alloc(16);
      iv.write('CMSK', 0, 'latin1');
      iv.writeUInt32BE(block >>> 0, 4);
      return createCipheriv('aes-256-ctr', seed, iv).update(Buffer.alloc(bytes));
    };
    // Every draw of the stream, accepted or not, as the reference reads it (17 bits of one word).
    const draws = (stream: Buffer): bigint[] => Array.from({ length: stream.byteLength / 4 }, (_, d) => BigInt(stream.readUInt32LE(4 * d)) & ((1n << bits) - 1n));
    // The draws MaskPrg's first pass takes (prg.ts: the expected number and 1% more, plus 16).
    const firstPass = Math.ceil(slots * (2 ** Number(bits) / t) * 1.01) + 16;
    const prg = new MaskPrg(t, slots);
    const seed = Buffer.alloc(32, 11);
    let short = 0;
    for (let block = 0; block < 48; block++) {
      const all = draws(keystream(seed, block, 4 * 3 * slots));
      const want = all.filter((v) => v < BigInt(t)).slice(0, slots).map(Number);
      expect(want).toHaveLength(slots);
      if (all.slice(0, firstPass).filter((v) => v < BigInt(t)).length < slots) short++;
      const got = new Float64Array(slots);
      prg.addBlock(seed, block, 1, got);
      expect(Array.from(got), `block ${block}`).toEqual(want);
    }
    // Not vacuous: some blocks needed a second pass (about 8% of them at this t), others did not.
    expect(short).toBeGreaterThan(0);
    expect(short).toBeLessThan(48);
  });

  it('is uniform mod a small t (chi-square over 16 buckets) and subtracts exactly what it adds', () => {
    const t = 12289;
    const prg = new MaskPrg(t, 160_000);
    const acc = new Float64Array(160_000);
    prg.addBlock(Buffer.alloc(32, 1), 0, 1, acc);
    const buckets = new Array(16).fill(0) as number[];
    for (const x of acc) buckets[Math.floor((x * 16) / t)]++;
    // Bucket widths differ by at most one residue out of ~768; expected counts 10_000 each.
    const chi = buckets.reduce((s, c) => s + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi).toBeLessThan(37.7); // chi-square(15) at p = 0.001
    prg.addBlock(Buffer.alloc(32, 1), 0, -1, acc);
    expect(acc.every((x) => x === 0)).toBe(true);
  });
  it.each([12289, 17592186028033, 4503599627370449])('reduce (t = %d) agrees with BigInt mod over exact integers below 2^53 - t', (t) => {
    const prg = new MaskPrg(t, 64);
    const xs = new Float64Array(64);
    const edges = [0, 1, -1, t - 1, t, t + 1, -t, -t - 1, 2 ** 53 - t - 1, -(2 ** 53 - t - 1), 2 ** 53 - 2 * t, Math.floor(2 ** 53 / t) * t];
    edges.forEach((x, i) => (xs[i] = x));
    for (let i = edges.length; i < 64; i++) xs[i] = Math.round(Math.sin(i * 99.1) * 2 ** 52);
    const want = Array.from(xs, (x) => Number(((BigInt(x) % BigInt(t)) + BigInt(t)) % BigInt(t)));
    prg.reduce(xs);
    expect(Array.from(xs)).toEqual(want);
  });

  it.each([12289, 17592186028033, 4503599627370449])('lazy reduction (t = %d) equals reducing after every block, and a BigInt sum', (t) => {
    const prg = new MaskPrg(t, 512);
    const seeds = Array.from({ length: 40 }, (_, k) => Buffer.alloc(32, k + 1));
    const signs = seeds.map((_, k) => (k % 3 === 0 ? -1 : 1) as 1 | -1);
    const eager = new Float64Array(512);
    for (const [k, seed] of seeds.entries()) prg.addBlock(seed, 9, signs[k] as 1 | -1, eager);
    const lazy = new Float64Array(512);
    let terms = 1;
    for (const [k, seed] of seeds.entries()) {
      if (terms >= prg.maxTermsBeforeReduce) {
        prg.reduce(lazy);
        terms = 1;
      }
      prg.accumulate(seed, 9, signs[k] as 1 | -1, lazy);
      terms++;
    }
    prg.reduce(lazy);
    const big = new Array<bigint>(512).fill(0n);
    for (const [k, seed] of seeds.entries()) {
      const one = new Float64Array(512);
      prg.addBlock(seed, 9, 1, one);
      one.forEach((x, i) => (big[i] = (big[i] as bigint) + BigInt(signs[k] as number) * BigInt(x)));
    }
    const want = big.map((x) => Number(((x % BigInt(t)) + BigInt(t)) % BigInt(t)));
    expect({ eager: Array.from(eager), lazy: Array.from(lazy) }).toEqual({ eager: want, lazy: want });
  });
});

describe('pairwise masks', () => {
  let rounds: SiteRound[];
  beforeAll(async () => {
    rounds = await setUpRound(ca, ids, context);
  });

  it('builds the same cohort at every site; the default threshold of 5 sites is 4 (withstands the coordinator plus one colluder)', () => {
    for (const r of rounds) expect({ sites: r.cohort.members.map((m) => m.site), threshold: r.cohort.threshold, held: [...r.held.keys()].sort() }).toEqual({ sites: NAMES, threshold: 4, held: NAMES });
  });

  it('cancel in the full sum: the pairwise parts of all masks add to 0 mod t', () => {
    const t = maskModulus(codec.key.descriptor.plainModulus);
    const N = codec.key.descriptor.polyModulusDegree;
    const total = new Float64Array(N);
    for (const r of rounds) new SiteMasker(r.secrets, r.cohort, codec.key.descriptor).addBlock(1, total);
    for (const r of rounds) {
      const selfOnly = new SiteMasker(r.secrets, { ...r.cohort, members: r.cohort.members.filter((m) => m.site === r.id.name), signatures: r.cohort.signatures.filter((x) => x.site === r.id.name) }, codec.key.descriptor);
      const self = new Float64Array(N);
      selfOnly.addBlock(1, self);
      for (let i = 0; i < N; i++) total[i] = ((total[i] as number) - (self[i] as number) + t) % t;
    }
    expect(total.every((x) => x === 0)).toBe(true);
  });

  it('no dropout: the unmasked encrypted sum decrypts to the exact sum, check slots = 5', async () => {
    const uploads = maskedUploads(codec, rounds, vectors);
    const sum = sumThroughAdder(codec.adder, [...uploads.values()]);
    const { rebuilt } = await unmaskSecrets(rounds, context, NAMES, NAMES);
    const u = await unmasker(codec, context, rounds[0]!.cohort, rebuilt);
    const clear = sum.map((c, i) => u.unmask(c, i));
    u.dispose();
    const decoded = codec.encoder.decodeAggregate(clear, { contributors: 5 });
    expect(Array.from(decoded.sum)).toEqual(Array.from(sumOf([...vectors.values()])));
    expect(decoded.minNoiseBudgetBits).toBeGreaterThan(0);
  });
});

describe('dropout recovery', () => {
  it('a site that dropped before uploading: its pairwise masks are removed with its rebuilt mask key', async () => {
    const rounds = await setUpRound(ca, ids, { ...context, round: 2 }, 3);
    const c2 = { ...context, round: 2 };
    const survivors = NAMES.filter((n) => n !== 'elm');
    const uploads = maskedUploads(codec, rounds, new Map(survivors.map((s) => [s, vectors.get(s) as Float64Array])));
    const sum = sumThroughAdder(codec.adder, [...uploads.values()]);
    const { rebuilt } = await unmaskSecrets(rounds, c2, survivors, survivors);
    expect({ dropped: rebuilt.dropped, seeds: [...rebuilt.selfSeeds.keys()] }).toEqual({ dropped: ['elm'], seeds: survivors });
    const u = await unmasker(codec, c2, rounds[0]!.cohort, rebuilt);
    const decoded = codec.encoder.decodeAggregate(sum.map((c, i) => u.unmask(c, i)), { contributors: 4 });
    u.dispose();
    expect(Array.from(decoded.sum)).toEqual(Array.from(sumOf(survivors.map((s) => vectors.get(s) as Float64Array))));
  });

  it('a site that uploaded and then dropped before unmasking: its self-mask is rebuilt from the others\' shares', async () => {
    const c3 = { ...context, round: 3 };
    const rounds = await setUpRound(ca, ids, c3, 3);
    const survivors = NAMES.filter((n) => n !== 'elm'); // elm never uploaded
    const uploads = maskedUploads(codec, rounds, new Map(survivors.map((s) => [s, vectors.get(s) as Float64Array])));
    const sum = sumThroughAdder(codec.adder, [...uploads.values()]);
    // dogwood uploaded, then died: only 3 (the threshold) answer.
    const { rebuilt } = await unmaskSecrets(rounds, c3, survivors, ['alder', 'birch', 'cedar']);
    const u = await unmasker(codec, c3, rounds[0]!.cohort, rebuilt);
    const decoded = codec.encoder.decodeAggregate(sum.map((c, i) => u.unmask(c, i)), { contributors: 4 });
    u.dispose();
    expect(Array.from(decoded.sum)).toEqual(Array.from(sumOf(survivors.map((s) => vectors.get(s) as Float64Array))));
  });

  it('fewer shares than the threshold rebuild nothing (UNMASK_FAILED)', async () => {
    const c4 = { ...context, round: 4 };
    const rounds = await setUpRound(ca, ids, c4, 3);
    const e = await caught(unmaskSecrets(rounds, c4, NAMES, ['alder', 'birch']));
    expect({ code: e.code, details: e.details }).toEqual({ code: SecureAggErrors.UNMASK_FAILED.code, details: { site: 'alder', shares: 2, threshold: 3, culprits: [] } });
  });

  it('a wrong share is dropped against its dealer\'s signed hash, its releaser named; the first T good shares rebuild (one bad share no longer fails the round)', async () => {
    const c5 = { ...context, round: 5 };
    const rounds = await setUpRound(ca, ids, c5, 3);
    const digest = rounds[0]!.cohort.digest;
    const request = { ...c5, cohort: digest, survivors: NAMES, dropped: [] };
    const releases = NAMES.slice(0, 4).map((s) => {
      const r = rounds.find((x) => x.id.name === s) as SiteRound;
      return releaseShares(request, r.secrets, r.cohort, r.held, r.ledger, MIN_SITES);
    });
    const bad = Buffer.from(releases[0]!.selfShares.birch as string, 'base64');
    bad[0] = (bad[0] as number) ^ 1;
    const tampered = [{ ...releases[0]!, selfShares: { ...releases[0]!.selfShares, birch: bad.toString('base64') } }, ...releases.slice(1)];
    // 4 releases, alder's share of birch's seed altered: dropped, and birch's seed rebuilds from the 3 good ones.
    const ok = await rebuildSecrets(c5, publicKeysOf(rounds[0]!.cohort), 3, NAMES, tampered, digest);
    expect(ok.rejected).toEqual([{ from: 'alder', site: 'birch', culprit: 'alder', reason: 'the self-mask seed share does not match the dealer\'s signed commitment (hash-mismatch)' }]);
    expect(ok.selfSeeds.get('birch')).toEqual(rounds.find((x) => x.id.name === 'birch')!.secrets.selfSeed);
    // With only 3 releases, 2 good shares of birch's seed remain: UNMASK_FAILED naming alder.
    const e = await caught(rebuildSecrets(c5, publicKeysOf(rounds[0]!.cohort), 3, NAMES, tampered.slice(0, 3), digest));
    expect({ code: e.code, details: e.details }).toEqual({ code: SecureAggErrors.UNMASK_FAILED.code, details: { site: 'birch', shares: 2, threshold: 3, culprits: ['alder'] } });
    // A release made for another cohort digest is dropped whole, its sender named.
    const other = await rebuildSecrets(c5, publicKeysOf(rounds[0]!.cohort), 3, NAMES, [{ ...releases[0]!, cohort: 'f'.repeat(64) }, ...releases.slice(1)], digest);
    expect(other.rejected).toEqual([{ from: 'alder', culprit: 'alder', reason: 'released for another cohort digest' }]);
    // A release without the dealers' commitments is dropped whole too.
    const bare = await rebuildSecrets(c5, publicKeysOf(rounds[0]!.cohort), 3, NAMES, [{ ...releases[0]!, commitments: undefined as unknown as Record<string, ShareCommitment> }, ...releases.slice(1)], digest);
    expect(bare.rejected).toEqual([{ from: 'alder', culprit: 'alder', reason: 'malformed release' }]);
  });

  it('an inconsistent dealer (shares off one polynomial, each signed) is named, not the survivors', async () => {
    const c14 = { ...context, round: 14 };
    const rounds = await setUpRound(ca, ids, c14, 3);
    const digest = rounds[0]!.cohort.digest;
    const elm = rounds.find((x) => x.id.name === 'elm') as SiteRound;
    // elm re-deals to birch a share of another secret, signed with its own key: birch's held share
    // matches elm's signed hash, but does not lie on the polynomial of elm's other shares.
    const redealt = (await dealShares({ ...elm.secrets, selfSeed: Buffer.alloc(32, 7) }, elm.cohort, elm.id)).find((x) => x.to === 'birch')!;
    const birch = rounds.find((x) => x.id.name === 'birch') as SiteRound;
    birch.held.set('elm', openShare(redealt, birch.secrets, birch.cohort));
    const request = { ...c14, cohort: digest, survivors: NAMES, dropped: [] };
    const releases = ['birch', 'cedar', 'dogwood'].map((s) => {
      const r = rounds.find((x) => x.id.name === s) as SiteRound;
      return releaseShares(request, r.secrets, r.cohort, r.held, r.ledger, MIN_SITES);
    });
    const e = await caught(rebuildSecrets(c14, publicKeysOf(rounds[0]!.cohort), 3, NAMES, releases, digest));
    expect({ code: e.code, details: e.details }).toEqual({ code: SecureAggErrors.UNMASK_FAILED.code, details: { site: 'elm', culprit: 'elm' } });
  });

  it('a share whose dealer commitment is swapped in transit does not open (the AAD binds the signed hashes)', async () => {
    const c15 = { ...context, round: 15 };
    const rounds = await setUpRound(ca, ids.slice(0, 3), c15);
    const [a, b] = rounds as [SiteRound, SiteRound];
    const sealed = (await dealShares(a.secrets, a.cohort, a.id)).find((s) => s.to === 'birch')!;
    // The coordinator swaps in alder's (validly signed) commitment to another dealing's shares.
    const otherCommitment = (await dealShares(a.secrets, a.cohort, a.id)).find((s) => s.to === 'birch')!.commitment;
    const e = caughtSync(() => openShare({ ...sealed, commitment: otherCommitment }, b.secrets, b.cohort));
    expect(e.code).toBe(SecureAggErrors.MASKING.code);
    expect(openShare(sealed, b.secrets, b.cohort).commitment).toEqual(sealed.commitment);
  });
});

describe('a plaintext modulus above 32 bits (two-word draws, two-word slots)', () => {
  it('masked uploads of 3 of 4 sites, one dropped, unmask to the exact sum', async () => {
    const wide = await makeCodec({ length: LENGTH, maxSummands: 8, maxAbsValue: 1000, maxWeight: 1, scale: 2 ** 20 }, 'wide');
    try {
      expect(BigInt(wide.key.descriptor.plainModulus) > 2n ** 32n).toBe(true);
      const c = { ...context, round: 20 };
      const four = ids.slice(0, 4);
      const rounds = await setUpRound(ca, four, c);
      const survivors = ['alder', 'birch', 'dogwood'];
      const uploads = maskedUploads(wide, rounds, new Map(survivors.map((s) => [s, vectors.get(s) as Float64Array])));
      const sum = sumThroughAdder(wide.adder, [...uploads.values()]);
      const { rebuilt } = await unmaskSecrets(rounds, c, survivors, survivors);
      const u = await unmasker(wide, c, rounds[0]!.cohort, rebuilt);
      const decoded = wide.encoder.decodeAggregate(sum.map((x, i) => u.unmask(x, i)), { contributors: 3 });
      u.dispose();
      expect(Array.from(decoded.sum)).toEqual(Array.from(sumOf(survivors.map((s) => vectors.get(s) as Float64Array))));
    } finally {
      wide.dispose();
    }
  });
});

describe('collusion: the coordinator\'s whole state plus the key holder\'s HE key', () => {
  it('a single upload and every partial sum decrypt to values uncorrelated with the true updates; the full sum is exact', async () => {
    const c6 = { ...context, round: 6 };
    const rounds = await setUpRound(ca, ids, c6, 3);
    const survivors = NAMES.filter((n) => n !== 'elm');
    const uploads = maskedUploads(codec, rounds, new Map(survivors.map((s) => [s, vectors.get(s) as Float64Array])));
    // Everything the coordinator holds after the round: all uploads, all releases, rebuilt secrets.
    const { rebuilt } = await unmaskSecrets(rounds, c6, survivors, survivors);
    const n = LENGTH - 1;
    const subsets: string[][] = [['alder'], ['cedar'], ['alder', 'birch'], ['birch', 'cedar', 'dogwood'], ['alder', 'birch', 'cedar']];
    for (const subset of subsets) {
      const partial = sumThroughAdder(codec.adder, subset.map((s) => uploads.get(s) as Uint8Array[]));
      // The strongest removal it can make: the self-masks of the subset and their masks with the dropped site.
      const attack = await unmasker(codec, c6, rounds[0]!.cohort, { ...rebuilt, survivors: subset, selfSeeds: new Map(subset.map((s) => [s, rebuilt.selfSeeds.get(s) as Buffer])) });
      const { values, checkSlots } = await decryptRaw(partial.map((c, i) => attack.unmask(c, i)));
      attack.dispose();
      const truth = sumOf(subset.map((s) => vectors.get(s) as Float64Array));
      const r = correlation(values, truth, n);
      expect({ subset, uncorrelated: Math.abs(r) < 0.08, checkSlotsHoldCount: checkSlots.every((x) => x === BigInt(subset.length)) }).toEqual({ subset, uncorrelated: true, checkSlotsHoldCount: false });
    }
    const full = sumThroughAdder(codec.adder, survivors.map((s) => uploads.get(s) as Uint8Array[]));
    const u = await unmasker(codec, c6, rounds[0]!.cohort, rebuilt);
    const { values } = await decryptRaw(full.map((c, i) => u.unmask(c, i)));
    u.dispose();
    expect(Array.from(values.subarray(0, LENGTH))).toEqual(Array.from(sumOf(survivors.map((s) => vectors.get(s) as Float64Array))));
  });

  it('without masks the same adversary reads a single update exactly (the attack the masks stop)', async () => {
    const plain = [...codec.encoder.encode(vectors.get('alder') as Float64Array)];
    const { values } = await decryptRaw(plain);
    expect(correlation(values, vectors.get('alder') as Float64Array, LENGTH - 1)).toBeCloseTo(1, 12);
  });
});

describe('never both share kinds for one site', () => {
  it('with both the self-mask seed and the mask key of one survivor, its single upload opens exactly', async () => {
    const c7 = { ...context, round: 7 };
    const rounds = await setUpRound(ca, ids, c7, 3);
    const uploads = maskedUploads(codec, rounds, new Map([['alder', vectors.get('alder') as Float64Array]]));
    const share = (site: string): SiteRound => rounds.find((x) => x.id.name === site) as SiteRound;
    // What the ledger refuses below: b_alder from three sites, alder's mask key from three others.
    const digest = rounds[0]!.cohort.digest;
    const commitments = (s: string): Record<string, ShareCommitment> => ({ alder: share(s).held.get('alder')!.commitment });
    const selfShares = ['birch', 'cedar', 'dogwood'].map((s) => ({ from: s, cohort: digest, commitments: commitments(s), selfShares: { alder: share(s).held.get('alder')!.selfShare.toString('base64') }, maskKeyShares: {} }));
    const keyShares = ['birch', 'cedar', 'dogwood'].map((s) => ({ from: s, cohort: digest, commitments: commitments(s), selfShares: {}, maskKeyShares: { alder: share(s).held.get('alder')!.maskKeyShare.toString('base64') } }));
    const members = publicKeysOf(rounds[0]!.cohort).filter((m) => m.site === 'alder');
    const seed = (await rebuildSecrets(c7, members, 3, ['alder', 'birch', 'cedar', 'dogwood'], selfShares, digest)).selfSeeds.get('alder') as Buffer;
    const maskKey = (await rebuildSecrets(c7, members, 3, ['birch', 'cedar', 'dogwood'], keyShares, digest)).droppedMaskKeys.get('alder') as Buffer;
    // alder's whole mask, recomputed from the two rebuilt secrets and the public keys.
    const mask = new SiteMasker({ site: 'alder', context: c7, channelPrivateKey: Buffer.alloc(0), maskPrivateKey: maskKey, selfSeed: seed }, rounds[0]!.cohort, codec.key.descriptor);
    const { values } = await decryptRaw(uploads.get('alder') as Uint8Array[]);
    const t = maskModulus(codec.key.descriptor.plainModulus);
    const layout = layoutOf(codec.key.descriptor);
    const recovered = new Float64Array(LENGTH);
    for (let g = 0; g < layout.ciphertextCount; g++) {
      const m = new Float64Array(codec.key.descriptor.polyModulusDegree);
      mask.addBlock(g, m);
      for (let i = 0; i < layout.valuesPerCiphertext && g * layout.valuesPerCiphertext + i < LENGTH; i++) {
        const at = g * layout.valuesPerCiphertext + i;
        let x = ((((values[at] as number) - (m[i] as number)) % t) + t) % t;
        if (x > t / 2) x -= t;
        recovered[at] = x;
      }
    }
    expect(Array.from(recovered)).toEqual(Array.from(vectors.get('alder') as Float64Array));
  });

  it('a survivor that released mask-key shares of a site refuses its self-mask shares later, and the reverse; nothing is released', async () => {
    const c8 = { ...context, round: 8 };
    const rounds = await setUpRound(ca, ids, c8, 3);
    const cedar = rounds.find((x) => x.id.name === 'cedar') as SiteRound;
    releaseShares({ ...c8, cohort: cedar.cohort.digest, survivors: ['alder', 'birch', 'cedar', 'dogwood'], dropped: ['elm'] }, cedar.secrets, cedar.cohort, cedar.held, cedar.ledger, MIN_SITES);
    const before = new Map(cedar.ledger.entries);
    const e = caughtSync(() => releaseShares({ ...c8, cohort: cedar.cohort.digest, survivors: ['alder', 'birch', 'cedar', 'elm'], dropped: ['dogwood'] }, cedar.secrets, cedar.cohort, cedar.held, cedar.ledger, MIN_SITES));
    expect({ code: e.code, details: e.details }).toEqual({ code: SecureAggErrors.SHARE_CONFLICT.code, details: { site: 'elm', asked: 'self', released: 'maskKey' } });
    expect(cedar.ledger.entries).toEqual(before);
    const birch = rounds.find((x) => x.id.name === 'birch') as SiteRound;
    releaseShares({ ...c8, cohort: cedar.cohort.digest, survivors: ['alder', 'birch', 'cedar'], dropped: ['dogwood', 'elm'] }, birch.secrets, birch.cohort, birch.held, birch.ledger, MIN_SITES);
    const e2 = caughtSync(() => releaseShares({ ...c8, cohort: cedar.cohort.digest, survivors: NAMES, dropped: [] }, birch.secrets, birch.cohort, birch.held, birch.ledger, MIN_SITES));
    expect({ code: e2.code, site: e2.details.site }).toEqual({ code: SecureAggErrors.SHARE_CONFLICT.code, site: 'dogwood' });
  });

  it('refuses requests that do not split the cohort, name the answering site dropped, or leave fewer survivors than the threshold', async () => {
    const c9 = { ...context, round: 9 };
    const rounds = await setUpRound(ca, ids, c9, 3);
    const a = rounds[0] as SiteRound;
    const code = (request: Omit<Parameters<typeof releaseShares>[0], 'cohort'> & { cohort?: string }): string =>
      caughtSync(() => releaseShares({ cohort: a.cohort.digest, ...request }, a.secrets, a.cohort, a.held, a.ledger, MIN_SITES)).code;
    expect([
      code({ ...c9, survivors: ['alder', 'birch', 'cedar'], dropped: ['dogwood'] }),
      code({ ...c9, survivors: ['alder', 'birch', 'cedar', 'dogwood'], dropped: ['elm', 'alder'] }),
      code({ ...c9, survivors: ['birch', 'cedar', 'dogwood', 'elm'], dropped: ['alder'] }),
      code({ ...c9, survivors: ['alder', 'birch'], dropped: ['cedar', 'dogwood', 'elm'] }),
      code({ ...c9, round: 10, survivors: NAMES, dropped: [] }),
      code({ ...c9, cohort: 'f'.repeat(64), survivors: NAMES, dropped: [] }),
    ]).toEqual([SecureAggErrors.MASKING.code, SecureAggErrors.MASKING.code, SecureAggErrors.MASKING.code, SecureAggErrors.TOO_FEW_SURVIVORS.code, SecureAggErrors.MASKING.code, SecureAggErrors.MASKING.code]);
    // minSites above the threshold: 4 survivors of 5 with minSites 5 are too few.
    expect(caughtSync(() => releaseShares({ ...c9, cohort: a.cohort.digest, survivors: ['alder', 'birch', 'cedar', 'dogwood'], dropped: ['elm'] }, a.secrets, a.cohort, a.held, a.ledger, 5)).code).toBe(
      SecureAggErrors.TOO_FEW_SURVIVORS.code,
    );
    expect(a.ledger.entries.size).toBe(0);
  });
});

describe('advertisements and shares', () => {
  it('refuses an advertisement for another round, site, a forged signature, or a revoked certificate', async () => {
    const [alder] = ids as [TestIdentity];
    const { advertisement } = createRoundMaskKeys(alder, context);
    const expect1 = { caPem: ca.caPem, context, site: 'alder', isRevoked: notRevoked };
    const code = (f: () => unknown): string => caughtSync(f).code;
    const flipped = Buffer.from(advertisement.maskPublicKey, 'base64');
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    const other = await testCa('acme');
    const impostor = await other.issue('alder');
    expect([
      code(() => verifyMaskKeys(JSON.stringify(advertisement), { ...expect1, context: { ...context, round: 2 } })),
      code(() => verifyMaskKeys(JSON.stringify(advertisement), { ...expect1, site: 'birch' })),
      code(() => verifyMaskKeys({ ...advertisement, maskPublicKey: flipped.toString('base64') }, expect1)),
      code(() => verifyMaskKeys(createRoundMaskKeys(impostor, context).advertisement, expect1)),
      code(() => verifyMaskKeys(advertisement, { ...expect1, isRevoked: (s) => s === alder.serial })),
    ]).toEqual([SecureAggErrors.MASKING.code, SecureAggErrors.MASKING.code, SecureAggErrors.MASKING.code, SecureAggErrors.MASKING.code, SecureAggErrors.SITE_REVOKED.code]);
    expect(verifyMaskKeys(advertisement, expect1).site).toBe('alder');
  });

  it('a coordinator with one colluding site that splits the honest sites gets both share kinds of a victim under a bare majority (3 of 5), not under the default (4 of 5)', async () => {
    for (const [round, threshold, opens] of [[12, 3, true], [13, undefined, false]] as const) {
      const c = { ...context, round };
      const rounds = await setUpRound(ca, ids, c, threshold);
      const site = (name: string): SiteRound => rounds.find((x) => x.id.name === name) as SiteRound;
      const t = rounds[0]!.cohort.threshold;
      // elm colludes: it hands over both of its shares of alder. alder and birch are told alder survived...
      const digest = rounds[0]!.cohort.digest;
      const asSurvivor = { ...c, cohort: digest, survivors: NAMES, dropped: [] as string[] };
      const release = (s: string, r: typeof asSurvivor): ReleasedShares => releaseShares(r, site(s).secrets, site(s).cohort, site(s).held, site(s).ledger, MIN_SITES);
      const elmHeld = site('elm').held.get('alder')!;
      const elmSelf = { from: 'elm', cohort: digest, commitments: { alder: elmHeld.commitment }, selfShares: { alder: elmHeld.selfShare.toString('base64') }, maskKeyShares: {} };
      const selfReleases = [...['alder', 'birch'].map((s) => release(s, asSurvivor)), elmSelf];
      // ...cedar and dogwood are told alder dropped.
      const asDropped = { ...c, cohort: digest, survivors: ['birch', 'cedar', 'dogwood', 'elm'], dropped: ['alder'] };
      const elmKey = { from: 'elm', cohort: digest, commitments: { alder: elmHeld.commitment }, selfShares: {}, maskKeyShares: { alder: elmHeld.maskKeyShare.toString('base64') } };
      const keyReleases = [...['cedar', 'dogwood'].map((s) => release(s, asDropped)), elmKey];
      const members = publicKeysOf(rounds[0]!.cohort).filter((m) => m.site === 'alder');
      const only = (r: { from: string; cohort: string; commitments: Readonly<Record<string, ShareCommitment>>; selfShares: Readonly<Record<string, string>>; maskKeyShares: Readonly<Record<string, string>> }, kind: 'self' | 'key'): Release => ({
        from: r.from,
        cohort: r.cohort,
        commitments: { alder: r.commitments.alder as ShareCommitment },
        selfShares: kind === 'self' ? { alder: r.selfShares.alder as string } : {},
        maskKeyShares: kind === 'key' ? { alder: r.maskKeyShares.alder as string } : {},
      });
      const attempt = async (): Promise<boolean> => {
        await rebuildSecrets(c, members, t, ['alder', 'birch', 'elm'], selfReleases.map((r) => only(r, 'self')), digest);
        await rebuildSecrets(c, members, t, ['cedar', 'dogwood', 'elm'], keyReleases.map((r) => only(r, 'key')), digest);
        return true;
      };
      if (opens) expect(await attempt()).toBe(true);
      else {
        expect((await caught(attempt())).code).toBe(SecureAggErrors.UNMASK_FAILED.code);
        // A fourth share of either kind must come from an honest site that already gave the other kind.
        expect(caughtSync(() => release('cedar', asSurvivor)).code).toBe(SecureAggErrors.SHARE_CONFLICT.code);
        expect(caughtSync(() => release('birch', asDropped)).code).toBe(SecureAggErrors.SHARE_CONFLICT.code);
      }
    }
  });

  it('refuses a threshold below a majority, a cohort of fewer than 3, and a cohort smaller than minSites', () => {
    const verified = ids.map((id) => verifyMaskKeys(createRoundMaskKeys(id, context).advertisement, { caPem: ca.caPem, context, site: id.name, isRevoked: notRevoked }));
    expect(caughtSync(() => maskCohort(context, verified, 2, MIN_SITES)).code).toBe(SecureAggErrors.MASKING.code);
    expect(caughtSync(() => maskCohort(context, verified.slice(0, 2), undefined, 2)).code).toBe(SecureAggErrors.MASKING.code);
    const e = caughtSync(() => maskCohort(context, verified.slice(0, 4), undefined, 5));
    expect({ code: e.code, details: e.details }).toEqual({ code: SecureAggErrors.MASKING.code, details: { sites: 4, minSites: 5 } });
    expect(maskCohort(context, verified, 5, MIN_SITES).threshold).toBe(5);
  });

  it('a share opens only at its recipient, and not once altered', async () => {
    const rounds = await setUpRound(ca, ids.slice(0, 3), { ...context, round: 11 });
    const [a, b] = rounds as [SiteRound, SiteRound];
    const sealed = (await dealShares(a.secrets, a.cohort, a.id)).find((s) => s.to === 'birch')!;
    expect(openShare(sealed, b.secrets, b.cohort).from).toBe('alder');
    expect(caughtSync(() => openShare(sealed, a.secrets, a.cohort)).code).toBe(SecureAggErrors.MASKING.code);
    const ct = Buffer.from(sealed.ciphertext, 'base64');
    ct[0] = (ct[0] as number) ^ 1;
    expect(caughtSync(() => openShare({ ...sealed, ciphertext: ct.toString('base64') }, b.secrets, b.cohort)).code).toBe(SecureAggErrors.MASKING.code);
    expect(caughtSync(() => openShare({ ...sealed, from: 'cedar' }, b.secrets, b.cohort)).code).toBe(SecureAggErrors.MASKING.code);
  });
});
