/**
 * One synthetic cardiology patient: clinical features shaped like the UCI heart-disease
 * data, a label drawn from a known logistic model of those features, and fake identifiers
 * (a name, an MRN, a date of birth, a ZIP code and a phone number) of the kind a real
 * export carries. Everything comes from a seeded PRNG; nothing is real.
 */
import type { Rng } from '../../models/seeded-random.ts';

/** A hospital's case mix: what makes the federation non-IID. */
export interface HospitalProfile {
  readonly ageMean: number;
  readonly ageSd: number;
  /** Share of male patients. */
  readonly male: number;
  /** Chest-pain type 1..4 probabilities. */
  readonly cp: readonly [number, number, number, number];
  /** Resting ECG 0..2 probabilities. */
  readonly restecg: readonly [number, number, number];
  /** Added to the label's logit: shifts the prevalence. */
  readonly logitShift: number;
  /** Measurement shifts (different devices and lab calibrations). */
  readonly bpShift: number;
  readonly cholShift: number;
  readonly hrShift: number;
}

/** Four base case mixes, loosely after Cleveland, Budapest, Zurich and Long Beach. */
export const BASE_PROFILES: readonly HospitalProfile[] = [
  { ageMean: 54, ageSd: 9, male: 0.68, cp: [0.08, 0.17, 0.28, 0.47], restecg: [0.5, 0.02, 0.48], logitShift: 0.1, bpShift: 0, cholShift: 0, hrShift: 0 },
  { ageMean: 48, ageSd: 8, male: 0.72, cp: [0.04, 0.36, 0.19, 0.41], restecg: [0.8, 0.16, 0.04], logitShift: 0, bpShift: 2, cholShift: 5, hrShift: 8 },
  { ageMean: 56, ageSd: 9, male: 0.9, cp: [0.03, 0.05, 0.14, 0.78], restecg: [0.6, 0.25, 0.15], logitShift: -0.7, bpShift: -4, cholShift: -25, hrShift: -12 },
  { ageMean: 59, ageSd: 8, male: 0.95, cp: [0.03, 0.07, 0.24, 0.66], restecg: [0.4, 0.4, 0.2], logitShift: -0.8, bpShift: 3, cholShift: 10, hrShift: -15 },
];

/** A base profile nudged by the seed, so sites beyond the fourth differ too. */
export function jitterProfile(base: HospitalProfile, random: Rng, amount: number): HospitalProfile {
  const j = (scale: number): number => (random() * 2 - 1) * scale * amount;
  return {
    ...base,
    ageMean: base.ageMean + j(4),
    male: Math.min(0.97, Math.max(0.3, base.male + j(0.1))),
    logitShift: base.logitShift + j(0.4),
    bpShift: base.bpShift + j(4),
    cholShift: base.cholShift + j(15),
    hrShift: base.hrShift + j(6),
  };
}

/** The clinical part of a record, in spec names. */
export interface ClinicalValues {
  readonly age: number;
  readonly sex: number;
  readonly cp: number;
  readonly trestbps: number;
  readonly chol: number;
  readonly fbs: number;
  readonly restecg: number;
  readonly thalach: number;
  readonly exang: number;
  readonly oldpeak: number;
  readonly disease: number;
}

/** The fake identifiers a real export carries. */
export interface FakeIdentifiers {
  readonly name: string;
  readonly mrn: string;
  readonly dob: string;
  readonly zip: string;
  readonly phone: string;
}

/** Uniform integer in [0, n). */
export const randomInt = (random: Rng, n: number): number => Math.floor(random() * n);

/** Standard normal draw (Box-Muller); 1 - u keeps the logarithm's argument in (0, 1]. */
function normal(random: Rng): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
const bernoulli = (random: Rng, p: number): number => (random() < p ? 1 : 0);

function pick(random: Rng, probabilities: readonly number[]): number {
  let u = random() * probabilities.reduce((a, b) => a + b, 0);
  for (let i = 0; i < probabilities.length; i++) {
    u -= probabilities[i] ?? 0;
    if (u < 0) return i;
  }
  return probabilities.length - 1;
}

