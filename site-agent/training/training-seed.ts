/** The seed of one site's local training in one round: batch order and dropout masks. */
import { createHash } from 'node:crypto';
import { deriveSeed } from '../../models/seeded-random.ts';

/** Same for a (spec seed, round, site) everywhere; different between sites and rounds. */
export function trainingSeed(specSeed: number, round: number, site: string): number {
  return deriveSeed(specSeed, round, createHash('sha256').update(site).digest().readUInt32BE(0));
}
