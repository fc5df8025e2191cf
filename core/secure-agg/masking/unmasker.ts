/**
 * The coordinator removes the masks from the encrypted sum without any key: it computes the
 * sum of the masks left in, -sum_{u in U} PRG(b_u) minus each survivor's pairwise masks with
 * the dropped sites, as a plaintext per ciphertext, and adds it (SEAL add_plain). Pairwise
 * masks between survivors cancel in the sum and are never computed, so nothing here opens a
 * single survivor's update. Streams chunk by chunk; holds |U| + |U|*|D| 32-byte seeds.
 *
 * Like the adder, it never names a decryptor, key generator or HE secret key; a test reads its
 * import graph to keep it that way.
 */
import { CohortError, SecureAggErrors } from '../../errors/index.ts';
import type { BfvCodecDescriptor } from '../../update-codec/types.ts';
import { checkChunkHeader, readChunk, writeChunk } from '../chunk-format.ts';
import { ciphertextsInChunk, layoutOf, type BfvLayout } from '../layout.ts';
import { createRunContext, loadCiphertext, type BfvContext } from '../seal-context.ts';
import { deleteAll, type SealCipherText, type SealEvaluator, type SealLibrary } from '../seal-library.ts';
import { MaskPrg, maskModulus } from './prg.ts';
import type { PublicMaskKeys, RebuiltSecrets } from './reconstruct.ts';
import { pairSeed, pairSign, selfMaskKey, x25519PublicOf, type MaskRoundContext } from './seeds.ts';

export class BfvChunkUnmasker {
  private readonly layout: BfvLayout;
  private readonly prg: MaskPrg;
  private readonly removals: { seed: Buffer; sign: 1 | -1 }[] = [];
  private bfv: BfvContext | undefined;
  private evaluator: SealEvaluator | undefined;
  private batch: ReturnType<SealLibrary['BatchEncoder']> | undefined;

  constructor(
    private readonly seal: SealLibrary,
    readonly descriptor: BfvCodecDescriptor,
    context: MaskRoundContext,
    members: readonly PublicMaskKeys[],
    private readonly secrets: RebuiltSecrets,
  ) {
    this.layout = layoutOf(descriptor);
    this.prg = new MaskPrg(maskModulus(descriptor.plainModulus), descriptor.polyModulusDegree);
    const byName = new Map(members.map((m) => [m.site, m]));
    for (const u of secrets.survivors) {
      const seed = secrets.selfSeeds.get(u);
      if (seed === undefined) throw new RangeError(`no self-mask seed for survivor ${u}`);
      this.removals.push({ seed: selfMaskKey(context, u, seed), sign: -1 });
    }
    for (const d of secrets.dropped) {
      const privateDer = secrets.droppedMaskKeys.get(d);
      if (privateDer === undefined) throw new RangeError(`no mask key for dropped site ${d}`);
      const me = { site: d, privateDer, publicDer: x25519PublicOf(privateDer) };
      for (const u of secrets.survivors) {
        const other = byName.get(u);
        if (other === undefined) throw new RangeError(`survivor ${u} is not in the cohort`);
        // u added pairSign(u, d) * PRG(s_ud); remove it.
        this.removals.push({ seed: pairSeed(context, me, { site: u, publicDer: other.maskPublicKeyDer }), sign: pairSign(u, d) === 1 ? -1 : 1 });
      }
    }
    this.bfv = createRunContext(seal, descriptor);
    this.evaluator = seal.Evaluator(this.bfv.context);
    this.batch = seal.BatchEncoder(this.bfv.context);
  }

  /** The plaintext correction for global ciphertext `g`, residues mod t (exposed for tests). */
  correction(g: number): Float64Array {
    const acc = new Float64Array(this.descriptor.polyModulusDegree);
    const every = this.prg.maxTermsBeforeReduce;
    let terms = 0;
    for (const r of this.removals) {
      if (terms >= every) {
        this.prg.reduce(acc);
        terms = 1;
      }
      this.prg.accumulate(r.seed, g, r.sign, acc);
      terms++;
    }
    this.prg.reduce(acc);
    return acc;
  }

  /**
   * Unmasks summed chunk `index`. Refuses (SECURE_AGG_AGGREGATE_INCONSISTENT) a chunk that does
   * not sum exactly the survivors.
   */
  unmask(chunk: Uint8Array, index: number): Uint8Array {
    const { bfv, evaluator, batch } = this.live();
    const where = `summed chunk ${index}`;
    const parsed = readChunk(chunk, where);
    const d = this.descriptor;
    checkChunkHeader(parsed.header, { index, paramsId: d.paramsId, ciphertextCount: ciphertextsInChunk(this.layout, index), maxSummands: d.maxSummands }, where);
    if (parsed.header.summands !== this.secrets.survivors.length) {
      throw new CohortError(SecureAggErrors.AGGREGATE_INCONSISTENT, `${where} sums ${parsed.header.summands} updates, the round has ${this.secrets.survivors.length} survivors`, {
        details: { index, summands: parsed.header.summands, survivors: this.secrets.survivors.length },
      });
    }
    const n = d.polyModulusDegree;
    const slots = new BigInt64Array(n);
    const plain = this.seal.PlainText();
    const out: Uint8Array[] = [];
    try {
      for (const [c, bytes] of parsed.ciphertexts.entries()) {
        const corr = this.correction(index * this.layout.ciphertextsPerChunk + c);
        for (let i = 0; i < n; i++) slots[i] = BigInt(corr[i] as number);
        batch.encode(slots, plain);
        let ct: SealCipherText | undefined;
        try {
          ct = loadCiphertext(this.seal, bfv.context, bytes, `${where}, ciphertext ${c}`);
          evaluator.addPlain(ct, plain, ct);
          out.push(ct.saveArray(this.seal.ComprModeType.none));
        } finally {
          deleteAll(ct);
        }
      }
    } finally {
      plain.delete();
    }
    return writeChunk(parsed.header, out);
  }

  dispose(): void {
    for (const r of this.removals) r.seed.fill(0);
    deleteAll(this.batch, this.evaluator, this.bfv?.context, this.bfv?.parms);
    this.batch = undefined;
    this.evaluator = undefined;
    this.bfv = undefined;
  }

  private live(): { bfv: BfvContext; evaluator: SealEvaluator; batch: ReturnType<SealLibrary['BatchEncoder']> } {
    if (this.bfv === undefined || this.evaluator === undefined || this.batch === undefined) throw new Error('BfvChunkUnmasker used after dispose()');
    return { bfv: this.bfv, evaluator: this.evaluator, batch: this.batch };
  }
}
