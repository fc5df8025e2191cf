/**
 * ServedTree (coordinator/server/audit-service.ts) computes RFC 9162 roots, inclusion and
 * consistency proofs from cached subtree hashes; here every one of them, for every tree size up
 * to 70 (several non-powers of two and every index and first size), is compared byte for byte
 * with core/audit/merkle.ts's, and verified with merkle.ts's verifiers.
 */
import { describe, expect, it } from 'vitest';
import { ServedTree } from '../../coordinator/server/audit-service.ts';
import { consistencyProof, inclusionProof, leafHash, treeHash, verifyConsistency, verifyInclusion } from '../../core/audit/merkle.ts';

const leaves = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from(`record ${i}`, 'utf8')));

describe('ServedTree: the same proofs as merkle.ts, from cached subtree hashes', () => {
  it('every root, inclusion proof and consistency proof up to 70 leaves equals merkle.ts\'s', () => {
    const hex = (proof: readonly Buffer[]): string => proof.map((b) => b.toString('hex')).join(',');
    const tree = new ServedTree();
    let compared = 0;
    // As the tree grows: its root and every leaf's proof at the full size.
    for (const leaf of leaves) {
      tree.append(leaf);
      const n = tree.size;
      expect(tree.root().equals(treeHash(leaves, n))).toBe(true);
      for (let index = 0; index < n; index++) {
        const p = tree.inclusionProof(index, n);
        expect(hex(p)).toBe(hex(inclusionProof(leaves, index, n)));
        compared++;
      }
      verifyInclusion(n - 1, n, leaves[n - 1]!, tree.inclusionProof(n - 1, n), treeHash(leaves, n));
    }
    // Grown: every earlier size, every index and every pair of sizes.
    for (let size2 = 0; size2 <= leaves.length; size2++) {
      expect(tree.root(size2).equals(treeHash(leaves, size2))).toBe(true);
      for (let index = 0; index < size2; index++) {
        expect(hex(tree.inclusionProof(index, size2))).toBe(hex(inclusionProof(leaves, index, size2)));
        compared++;
      }
      for (let size1 = 0; size1 <= size2; size1++) {
        const c = tree.consistencyProof(size1, size2);
        expect(hex(c)).toBe(hex(consistencyProof(leaves, size1, size2)));
        verifyConsistency(size1, size2, c, treeHash(leaves, size1), treeHash(leaves, size2));
        compared++;
      }
    }
    // 2485 growing, 2485 inclusion and 2556 consistency proofs compared.
    expect(compared).toBe(2485 + 2485 + 2556);
  });

  it('refuses sizes and indexes outside the leaves held, as merkle.ts does', () => {
    const tree = new ServedTree();
    for (const leaf of leaves.slice(0, 5)) tree.append(leaf);
    expect(() => tree.inclusionProof(5, 5)).toThrow(RangeError);
    expect(() => tree.inclusionProof(0, 6)).toThrow(RangeError);
    expect(() => tree.consistencyProof(4, 6)).toThrow(RangeError);
    expect(() => tree.consistencyProof(5, 4)).toThrow(RangeError);
  });
});
