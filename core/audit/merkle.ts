/**
 * The RFC 9162 (Certificate Transparency 2.0, section 2.1) Merkle tree over SHA-256:
 * tree hashes, inclusion and consistency proofs, generated and verified. Leaves are
 * given as their leaf hashes (`leafHash(entry)`), so that a log keeps 32 bytes per
 * record, never the records themselves.
 *
 * Verification follows the RFC's algorithms (2.1.3.2, 2.1.4.2) and refuses what known
 * verifier bugs accept: a proof that is not fully consumed, a first size larger than the
 * second, a proof element that is not 32 bytes.
 */
import { createHash } from 'node:crypto';
import { AuditErrors, CohortError } from '../errors/index.ts';

/** Bytes of a SHA-256 digest: every node, leaf and proof element. */
export const HASH_BYTES = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/** Leaf hash: SHA-256(0x00 || entry). */
export function leafHash(entry: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(entry).digest();
}

/** Interior node hash: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The largest power of two strictly smaller than n (n >= 2): the RFC's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkSize(leaves: readonly Uint8Array[], size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > leaves.length) {
    throw new RangeError(`${what} ${size} is outside the ${leaves.length} leaves given`);
  }
}

/** MTH(D[start:end]) over leaf hashes, by the RFC's recursive definition. */
function rangeHash(leaves: readonly Uint8Array[], start: number, end: number): Buffer {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return Buffer.from(leaves[start]!);
  const k = splitPoint(n);
  return nodeHash(rangeHash(leaves, start, start + k), rangeHash(leaves, start + k, end));
}

/** The Merkle Tree Hash of the first `size` leaves (all of them by default). */
export function treeHash(leaves: readonly Uint8Array[], size: number = leaves.length): Buffer {
  checkSize(leaves, size, 'tree size');
  return rangeHash(leaves, 0, size);
}

function path(leaves: readonly Uint8Array[], m: number, start: number, end: number): Buffer[] {
  const n = end - start;
  if (n <= 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...path(leaves, m, start, start + k), rangeHash(leaves, start + k, end)];
  return [...path(leaves, m - k, start + k, end), rangeHash(leaves, start, start + k)];
}

/** PATH(index, D[0:size]) of RFC 9162 2.1.3.1: the audit path of one leaf, leaf to root. */
export function inclusionProof(leaves: readonly Uint8Array[], index: number, size: number = leaves.length): Buffer[] {
  checkSize(leaves, size, 'tree size');
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new RangeError(`leaf index ${index} is not below tree size ${size}`);
  return path(leaves, index, 0, size);
}

function subproof(leaves: readonly Uint8Array[], m: number, start: number, end: number, complete: boolean): Buffer[] {
  const n = end - start;
  if (m === n) return complete ? [] : [rangeHash(leaves, start, end)];
  const k = splitPoint(n);
  if (m <= k) return [...subproof(leaves, m, start, start + k, complete), rangeHash(leaves, start + k, end)];
  return [...subproof(leaves, m - k, start + k, end, false), rangeHash(leaves, start, start + k)];
}

/** PROOF(size1, D[0:size2]) of RFC 9162 2.1.4.1; empty when size1 is 0 or equals size2. */
export function consistencyProof(leaves: readonly Uint8Array[], size1: number, size2: number = leaves.length): Buffer[] {
  checkSize(leaves, size2, 'second tree size');
  if (!Number.isSafeInteger(size1) || size1 < 0 || size1 > size2) throw new RangeError(`first tree size ${size1} is not within 0..${size2}`);
  if (size1 === 0 || size1 === size2) return [];
  return subproof(leaves, size1, 0, size2, true);
}

function invalid(message: string, details: Record<string, unknown>): CohortError {
  return new CohortError(AuditErrors.PROOF_INVALID, message, { details });
}

function checkHashes(proof: readonly Uint8Array[], ...hashes: Uint8Array[]): void {
  for (const [i, p] of proof.entries()) {
    if (p.length !== HASH_BYTES) throw invalid(`proof element ${i} is ${p.length} bytes, not ${HASH_BYTES}`, { element: i, bytes: p.length });
  }
  for (const h of hashes) if (h.length !== HASH_BYTES) throw invalid(`a hash is ${h.length} bytes, not ${HASH_BYTES}`, { bytes: h.length });
}

const isSize = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/**
 * The root an inclusion proof leads to (RFC 9162 2.1.3.2, steps 1-5 less the final
 * comparison). Throws COHORT_E_AUDIT_PROOF_INVALID when the index is not below the size
 * or the proof has too many or too few elements for that position.
 */
