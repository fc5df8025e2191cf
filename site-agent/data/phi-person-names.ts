/**
 * Safe Harbor kind A (names) in cells: whole cells that are a person's name and names inside
 * free text, found with the first-name and surname dictionaries (name-dictionary.ts) and
 * with the context that marks a name whatever its spelling: a title (Mr., Mrs., Dr.), a
 * kinship word ("daughter Maria", "her husband, Tomas"), "named"/"name is".
 */
import { nameDictionary } from './name-dictionary.ts';
import type { ContentRule } from './phi-shapes.ts';

/** A capitalised word: "Maria", "O'Neil", "Smith-Jones"; or an all-capitals one ("MARIA"). */
const CAPITALISED = /^[A-Z][a-z]+(?:['’-][A-Z]?[a-z]+)*$/;
const ALL_CAPS = /^[A-Z]{2,}(?:['’-][A-Z]+)*$/;

interface Token {
  readonly text: string;
  readonly lower: string;
}

let lastTokens: { text: string; tokens: Token[] } | undefined;

/** Words and single other characters; the rules of one cell ask one after the other, so the last cell's are kept. */
function tokens(text: string): Token[] {
  if (lastTokens?.text === text) return lastTokens.tokens;
  const found = [...text.matchAll(/[A-Za-z][A-Za-z'’-]*|[^\sA-Za-z]/g)].map((m) => ({ text: m[0], lower: m[0].toLowerCase() }));
  lastTokens = { text, tokens: found };
  return found;
}

const isFirst = (t: Token | undefined): boolean => t !== undefined && CAPITALISED.test(t.text) && nameDictionary().firstNames.has(t.lower);
/** Street types are census surnames too ("Washington Lane" is an address, not a person). */
const STREET_TYPES: ReadonlySet<string> = new Set(['street', 'avenue', 'road', 'lane', 'drive', 'boulevard', 'court', 'way', 'place', 'terrace', 'circle', 'parkway', 'highway', 'square', 'st', 'ave', 'rd', 'ln', 'dr', 'blvd', 'ct']);
const isSurname = (t: Token | undefined): boolean => t !== undefined && CAPITALISED.test(t.text) && nameDictionary().surnames.has(t.lower) && !STREET_TYPES.has(t.lower);

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
  if (!/^[A-Z][A-Za-z'’-]+(?: [A-Z]\.?)*(?: [A-Z][A-Za-z'’-]+)+$/.test(normalised)) return false;
  const ts = tokens(normalised);
  return hasFirstLast(normalised) || (nameDictionary().everydayFirstNames.has(ts[0]!.lower) && isSurname(ts.at(-1)));
}

/** "Last, First" anywhere in the text, both in the dictionaries (the whole-cell form needs no dictionary). */
function hasLastCommaFirst(text: string): boolean {
  for (const m of text.matchAll(/(?<![\w'])([A-Z][a-z'’-]+), ([A-Z][a-z'’-]+)\b/g)) {
    const { firstNames, surnames } = nameDictionary();
    if (surnames.has((m[1] ?? '').toLowerCase()) && firstNames.has((m[2] ?? '').toLowerCase())) return true;
  }
  return false;
}

const TITLE = /(?<![\w])(?:Mr|Mrs|Ms|Mx|Dr|Prof|Rev)\.?\s+(?:[A-Z]\.\s*)?[A-Z][a-z'’-]+/;

/** Kinship words (and their plurals): the capitalised word after one is a relative's name ("daughter Maria", "her husband, Tomas,", "son (Ravi)"). */
const KIN: ReadonlySet<string> = new Set(
  'wife husband spouse partner fiance fiancee fiancé fiancée mother mom mum father dad son daughter brother sister sibling aunt uncle niece nephew cousin grandmother grandfather grandma grandpa grandson granddaughter stepson stepdaughter guardian caregiver friend neighbor neighbour roommate boyfriend girlfriend'
    .split(' ')
    .flatMap((w) => [w, `${w}s`]),
);
/** Words between a kinship word (or "named") and the name: "daughter, Maria", "son is Ravi", "a friend called Sam". */
const BRIDGE: ReadonlySet<string> = new Set([',', ':', '(', 'is', 'named', 'called']);

/** Kinship or "named"/"called"/"name is" followed by a capitalised word that is not an everyday word (the name need not be in a dictionary). */
function hasContextName(text: string): boolean {
  const ts = tokens(text);
  for (let i = 1; i < ts.length; i++) {
    const word = ts[i]!;
    if (!/^[A-Z][a-z]/.test(word.text) || NOT_A_NAME.has(word.lower)) continue;
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
]);

/** A single capitalised or all-capitals word. */
const oneWord = (v: string): string | undefined => (/^[A-Za-z][A-Za-z'’-]+$/.test(v) && (CAPITALISED.test(v) || ALL_CAPS.test(v)) ? v.toLowerCase() : undefined);

/** Name rules, in the order they are reported. */
export const NAME_CONTENT_RULES: readonly ContentRule[] = [
  { category: 'A', rule: 'last-comma-first', why: 'a whole cell written "Last, First"', strength: 'any', needs: 'capital', test: (v) => /^[A-Z][A-Za-z'-]+,\s*[A-Z][A-Za-z'-]+(?:\s+[A-Z]\.?)?$/.test(v) },
  { category: 'A', rule: 'first-last', why: 'a whole cell that is a dictionary first name and a census surname ("First Last")', strength: 'any', needs: 'capital', test: isWholeName },
  {
    category: 'A',
    rule: 'name-in-text',
    why: 'a dictionary first name followed by a census surname, or "Surname, First", inside text',
    strength: 'any',
    needs: 'capital',
    test: (v) => /\s/.test(v) && v.split(/\s+/).length > 2 && (hasFirstLast(v) || hasLastCommaFirst(v)),
  },
  { category: 'A', rule: 'title-name', why: 'a title (Mr., Mrs., Ms., Dr., Prof.) followed by a capitalised word', strength: 'any', needs: 'capital', test: (v) => TITLE.test(v) },
  { category: 'A', rule: 'relative-name', why: 'a kinship word (wife, son, daughter, ...) or "named" followed by a capitalised word', strength: 'any', needs: 'capital', test: hasContextName },
  {
    category: 'A',
    rule: 'first-name-column',
    why: 'most cells are single dictionary first names, with at least 10 different ones',
    strength: 'share',
    needs: 'capital',
    minDistinct: 10,
    test: (v) => {
      const w = oneWord(v);
      return w !== undefined && nameDictionary().firstNames.has(w);
    },
  },
  {
    category: 'A',
    rule: 'surname-column',
    // Census surnames include body parts and everyday words (Back, Knee, Eye, Mass): a category column of those has few levels.
    why: 'most cells are single census surnames, with at least 20 different ones',
    strength: 'share',
    needs: 'capital',
    minDistinct: 20,
    test: (v) => {
      const w = oneWord(v);
      return w !== undefined && nameDictionary().surnames.has(w);
    },
  },
];