/**
 * The label model: a logistic function of the features, so logistic regression on the
 * spec's design matrix is the right model class (the test checks that this logit itself
 * classifies 0.75 to 0.9 of each base hospital's patients correctly).
 */
export function diseaseLogit(v: Omit<ClinicalValues, 'disease'>, shift: number): number {
  return (
    -2.3 +
    shift +
    0.06 * (v.age - 54) +
    1.3 * v.sex +
    [0, -0.35, -0.25, 1.9][v.cp - 1]! +
    0.024 * (v.trestbps - 131) +
    0.007 * (v.chol - 240) +
    0.35 * v.fbs +
    [0, 0.5, 0.5][v.restecg]! -
    0.036 * (v.thalach - 145) +
    1.2 * v.exang +
    0.85 * (v.oldpeak - 1)
  );
}

/** Draws one patient's clinical values and label under a hospital profile. */
export function drawClinical(random: Rng, p: HospitalProfile): ClinicalValues {
  const age = Math.round(clamp(p.ageMean + p.ageSd * normal(random), 29, 79));
  const sex = bernoulli(random, p.male);
  const cp = pick(random, p.cp) + 1;
  const trestbps = Math.round(clamp(131 + p.bpShift + 0.3 * (age - 54) + 17 * normal(random), 90, 200));
  const chol = Math.round(clamp(246 + p.cholShift + 0.5 * (age - 54) + 50 * normal(random), 120, 560));
  const fbs = bernoulli(random, 0.15);
  const restecg = pick(random, p.restecg);
  const thalach = Math.round(clamp(150 + p.hrShift - 0.9 * (age - 54) + 20 * normal(random), 70, 202));
  const exang = bernoulli(random, cp === 4 ? 0.55 : 0.15);
  const oldpeak = Math.round(clamp(0.8 + 0.6 * exang + normal(random), 0, 6.2) * 10) / 10;
  const values = { age, sex, cp, trestbps, chol, fbs, restecg, thalach, exang, oldpeak };
  const probability = 1 / (1 + Math.exp(-diseaseLogit(values, p.logitShift)));
  return { ...values, disease: bernoulli(random, probability) };
}

const LAST_NAMES = ['Testperson', 'Samplewell', 'Mockridge', 'Fakeley', 'Synthson', 'Placeholder', 'Dummington', 'Fictitia', 'Notreal', 'Exampleton'];
const FIRST_NAMES = ['Alex', 'Sam', 'Jordan', 'Taylor', 'Morgan', 'Casey', 'Riley', 'Jamie', 'Avery', 'Quinn'];

/** The day every synthetic age is counted back from (fixed, so files do not change with the clock). */
const REFERENCE_DAY_MS = Date.UTC(2024, 5, 30);
const DAY_MS = 86_400_000;

/**
 * Obviously fake identifiers: made-up surnames, "SYN" MRNs, ZIP codes 000xx (no such US
 * ZIP), phone numbers in the 555-0100..0199 range reserved for fiction, and a date of
 * birth consistent with the patient's age.
 */
export function drawIdentifiers(random: Rng, siteCode: string, index: number, age: number): FakeIdentifiers {
  const last = LAST_NAMES[randomInt(random, LAST_NAMES.length)]!;
  const first = FIRST_NAMES[randomInt(random, FIRST_NAMES.length)]!;
  const born = new Date(REFERENCE_DAY_MS - (age * 365.25 + randomInt(random, 365)) * DAY_MS);
  return {
    name: `${last}, ${first}`,
    mrn: `SYN${siteCode}${String(index + 1).padStart(7, '0')}`,
    dob: born.toISOString().slice(0, 10),
    zip: `000${String(randomInt(random, 100)).padStart(2, '0')}`,
    phone: `(${200 + randomInt(random, 800)}) 555-01${String(randomInt(random, 100)).padStart(2, '0')}`,
  };
}
