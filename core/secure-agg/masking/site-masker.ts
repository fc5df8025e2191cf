/**
 * A site's mask for one round: PRG(b_u) + sum_{v>u} PRG(s_uv) - sum_{v<u} PRG(s_uv) mod t,
 * block by block (one block of N slots per ciphertext), for the encoder to add to the
 * quantized slots before encryption. Holds the n - 1 pairwise seeds and the self-mask key
 * (32 bytes each), never a whole mask vector.
 */
import { MaskPrg, maskModulus } from './prg.ts';
import type { ConfirmedCohort, RoundMaskSecrets } from './protocol.ts';
import { pairSeed, pairSign, selfMaskKey, x25519PublicOf } from './seeds.ts';

/** Adds a mask to one ciphertext's slots (residues mod t). */
export interface SlotMask {
  /** The plaintext modulus the mask works mod. */
  readonly t: number;
  /** Adds the mask of ciphertext `ciphertextIndex` to `slots` (length N, residues in [0, t)). */
  addBlock(ciphertextIndex: number, slots: Float64Array): void;
}

export class SiteMasker implements SlotMask {
  readonly t: number;
  private readonly prg: MaskPrg;
  private readonly selfKey: Buffer;
  private readonly pairs: { seed: Buffer; sign: 1 | -1 }[];

  constructor(secrets: RoundMaskSecrets, cohort: ConfirmedCohort, codec: { plainModulus: string; polyModulusDegree: number }) {
    this.t = maskModulus(codec.plainModulus);
    this.prg = new MaskPrg(this.t, codec.polyModulusDegree);
    const c = cohort.context;
    if (!cohort.members.some((m) => m.site === secrets.site)) throw new RangeError(`site ${secrets.site} is not in the round's cohort`);
    if (!Array.isArray(cohort.signatures) || cohort.signatures.length !== cohort.members.length || cohort.signatures.some((x) => x.cohort !== cohort.digest)) {
      throw new RangeError('the cohort is not confirmed by every member (confirmCohort): a site masks only over a cohort all members signed');
    }
    const me = { site: secrets.site, privateDer: secrets.maskPrivateKey, publicDer: x25519PublicOf(secrets.maskPrivateKey) };
    this.selfKey = selfMaskKey(c, secrets.site, secrets.selfSeed);
    this.pairs = cohort.members
      .filter((m) => m.site !== secrets.site)
      .map((m) => ({ seed: pairSeed(c, me, { site: m.site, publicDer: m.maskPublicKeyDer }), sign: pairSign(secrets.site, m.site) }));
  }

  addBlock(ciphertextIndex: number, slots: Float64Array): void {
    const every = this.prg.maxTermsBeforeReduce;
    this.prg.accumulate(this.selfKey, ciphertextIndex, 1, slots);
    let terms = 2; // the residues already there, and the self-mask
    for (const p of this.pairs) {
      if (terms >= every) {
        this.prg.reduce(slots);
        terms = 1;
      }
      this.prg.accumulate(p.seed, ciphertextIndex, p.sign, slots);
      terms++;
    }
    this.prg.reduce(slots);
  }

  /** Wipes the seeds once the upload is done. */
  dispose(): void {
    this.selfKey.fill(0);
    for (const p of this.pairs) p.seed.fill(0);
  }
}
