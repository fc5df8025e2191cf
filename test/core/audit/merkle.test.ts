/**
 * The RFC 9162 Merkle tree against published vectors: the eight-leaf tree of RFC 6962's
 * reference tests as transparency-dev/merkle carries them (proof/verify_test.go and
 * testdata/: roots for sizes 1..8, inclusion and consistency proofs, and their mutations),
 * then against a brute-force bottom-up recomputation for every size up to 40.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  MerkleFrontier,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  treeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../../core/audit/merkle.ts';
import { isCohortError } from '../../../core/errors/index.ts';

const h = (hex: string): Buffer => Buffer.from(hex, 'hex');

// The leaves and roots of transparency-dev/merkle proof/verify_test.go (RFC 6962 test data).
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(h);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// [leaf index (0-based), tree size, proof]
const INCLUSION: [number, number, string[]][] = [
  [0, 1, []],
  [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
];
const CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [6, 7, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
];
const SOME_HASH = h('abacaba000000000000000000000000000000000000000000060061e00123456');

const leaves = LEAVES.map(leafHash);
const hexes = (xs: Buffer[]): string[] => xs.map((x) => x.toString('hex'));

/** The code a call throws, or 'accepted'. */
function outcome(fn: () => void): string {
  try {
    fn();
    return 'accepted';
  } catch (e) {
    return isCohortError(e) ? e.code : `not coded: ${String(e)}`;
  }
}

const REFUSED = 'COHORT_E_AUDIT_PROOF_INVALID';

describe('RFC 9162 tree hash', () => {
  it('hashes the empty tree to SHA-256("")', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(treeHash([]).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes a leaf with the 0x00 prefix and a node with 0x01', () => {
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe(ROOTS[0]);
    expect(nodeHash(leaves[0]!, leaves[1]!).toString('hex')).toBe(ROOTS[1]);
  });

  it.each(ROOTS.map((root, i) => [i + 1, root] as const))('gives the published root of the first %i leaves', (size, root) => {
    expect(treeHash(leaves, size).toString('hex')).toBe(root);
    const f = new MerkleFrontier();
    for (const l of leaves.slice(0, size)) f.append(l);
    expect(f.root().toString('hex')).toBe(root);
  });
});

describe('RFC 9162 inclusion proofs', () => {
  it.each(INCLUSION)('generates and verifies the published proof of leaf %i in a tree of %i', (index, size, proof) => {
    expect(hexes(inclusionProof(leaves, index, size))).toEqual(proof);
    expect(outcome(() => verifyInclusion(index, size, leaves[index]!, proof.map(h), h(ROOTS[size - 1]!)))).toBe('accepted');
  });

  // The mutations of transparency-dev's corruptInclusionProof, each refused.
  const probes = INCLUSION.filter(([, size]) => size > 1).flatMap(([index, size, hexProof]) => {
    const proof = hexProof.map(h);
    const root = h(ROOTS[size - 1]!);
    const leaf = leaves[index]!;
    const list: [string, () => void][] = [
      ['index - 1', () => verifyInclusion(index - 1, size, leaf, proof, root)],
      ['index + 1', () => verifyInclusion(index + 1, size, leaf, proof, root)],
      ['index ^ 2', () => verifyInclusion(index ^ 2, size, leaf, proof, root)],
      ['size * 2', () => verifyInclusion(index, size * 2, leaf, proof, root)],
      ['size / 2', () => verifyInclusion(index, Math.floor(size / 2), leaf, proof, root)],
      ['wrong leaf', () => verifyInclusion(index, size, leafHash(Buffer.from('WrongLeaf')), proof, root)],
      ['empty root', () => verifyInclusion(index, size, leaf, proof, EMPTY_ROOT)],
      ['random root', () => verifyInclusion(index, size, leaf, proof, SOME_HASH)],
      ['trailing garbage', () => verifyInclusion(index, size, leaf, [...proof, Buffer.alloc(0)], root)],
      ['trailing root', () => verifyInclusion(index, size, leaf, [...proof, root], root)],
      ['preceding garbage', () => verifyInclusion(index, size, leaf, [Buffer.alloc(0), ...proof], root)],
      ['preceding root', () => verifyInclusion(index, size, leaf, [root, ...proof], root)],
      ['removed component', () => verifyInclusion(index, size, leaf, proof.slice(0, -1), root)],
      ['inserted component', () => verifyInclusion(index, size, leaf, [proof[0]!, SOME_HASH, ...proof.slice(1)], root)],
      ...proof.map((_, i) => [`proof[${i}] bit 3 flipped`, () => {
        const p = proof.map((x) => Buffer.from(x));
        p[i]![0]! ^= 8;
        verifyInclusion(index, size, leaf, p, root);
      }] as [string, () => void]),
    ];
    return list.map(([desc, fn]) => [`leaf ${index} of ${size}: ${desc}`, fn] as const);
  });
  it.each(probes)('refuses %s', (_desc, fn) => {
    expect(outcome(fn)).toBe(REFUSED);
  });

  it('refuses an index not below the size and a one-leaf proof with a wrong hash size', () => {
    expect(outcome(() => verifyInclusion(0, 0, SOME_HASH, [], EMPTY_ROOT))).toBe(REFUSED);
    expect(outcome(() => verifyInclusion(2, 1, SOME_HASH, [], SOME_HASH))).toBe(REFUSED);
    expect(outcome(() => verifyInclusion(0, 1, Buffer.alloc(0), [], Buffer.alloc(0)))).toBe(REFUSED);
    expect(outcome(() => verifyInclusion(0, 1, SOME_HASH, [], SOME_HASH))).toBe('accepted');
  });
});

