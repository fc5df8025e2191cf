/**
 * Safe Harbor kind A (names) in cells: whole cells that are a person's name and names inside
 * free text, found with the first-name and surname dictionaries (name-dictionary.ts) and
 * with the context that marks a name whatever its spelling: a title (Mr., Mrs., Dr.), a
 * kinship word ("daughter Maria", "her husband, Tomas"), "named"/"name is".
 */
import { nameDictionary } from './name-dictionary.ts';
import { titleCaseShouting, type ContentRule } from './phi-shapes.ts';

/** A word with a capital first and a lower-case letter in it: "Maria", "O'Brien", "McDonald", "DeShawn", "José", "Smith-Jones". */
const CAPITALISED = { test: (w: string): boolean => /^\p{Lu}[\p{L}'’-]*$/u.test(w) && /\p{Ll}/u.test(w) };
const ALL_CAPS = /^\p{Lu}{2,}(?:['’-]\p{Lu}+)*$/u;

/** The dictionary key of a word: accents stripped, lower case, apostrophes dropped ("O'Brien" -> "obrien", "García" -> "garcia"). */
export const nameKey = (word: string): string => word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/['’]/g, '');

/** True when the word, or a part of 3 or more letters of a hyphenated one ("Jean-Pierre", "Al-Rashid"), is in the set. */
function inNames(set: ReadonlySet<string>, word: string): boolean {
  const key = nameKey(word);
  return set.has(key) || (key.includes('-') && key.split('-').some((part) => part.length >= 3 && set.has(part)));
}

interface Token {
  readonly text: string;
  readonly lower: string;
}

let lastTokens: { text: string; tokens: Token[] } | undefined;

/** Words and single other characters; the rules of one cell ask one after the other, so the last cell's are kept. */
function tokens(text: string): Token[] {
  if (lastTokens?.text === text) return lastTokens.tokens;
  const found = [...text.matchAll(/\p{L}[\p{L}'’-]*|[^\s\p{L}]/gu)].map((m) => ({ text: m[0], lower: nameKey(m[0]) }));
  lastTokens = { text, tokens: found };
  return found;
}

const isFirst = (t: Token | undefined): boolean => t !== undefined && CAPITALISED.test(t.text) && inNames(nameDictionary().firstNames, t.text);
/** Street types are census surnames too ("Washington Lane" is an address, not a person). */
const STREET_TYPES: ReadonlySet<string> = new Set(['street', 'avenue', 'road', 'lane', 'drive', 'boulevard', 'court', 'way', 'place', 'terrace', 'circle', 'parkway', 'highway', 'square', 'st', 'ave', 'rd', 'ln', 'dr', 'blvd', 'ct']);
const isSurname = (t: Token | undefined): boolean => t !== undefined && CAPITALISED.test(t.text) && inNames(nameDictionary().surnames, t.text) && !STREET_TYPES.has(t.lower);

/** "First Last" or "First M. Last" anywhere in the text, both parts in the dictionaries. */
function hasFirstLast(text: string): boolean {
  const ts = tokens(text);
  for (let i = 0; i < ts.length - 1; i++) {
    if (!isFirst(ts[i])) continue;
    let j = i + 1;
    if (/^[A-Z]$/.test(ts[j]?.text ?? '')) j += ts[j + 1]?.text === '.' ? 2 : 1;
    if (isSurname(ts[j])) return true;
  }
  return false;
}

/**
 * A whole cell that is a name: "Maria Lopez", "MARIA LOPEZ", "Maria J. Lopez", and "Mark
 * Johnson": a first name that is also an everyday word counts here, where it cannot be a
 * word of a sentence.
 */
function isWholeName(cell: string): boolean {
  const words = cell.split(/\s+/);
  if (words.length < 2 || words.length > 4) return false;
  const normalised = words.every((w) => ALL_CAPS.test(w.replace(/\.$/, '')) || /^[A-Z]\.?$/.test(w))
    ? words.map((w) => (w.length > 2 ? w[0] + w.slice(1).toLowerCase() : w)).join(' ')
    : cell;
  if (!/^\p{Lu}[\p{L}'’-]+(?: \p{Lu}\.?)*(?: \p{Lu}[\p{L}'’-]+)+$/u.test(normalised)) return false;
  const ts = tokens(normalised);
  return hasFirstLast(normalised) || (nameDictionary().everydayFirstNames.has(ts[0]!.lower) && isSurname(ts.at(-1)));
}

/** "Last, First" anywhere in the text, both in the dictionaries (the whole-cell form needs no dictionary). */
function hasLastCommaFirst(text: string): boolean {
  for (const m of text.matchAll(/(?<![\p{L}\d_'])(\p{Lu}[\p{L}'’-]+), (\p{Lu}[\p{L}'’-]+)(?![\p{L}\d_])/gu)) {
    const { firstNames, surnames } = nameDictionary();
    if (CAPITALISED.test(m[1] ?? '') && inNames(surnames, m[1] ?? '') && inNames(firstNames, m[2] ?? '')) return true;
  }
  return false;
}

/**
 * A title and a capitalised word: "Mr. Smith", "Mr.Smith", "Dr Okafor". Written otherwise
 * ("MR. SMITH", "dr Okafor") the word must be a dictionary name, and after a title in
 * capitals a name in capitals, since "mild MR. Knee pain" is mitral regurgitation; in a cell written in capitals and title-cased, Ms and Mx need
 * their period ("MS" is as likely multiple sclerosis).
 */
const TITLE = /(?<![\p{L}\d_])([Mm][Rr][Ss]?|[Dd][Rr]|[Pp][Rr][Oo][Ff]|[Rr][Ee][Vv]|M[sx]|M[SXsx](?=\.))(?:\.\s*|\s+)(?:\p{Lu}\.\s*)?(\p{Lu}[\p{L}'’-]+)/gu;
const TITLES = new Set(['Mr', 'Mrs', 'Ms', 'Mx', 'Dr', 'Prof', 'Rev']);

function hasTitleName(text: string, shouted: boolean): boolean {
  const { firstNames, surnames } = nameDictionary();
  for (const m of text.matchAll(TITLE)) {
    const title = m[1] ?? '';
    const word = m[2] ?? '';
    if (shouted && /^M[sx]$/i.test(title) && text[(m.index ?? 0) + title.length] !== '.') continue;
    if (TITLES.has(title) && !shouted && CAPITALISED.test(word)) return true;
    // "MR." and "DR" in capitals are also abbreviations ("mild MR. Knee pain"): only with a name in capitals too ("MR. SMITH").
    const capitalsTitle = !shouted && /^\p{Lu}{2,}$/u.test(title);
    if (capitalsTitle && !ALL_CAPS.test(word)) continue;
    if (inNames(surnames, word) || inNames(firstNames, word)) return true;
  }
  return false;
}

/** Kinship words (and their plurals): the capitalised word after one is a relative's name ("daughter Maria", "her husband, Tomas,", "son (Ravi)"). */
const KIN: ReadonlySet<string> = new Set(
  'wife husband spouse partner fiance fiancee fiancé fiancée mother mom mum father dad son daughter brother sister sibling aunt uncle niece nephew cousin grandmother grandfather grandma grandpa grandson granddaughter stepson stepdaughter guardian caregiver friend neighbor neighbour roommate boyfriend girlfriend'
    .split(' ')
    .flatMap((w) => [w, `${w}s`]),
);
/** Words between a kinship word (or "named") and the name: "daughter, Maria", "son is Ravi", "a friend called Sam". */
const BRIDGE: ReadonlySet<string> = new Set([',', ':', '(', 'is', 'named', 'called']);

/** Kinship or "named"/"called"/"name is" followed by a capitalised word that is not an everyday word (the name need not be in a dictionary). */
function hasContextName(text: string, dictionaryOnly = false): boolean {
  const ts = tokens(text);
  const { firstNames, surnames } = nameDictionary();
  for (let i = 1; i < ts.length; i++) {
    const word = ts[i]!;
    if (!/^\p{Lu}\p{Ll}/u.test(word.text) || NOT_A_NAME.has(word.lower)) continue;
    // In a cell written all in capitals every word is capitalised: only a dictionary name counts there.
    if (dictionaryOnly && !inNames(firstNames, word.text) && !inNames(surnames, word.text)) continue;
    let j = i - 1;
    let named = false;
    while (j > 0 && j >= i - 2 && BRIDGE.has(ts[j]!.lower)) {
      named ||= ts[j]!.lower === 'named' || ts[j]!.lower === 'called' || (ts[j]!.lower === 'is' && ts[j - 1]?.lower === 'name') || (ts[j]!.text === ':' && ts[j - 1]?.lower === 'name');
      j--;
    }
    if (named || KIN.has(ts[j]!.lower)) return true;
  }
  return false;
}

/*
 * Capitalised words that follow a kinship word in clinical notes without being a name
 * ("mother Deceased", "father Hx of MI"); everyday words of the dictionaries' stop list are
 * also names the dictionaries dropped, so context catches them ("daughter Hope").
 */
const NOT_A_NAME: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'as', 'at', 'by', 'deceased', 'died', 'for', 'from', 'has', 'had', 'hx', 'history', 'in', 'is', 'lives', 'living',
  'of', 'on', 'present', 'reports', 'says', 'states', 'the', 'to', 'was', 'who', 'with', 'alive', 'also', 'age', 'aged', 'diabetic',
  'healthy', 'well', 'unknown', 'not', 'no', 'none', 'passed', 'at', 'here', 'there', 'visiting', 'called', 'side',
  // Family history: "Mother: Breast cancer", "father - MI", "sister: Type 2 DM".
  'breast', 'colon', 'colorectal', 'lung', 'prostate', 'ovarian', 'cervical', 'uterine', 'pancreatic', 'skin', 'bladder', 'thyroid', 'brain',
  'cancer', 'carcinoma', 'melanoma', 'leukemia', 'lymphoma', 'diabetes', 'type', 'dm', 'htn', 'hypertension', 'cad', 'mi', 'chf', 'copd',
  'asthma', 'stroke', 'cva', 'dementia', 'alzheimer', 'alzheimers', 'heart', 'kidney', 'renal', 'liver', 'negative', 'positive', 'adopted',
  'noncontributory', 'non', 'depression', 'anxiety', 'obesity', 'arthritis', 'glaucoma', 'epilepsy', 'seizures', 'sickle', 'cystic',
]);

/** A single capitalised or all-capitals word. */
const oneWord = (v: string): string | undefined => (/^\p{L}[\p{L}'’-]+$/u.test(v) ? v : undefined);

/**
 * A cell of 2 to 4 words in any case, split on spaces, "^" (HL7) and commas, with a
 * dictionary first name and a census surname among them: "john smith", "Smith^John",
 * "SMITH,JOHN", "Anna Smith-Jones". Too loose for one cell, so a share rule.
 */
function isNameTokens(v: string): boolean {
  const parts = v.split(/[\s^,]+/).filter((p) => p !== '');
  if (parts.length < 2 || parts.length > 4 || !parts.every((p) => /^\p{L}[\p{L}'’-]*\.?$/u.test(p))) return false;
  const { firstNames, surnames } = nameDictionary();
  const words = parts.map((p) => p.replace(/\.$/, ''));
  const first = words.findIndex((w) => w.length > 1 && inNames(firstNames, w));
  return first >= 0 && words.some((w, i) => i !== first && w.length > 1 && inNames(surnames, w) && !STREET_TYPES.has(nameKey(w)));
}

/** Name rules, in the order they are reported. */
export const NAME_CONTENT_RULES: readonly ContentRule[] = [
  { category: 'A', rule: 'last-comma-first', why: 'a whole cell written "Last, First"', strength: 'any', needs: 'capital', test: (v) => /^[A-Z][A-Za-z'-]+,\s*[A-Z][A-Za-z'-]+(?:\s+[A-Z]\.?)?$/.test(v) },
  { category: 'A', rule: 'first-last', why: 'a whole cell that is a dictionary first name and a census surname ("First Last")', strength: 'any', needs: 'capital', test: isWholeName },
  {
    category: 'A',
    rule: 'name-column',
    why: 'most cells are 2 to 4 words in any case (split on spaces, "^" and commas) with a dictionary first name and a census surname',
    strength: 'share',
    test: isNameTokens,
  },
  {
    category: 'A',
    rule: 'name-in-text',
    why: 'a dictionary first name followed by a census surname, or "Surname, First", inside text',
    strength: 'any',
    needs: 'capital',
    test: (v) => {
      if (!/\s/.test(v) || v.split(/\s+/).length <= 2) return false;
      const t = titleCaseShouting(v);
      return hasFirstLast(t) || hasLastCommaFirst(t);
    },
  },
  { category: 'A', rule: 'title-name', why: 'a title (Mr., Mrs., Ms., Dr., Prof.) followed by a capitalised word', strength: 'any', needs: 'capital', test: (v) => {
      const t = titleCaseShouting(v);
      return hasTitleName(t, t !== v);
    } },
  { category: 'A', rule: 'relative-name', why: 'a kinship word (wife, son, daughter, ...) or "named" followed by a capitalised word', strength: 'any', needs: 'capital', test: (v) => {
      const t = titleCaseShouting(v);
      return hasContextName(t, t !== v);
    } },
  {
    category: 'A',
    rule: 'first-name-column',
    why: 'most cells are single dictionary first names, with at least 10 different ones',
    strength: 'share',
        minDistinct: 10,
    test: (v) => {
      const w = oneWord(v);
      return w !== undefined && inNames(nameDictionary().firstNames, w);
    },
  },
  {
    category: 'A',
    rule: 'surname-column',
    // Census surnames include body parts and everyday words (Back, Knee, Eye, Mass): a category column of those has few levels.
    why: 'most cells are single census surnames, with at least 20 different ones',
    strength: 'share',
        minDistinct: 20,
    test: (v) => {
      const w = oneWord(v);
      return w !== undefined && inNames(nameDictionary().surnames, w);
    },
  },
];
