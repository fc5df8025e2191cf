/**
 * The site-level figures of core/privacy/site-adjacency.ts against the formulas, each
 * recomputed here: the multipliers by hand, then the project's RDP accountant at sampling
 * rate 1 over R rounds; and one figure against the closed form of the Gaussian mechanism
 * (RDP a R / (2 m^2), converted to epsilon by hand).
 */
import { describe, expect, it } from 'vitest';
import { computeEpsilon, DEFAULT_RDP_ORDERS } from '../../../core/privacy/index.ts';
import { ENCRYPTED_SUMS_VERIFIED, participantsFactor, siteLevelFigures } from '../../../core/privacy/site-adjacency.ts';

const DELTA = 1e-5;
const ROUNDS = 20;
const accountant = (sigma: number): number => computeEpsilon({ q: 1, sigma, steps: ROUNDS, delta: DELTA }).epsilon;

/** epsilon of R rounds of the Gaussian mechanism of multiplier m, from its RDP a R / (2 m^2) and the conversion of docs/privacy-accounting.md. */
function closedForm(m: number, rounds: number, delta: number): number {
  let best = Infinity;
  for (const a of DEFAULT_RDP_ORDERS) {
    if (!(a > 1.01)) continue;
    const rdp = (a * rounds) / (2 * m * m);
    if (delta * delta + Math.expm1(-rdp) > 0) return 0;
    best = Math.min(best, Math.max(0, rdp + Math.log((a - 1) / a) - (Math.log(delta) + Math.log(a)) / (a - 1)));
  }
  return best;
}