describe('RFC 9162 consistency proofs', () => {
  it.each(CONSISTENCY)('generates and verifies the published proof from %i to %i', (size1, size2, proof) => {
    expect(hexes(consistencyProof(leaves, size1, size2))).toEqual(proof);
    expect(outcome(() => verifyConsistency(size1, size2, proof.map(h), h(ROOTS[size1 - 1]!), h(ROOTS[size2 - 1]!)))).toBe('accepted');
  });

  const probes = CONSISTENCY.filter(([, , p]) => p.length > 0).flatMap(([size1, size2, hexProof]) => {
    const proof = hexProof.map(h);
    const r1 = h(ROOTS[size1 - 1]!);
    const r2 = h(ROOTS[size2 - 1]!);
    const v = (s1: number, s2: number, p: Buffer[], a: Buffer, b: Buffer) => () => verifyConsistency(s1, s2, p, a, b);
    const list: [string, () => void][] = [
      ['size1 - 1', v(size1 - 1, size2, proof, r1, r2)],
      ['size1 + 1', v(size1 + 1, size2, proof, r1, r2)],
      ['size1 ^ 2', v(size1 ^ 2, size2, proof, r1, r2)],
      ['size2 * 2', v(size1, size2 * 2, proof, r1, r2)],
      ['size2 / 2', v(size1, Math.floor(size2 / 2), proof, r1, r2)],
      ['wrong root1', v(size1, size2, proof, SOME_HASH, r2)],
      ['wrong root2', v(size1, size2, proof, r1, SOME_HASH)],
      ['swapped roots', v(size1, size2, proof, r2, r1)],
      ['empty proof', v(size1, size2, [], r1, r2)],
      ['trailing garbage', v(size1, size2, [...proof, Buffer.alloc(0)], r1, r2)],
      ['trailing root1 (proof not fully consumed)', v(size1, size2, [...proof, r1], r1, r2)],
      ['trailing root2 (proof not fully consumed)', v(size1, size2, [...proof, r2], r1, r2)],
      ['preceding garbage', v(size1, size2, [Buffer.alloc(0), ...proof], r1, r2)],
      ['preceding root1', v(size1, size2, [r1, ...proof], r1, r2)],
      ['preceding root2', v(size1, size2, [r2, ...proof], r1, r2)],
      ['preceding proof[0]', v(size1, size2, [proof[0]!, ...proof], r1, r2)],
      ['truncated proof', v(size1, size2, proof.slice(0, -1), r1, r2)],
      ['first size larger than the second', v(size2, size1, proof, r2, r1)],
      ...proof.map((_, i) => [`proof[${i}] bit 4 flipped`, () => {
        const p = proof.map((x) => Buffer.from(x));
        p[i]![0]! ^= 16;
        verifyConsistency(size1, size2, p, r1, r2);
      }] as [string, () => void]),
    ];
    return list.map(([desc, fn]) => [`${size1} to ${size2}: ${desc}`, fn] as const);
  });
  it.each(probes)('refuses %s', (_desc, fn) => {
    expect(outcome(fn)).toBe(REFUSED);
  });

  it('treats the trivial sizes as transparency-dev does', () => {
    const a = SOME_HASH;
    const b = createHash('sha256').update('other').digest();
    expect(outcome(() => verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT))).toBe('accepted');
    expect(outcome(() => verifyConsistency(0, 1, [], EMPTY_ROOT, b))).toBe('accepted');
    expect(outcome(() => verifyConsistency(1, 1, [], b, b))).toBe('accepted');
    expect(outcome(() => verifyConsistency(1, 1, [], a, b))).toBe(REFUSED);
    expect(outcome(() => verifyConsistency(1, 0, [], a, b))).toBe(REFUSED);
    expect(outcome(() => verifyConsistency(2, 1, [], a, b))).toBe(REFUSED);
    expect(outcome(() => verifyConsistency(1, 2, [], a, b))).toBe(REFUSED);
    expect(outcome(() => verifyConsistency(0, 1, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT))).toBe(REFUSED);
    expect(outcome(() => verifyConsistency(1, 1, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT))).toBe(REFUSED);
  });
});