export function rootFromInclusionProof(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[]): Buffer {
  if (!isSize(index) || !isSize(size) || index >= size) throw invalid(`leaf index ${index} is not below tree size ${size}`, { index, size });
  checkHashes(proof, leaf);
  // Sizes stay below 2^53, so halving plain numbers is exact.
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) throw invalid(`inclusion proof for leaf ${index} of ${size} has ${proof.length} elements: too many`, { index, size, elements: proof.length });
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw invalid(`inclusion proof for leaf ${index} of ${size} has ${proof.length} elements: too few`, { index, size, elements: proof.length });
  return r;
}

/** Checks that `leaf` is at `index` of the tree of `size` leaves whose root is `root`; throws COHORT_E_AUDIT_PROOF_INVALID otherwise. */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  checkHashes([], root);
  const got = rootFromInclusionProof(index, size, leaf, proof);
  if (!got.equals(root)) throw invalid(`inclusion proof for leaf ${index} of ${size} leads to another root`, { index, size });
}

/**
 * Checks that the tree of `size1` leaves with root `root1` is a prefix of the tree of
 * `size2` leaves with root `root2` (RFC 9162 2.1.4.2). Throws COHORT_E_AUDIT_PROOF_INVALID
 * when size1 > size2, when the proof is not exactly as long as the sizes need (every
 * element consumed), or when either root disagrees.
 */
export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): void {
  const at = { size1, size2 };
  if (!isSize(size1) || !isSize(size2)) throw invalid(`tree sizes ${size1} and ${size2} must be non-negative integers`, at);
  if (size1 > size2) throw invalid(`first tree size ${size1} is larger than the second, ${size2}`, at);
  checkHashes(proof, root1, root2);
  if (size1 === size2) {
    if (proof.length !== 0) throw invalid(`consistency proof between equal sizes ${size1} must be empty, has ${proof.length} elements`, at);
    if (!Buffer.from(root1).equals(root2)) throw invalid(`trees of equal size ${size1} have different roots`, at);
    return;
  }
  if (size1 === 0) {
    // The empty tree is a prefix of every tree; its root is SHA-256("").
    if (proof.length !== 0) throw invalid(`consistency proof from the empty tree must be empty, has ${proof.length} elements`, at);
    if (!EMPTY_ROOT.equals(root1)) throw invalid('the first root is not the empty tree\'s root', at);
    return;
  }
  if (proof.length === 0) throw invalid(`consistency proof from ${size1} to ${size2} is empty`, at);
  // When size1 is a power of two the old tree is a complete subtree: its root starts the chain.
  const chain = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Buffer = Buffer.from(chain[0]!);
  let sr: Buffer = Buffer.from(chain[0]!);
  for (const c of chain.slice(1)) {
    if (sn === 0) throw invalid(`consistency proof from ${size1} to ${size2} has ${proof.length} elements: too many`, { ...at, elements: proof.length });
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw invalid(`consistency proof from ${size1} to ${size2} has ${proof.length} elements: too few`, { ...at, elements: proof.length });
  if (!fr.equals(root1)) throw invalid(`consistency proof from ${size1} to ${size2} does not lead to the first root`, at);
  if (!sr.equals(root2)) throw invalid(`consistency proof from ${size1} to ${size2} does not lead to the second root`, at);
}

function isPowerOfTwo(n: number): boolean {
  let m = n;
  while (m > 1 && m % 2 === 0) m /= 2;
  return m === 1;
}

/**
 * The compact range of a growing tree: the roots of its perfect subtrees, largest first
 * (one per set bit of the size). Appending is O(log n) and so is the root, so a writer
 * keeps O(log n) hashes in memory however long its log.
 */
export class MerkleFrontier {
  private readonly nodes: { size: number; hash: Buffer }[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  append(leaf: Uint8Array): void {
    let node: { size: number; hash: Buffer } = { size: 1, hash: Buffer.from(leaf) };
    // Two perfect subtrees of equal size merge into one twice as big, as binary carry does.
    for (let last = this.nodes.at(-1); last !== undefined && last.size === node.size; last = this.nodes.at(-1)) {
      this.nodes.pop();
      node = { size: node.size * 2, hash: nodeHash(last.hash, node.hash) };
    }
    this.nodes.push(node);
    this.count += 1;
  }

  /** MTH of the leaves appended so far: the subtree roots folded from the right. */
  root(): Buffer {
    if (this.nodes.length === 0) return EMPTY_ROOT;
    let r = this.nodes.at(-1)!.hash;
    for (let i = this.nodes.length - 2; i >= 0; i--) r = nodeHash(this.nodes[i]!.hash, r);
    return r;
  }
}