describe('siteLevelFigures', () => {
  it('fixed clipping, encrypted: zero-out z, replace-one z / 2, participants z sqrt((m - 1) / m), coordinator z / sqrt(m) while sums are unverified', () => {
    const z = 1.2;
    const f = siteLevelFigures({ site: { noiseMultiplier: z, clipNorm: 0.5 }, rounds: ROUNDS, minSites: 3, delta: DELTA });
    expect(ENCRYPTED_SUMS_VERIFIED).toBe(false);
    expect(f.multipliers).toEqual({ zeroOut: z, replaceOne: z / 2, againstParticipants: z * Math.sqrt(2 / 3), againstCoordinator: z / Math.sqrt(3), forPatients: z / 2 / Math.sqrt(3) });
    expect(f.epsilon).toBe(accountant(z));
    expect(f.epsilonReplaceOne).toBe(accountant(z / 2));
    expect(f.epsilonAgainstParticipants).toBe(accountant(z * Math.sqrt(2 / 3)));
    // The coordinator can pass one site's ciphertext off as a sum of three: z / sqrt(3) against it, under encryption too.
    expect(f.epsilonAgainstCoordinator).toBe(accountant(z / Math.sqrt(3)));
    expect(f.chargedEpsilon).toBe(f.epsilonAgainstCoordinator);
    expect(f.chargedAgainst).toBe('coordinator');
    // A patient's record is replace-one within its site, against the same observer.
    expect(f.epsilonForPatients).toBe(accountant(z / 2 / Math.sqrt(3)));
    expect(f.epsilonForPatients).toBeGreaterThan(f.chargedEpsilon);
    expect(f).toMatchObject({ noiseMultiplier: z, updateNoiseMultiplier: z, rounds: ROUNDS, minSites: 3, delta: DELTA, exposure: 'encrypted' });
    expect(f).not.toHaveProperty('countNoiseMultiplier');
    // Ordering: the participant view is weaker than the aggregate's, replace-one weaker still here.
    expect(f.epsilon).toBeLessThan(f.epsilonAgainstParticipants);
    expect(f.epsilonAgainstParticipants).toBeLessThan(f.epsilonReplaceOne);
  });

  it('equals the closed form of the Gaussian mechanism: RDP a R / (2 m^2) composed and converted by hand', () => {
    const f = siteLevelFigures({ site: { noiseMultiplier: 1.2, clipNorm: 0.5 }, rounds: ROUNDS, minSites: 3, delta: DELTA });
    expect(f.epsilon).toBeCloseTo(closedForm(1.2, ROUNDS, DELTA), 12);
    expect(f.epsilonReplaceOne).toBeCloseTo(closedForm(0.6, ROUNDS, DELTA), 12);
    expect(f.epsilonAgainstParticipants).toBeCloseTo(closedForm(1.2 * Math.sqrt(2 / 3), ROUNDS, DELTA), 12);
    // A hand check of one point: 20 rounds at z = 1.2, delta 1e-5, gives epsilon about 20.
    expect(f.epsilon).toBeGreaterThan(15);
    expect(f.epsilon).toBeLessThan(25);
  });

  it('adaptive clipping: zero-out z^-2 = z_u^-2 + (2 sigma_b)^-2, replace-one (z_u / 2)^-2 + sigma_b^-2', () => {
    const z = 1;
    const sigmaB = 5;
    const zU = (z ** -2 - (2 * sigmaB) ** -2) ** -0.5;
    const zReplace = ((zU / 2) ** -2 + sigmaB ** -2) ** -0.5;
    const f = siteLevelFigures({
      site: { noiseMultiplier: z, clipNorm: 0.1, adaptive: { targetQuantile: 0.5, learningRate: 0.2, countNoiseMultiplier: sigmaB, maxClipNorm: 10 } },
      rounds: ROUNDS,
      minSites: 2,
      delta: DELTA,
    });
    expect(f.updateNoiseMultiplier).toBeCloseTo(zU, 14);
    expect(f.countNoiseMultiplier).toBe(sigmaB);
    // Zero-out recombines to the total z exactly as the spec states it.
    expect((zU ** -2 + (2 * sigmaB) ** -2) ** -0.5).toBeCloseTo(z, 14);
    expect(f.epsilon).toBe(accountant(z));
    expect(f.multipliers.replaceOne).toBeCloseTo(zReplace, 14);
    expect(f.epsilonReplaceOne).toBeCloseTo(accountant(zReplace), 10);
    // Both sensitivities double, so replace-one is z / 2 as with fixed clipping:
    // 4 z_u^-2 + sigma_b^-2 = 4 (z^-2 - (2 sigma_b)^-2) + sigma_b^-2 = 4 z^-2.
    expect(zReplace).toBeCloseTo(z / 2, 14);
    expect(f.epsilonAgainstParticipants).toBe(accountant(z * Math.SQRT1_2));
    expect(f.chargedEpsilon).toBe(f.epsilonAgainstCoordinator);
    expect(f.epsilonForPatients).toBeCloseTo(accountant(z / 2 / Math.SQRT2), 10);
  });

  it('plain codec: the coordinator sees each update with its own share, z / sqrt(minSites), and that is charged', () => {
    const z = 2;
    const f = siteLevelFigures({ site: { noiseMultiplier: z, clipNorm: 1 }, rounds: ROUNDS, minSites: 4, delta: DELTA, exposure: 'plaintext' });
    expect(f.multipliers.againstCoordinator).toBe(z / 2);
    expect(f.epsilonAgainstCoordinator).toBe(accountant(z / 2));
    expect(f.chargedEpsilon).toBe(f.epsilonAgainstCoordinator);
    expect(f.chargedAgainst).toBe('coordinator');
    expect(f.chargedEpsilon).toBeGreaterThan(f.epsilonAgainstParticipants);
    expect(f.epsilonForPatients).toBe(accountant(z / 2 / 2));
  });

  it('minSites 1: a round with another participant has two sites, each adding all of z', () => {
    expect(participantsFactor(1)).toBe(1);
    expect(participantsFactor(2)).toBeCloseTo(Math.SQRT1_2, 15);
    const f = siteLevelFigures({ site: { noiseMultiplier: 1, clipNorm: 1 }, rounds: 5, minSites: 1, delta: DELTA, exposure: 'plaintext' });
    expect(f.epsilonAgainstParticipants).toBe(f.epsilon);
    expect(f.epsilonAgainstCoordinator).toBe(f.epsilon);
  });

  it('is unbounded without noise and refuses bad inputs by name', () => {
    const f = siteLevelFigures({ site: { noiseMultiplier: 0, clipNorm: 1 }, rounds: 3, minSites: 2, delta: DELTA });
    expect([f.epsilon, f.epsilonReplaceOne, f.epsilonAgainstParticipants, f.chargedEpsilon]).toEqual([Infinity, Infinity, Infinity, Infinity]);
    expect(() => siteLevelFigures({ site: { noiseMultiplier: 1, clipNorm: 1 }, rounds: 3, minSites: 0, delta: DELTA })).toThrow(
      expect.objectContaining({ code: 'COHORT_E_PRIVACY_INVALID_ARGUMENT', message: 'minSites: expected a positive integer, got 0' }),
    );
  });
});