/** MTH by the other construction: pair up each level left to right, promote an odd last node. */
function bruteForceRoot(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) return createHash('sha256').digest();
  let level = [...hashes];
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? createHash('sha256').update(Buffer.from([1])).update(level[i]!).update(level[i + 1]!).digest() : level[i]!);
    level = next;
  }
  return level[0]!;
}

describe('against a brute-force recomputation', () => {
  const many = Array.from({ length: 40 }, (_, i) => createHash('sha256').update(Buffer.from([0])).update(`entry ${i}`).digest());

  it('agrees on the root of every size 0..40, by recursion and by the frontier', () => {
    const f = new MerkleFrontier();
    for (let n = 0; n <= many.length; n++) {
      expect(treeHash(many, n).equals(bruteForceRoot(many.slice(0, n))), `size ${n}`).toBe(true);
      expect(f.root().equals(bruteForceRoot(many.slice(0, n))), `frontier ${n}`).toBe(true);
      if (n < many.length) f.append(many[n]!);
    }
  });

  it('verifies every inclusion proof of every leaf in every size up to 40, and refuses it one leaf over', () => {
    let checked = 0;
    for (let n = 1; n <= many.length; n++) {
      const root = bruteForceRoot(many.slice(0, n));
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(many, i, n);
        expect(outcome(() => verifyInclusion(i, n, many[i]!, proof, root)), `${i} of ${n}`).toBe('accepted');
        if (n > 1) expect(outcome(() => verifyInclusion(i, n, many[(i + 1) % n]!, proof, root)), `${i} of ${n}, wrong leaf`).toBe(REFUSED);
        checked++;
      }
    }
    expect(checked).toBe(820);
  });

  it('verifies every consistency proof between sizes up to 40, and refuses it against a changed old tree', () => {
    let checked = 0;
    for (let n = 1; n <= many.length; n++) {
      const r2 = bruteForceRoot(many.slice(0, n));
      for (let m = 1; m <= n; m++) {
        const r1 = bruteForceRoot(many.slice(0, m));
        const proof = consistencyProof(many, m, n);
        expect(outcome(() => verifyConsistency(m, n, proof, r1, r2)), `${m} to ${n}`).toBe('accepted');
        // A fork: the old tree's last leaf replaced.
        const forked = bruteForceRoot([...many.slice(0, m - 1), SOME_HASH]);
        if (m < n) expect(outcome(() => verifyConsistency(m, n, proof, forked, r2)), `${m} to ${n}, forked`).toBe(REFUSED);
        checked++;
      }
    }
    expect(checked).toBe(820);
  });
});
