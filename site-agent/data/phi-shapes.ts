/**
 * Identifier shapes the PHI guard looks for in a column's cells, for every Safe Harbor kind
 * but names (phi-person-names.ts): whole cells ("555-010-0123") and the same shapes inside
 * free text ("call daughter at 555-010-0123"), with the check digits of the formats that
 * have one (card numbers, IBAN, VIN, DEA, NPI, IMEI) so that random digit runs do not pass.
 * A rule is `any` (one cell flags the column) or `share` (a shape too common in clinical
 * data to trust alone: it flags when at least the guard's share of the cells have it).
 */
import type { SafeHarborCategory } from './phi-patterns.ts';

/** One content rule: what it finds, and why that is an identifier (words, never a value). */
export interface ContentRule {
  readonly category: SafeHarborCategory;
  /** Stable rule name, for reports and tests. */
  readonly rule: string;
  /** The rule in words. */
  readonly why: string;
  readonly strength: 'any' | 'share';
  /** A cheap precondition: cells without a digit (or a capital letter) cannot match, so the test is skipped for them. */
  readonly needs?: 'digit' | 'capital';
  /** For `share` rules: the matching cells must also hold at least this many different values. */
  readonly minDistinct?: number;
  test(cell: string): boolean;
}

const inRange = (text: string | undefined, low: number, high: number): boolean => {
  const n = Number(text);
  return text !== undefined && Number.isInteger(n) && n >= low && n <= high;
};

/**
 * A cell written all in capitals ("PT JOHN SMITH SEEN TODAY") in title case ("Pt John Smith
 * Seen Today"), so that the rules that look for capitalised names and streets read it; any
 * other cell unchanged.
 */
export function titleCaseShouting(v: string): string {
  if (!/\p{Lu}{2}/u.test(v) || /\p{Ll}/u.test(v)) return v;
  return v.replace(/\p{Lu}+/gu, (w) => w[0] + w.slice(1).toLowerCase());
}

const digitCount = (v: string): number => v.replace(/\D/g, '').length;

/** Luhn (mod 10) check of a digit string, as card numbers, IMEIs and NPIs use. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 1 && sum % 10 === 0;
}

/** IBAN check (ISO 13616): move the first four characters to the end, letters to 10..35, mod 97 = 1. */
export function ibanValid(iban: string): boolean {
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const value = /\d/.test(ch) ? ch : String(ch.charCodeAt(0) - 55);
    for (const d of value) rest = (rest * 10 + Number(d)) % 97;
  }
  return rest === 1;
}

/** VIN check digit (ISO 3779, North American position 9). */
export function vinValid(vin: string): boolean {
  const values: Record<string, number> = {};
  'ABCDEFGH'.split('').forEach((c, i) => (values[c] = i + 1));
  'JKLMN'.split('').forEach((c, i) => (values[c] = i + 1));
  values['P'] = 7;
  values['R'] = 9;
  'STUVWXYZ'.split('').forEach((c, i) => (values[c] = i + 2));
  const weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const c = vin[i] ?? '';
    sum += (/\d/.test(c) ? Number(c) : (values[c] ?? 0)) * (weights[i] ?? 0);
  }
  const check = sum % 11;
  return vin[8] === (check === 10 ? 'X' : String(check));
}

/** DEA registration number check: (d1 + d3 + d5) + 2 (d2 + d4 + d6), last digit = d7. */
export function deaValid(dea: string): boolean {
  const d = dea.slice(2).split('').map(Number);
  if (d.length !== 7) return false;
  const sum = d[0]! + d[2]! + d[4]! + 2 * (d[1]! + d[3]! + d[5]!);
  return sum % 10 === d[6];
}

/** NPI check: Luhn over "80840" followed by the 10 digits (CMS NPI standard). */
export const npiValid = (npi: string): boolean => /^[12]\d{9}$/.test(npi) && luhnValid(`80840${npi}`);

const MONTHS = 'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';
const MONTH_NAMES = 'January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec';

const ISO_DATE = /(?<![\d.])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d]|\.\d)/g;
const DMY_DATE = /(?<![\d.])(?<!\d:)(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d]|[.:]\d)/g;
const NAMED_DATE = new RegExp(`\\b(?:\\d{1,2}(?:st|nd|rd|th)?[ -](?:${MONTHS})\\.?[ ,-]+\\d{2,4}|(?:${MONTHS})\\.? \\d{1,2}(?:st|nd|rd|th)?,? \\d{4})\\b`, 'i');
/** Month and day, or month and year: elements of a date other than the year. Capitalised month names only ("may" is a verb). */
const MONTH_DAY = new RegExp(`\\b(?:${MONTH_NAMES})\\.? (?:\\d{1,2}(?:st|nd|rd|th)?\\b(?!\\s*(?:mg|ml|kg|g|mm|cm|%|units?|hours?|days?|weeks?)\\b)|(?:19|20)\\d{2}\\b)`);
/** "4 March", "4th of March", "Mar-04", "march 4th", "march 4" (full month names other than May in any case), SAS "04MAR2021". */
const DAY_MONTH = new RegExp(`\\b\\d{1,2}(?:st|nd|rd|th)? (?:of )?(?:${MONTH_NAMES})\\b|\\b(?:${MONTH_NAMES})-\\d{1,2}\\b(?!-)`);
const MONTH_DAY_ANY_CASE = /\b(?:january|february|march|april|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec|may)\.? \d{1,2}(?:st|nd|rd|th)\b|\b(?:january|february|march|april|june|july|august|september|october|november|december) \d{1,2}\b(?!\s*(?:mg|ml|kg|g|mm|cm|%|units?|hours?|days?|weeks?)\b)/i;
const SAS_DATE = new RegExp(`(?<![\\dA-Za-z])(?:0?[1-9]|[12]\\d|3[01])(?:${MONTHS})(?:\\d{4}|\\d{2})(?![\\dA-Za-z])`, 'i');
/** A YYYYMMDD date inside text (a whole cell of 8 digits is the share rule compact-date). */
const COMPACT_DATE_IN_TEXT = /(?<!\d)(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)/;
const MONTH_YEAR_NUMERIC = /(?<![\d/.])(0?[1-9]|1[0-2])\/((?:19|20)\d{2})(?![\d/])/;

/** A dose unit right after a number: "lisinopril 5/10/20 mg" is a titration, not a date. */
const DOSE_AFTER = /^\s*(?:mg|mcg|µg|g|ml|units?|iu|mmol|meq|%)\b/i;

function hasNumericDate(text: string): boolean {
  for (const m of text.matchAll(ISO_DATE)) if (inRange(m[2], 1, 12) && inRange(m[3], 1, 31)) return true;
  // Either order (US month/day or day.month): one part a month, the other a day.
  for (const m of text.matchAll(DMY_DATE)) {
    if (DOSE_AFTER.test(text.slice(m.index + m[0].length))) continue;
    if ((inRange(m[1], 1, 12) && inRange(m[3], 1, 31)) || (inRange(m[1], 1, 31) && inRange(m[3], 1, 12))) return true;
  }
  return false;
}

const COMPACT_DATE = /^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[T ]?\d{4,6})?$/;

const AGE_OVER_89 =
  /\b(?:(?:9\d|1[0-2]\d)[ -]?(?:years?|yrs?|y)\.?[ -]?old\b|(?:9\d|1[0-2]\d) ?(?:yo|y\/o|y\.o\.?)(?![a-z])|aged? (?:of )?(?:9\d|1[0-2]\d)\b)/i;

const US_PHONE = /(?<![\w+/.-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w-])/g;
const INTL_PHONE = /(?<![\w+])\+\d{1,3}(?:[\s.-]?\d{2,4}){2,5}(?!\d)/g;

/** Phone numbers in the text; `fax` true for those preceded (within a few words) by "fax". */
let lastPhones: { text: string; found: { fax: boolean }[] } | undefined;

function phones(text: string): { fax: boolean }[] {
  // The phone and fax rules ask about the same cell one after the other.
  if (lastPhones?.text === text) return lastPhones.found;
  const found: { fax: boolean }[] = [];
  const note = (index: number): void => {
    found.push({ fax: /\bfax\b|\bfacsimile\b/i.test(text.slice(Math.max(0, index - 16), index)) });
  };
  for (const m of text.matchAll(US_PHONE)) note(m.index);
  for (const m of text.matchAll(INTL_PHONE)) if (digitCount(m[0]) >= 8 && digitCount(m[0]) <= 15) note(m.index);
  lastPhones = { text, found };
  return found;
}

function hasIpv4(text: string): boolean {
  for (const m of text.matchAll(/(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)/g)) {
    if (m.slice(1).every((p) => inRange(p, 0, 255))) return true;
  }
  return false;
}

/** A domain and a path without a scheme ("example.com/jdoe", "portal.hospital.org/patient?id=7"). */
const BARE_URL = /(?<![@\w.-])(?:[a-z0-9-]+\.)+(?:com|org|net|edu|gov|mil|int|info|biz|io|co|us|uk|ca|de|fr|au|in|health|me|ly|app)\/[\w\-.~%/?#=&+]*/i;
/** A compressed IPv6 address ("::" once) inside text: "fe80::1ff:fe23:4567:890a", "2001:db8::1". */
const IPV6_COMPRESSED = /(?<![0-9a-f:])(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?(?![0-9a-f:])/gi;
function hasCompressedIpv6(text: string): boolean {
  for (const m of text.matchAll(IPV6_COMPRESSED)) {
    const groups = m[0].split(':').filter((g) => g !== '');
    if (groups.length >= 2 && groups.length <= 7 && /[a-f]|\d{3}/i.test(m[0])) return true;
  }
  return false;
}
const IPV6_FULL = /(?<![0-9a-f:])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![0-9a-f:])/i;
const IPV6_SHORT = /^[0-9a-f:]+$/i;

function hasCardNumber(text: string): boolean {
  for (const m of text.matchAll(/(?<![\d-])\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}(?![\d-])/g)) {
    const digits = m[0].replace(/\D/g, '');
    if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) return true;
  }
  return false;
}

function hasVin(text: string): boolean {
  for (const m of text.matchAll(/\b[A-HJ-NPR-Z0-9]{17}\b/g)) {
    if (/[A-Z]/.test(m[0]) && /\d/.test(m[0]) && vinValid(m[0])) return true;
  }
  return false;
}

function hasDea(text: string): boolean {
  for (const m of text.matchAll(/\b[ABCDEFGHJKLMPRSTUX][A-Z9]\d{7}\b/g)) if (deaValid(m[0])) return true;
  return false;
}

/** Medicare Beneficiary Identifier (CMS): 11 characters, letters without S, L, O, I, B, Z; printed with or without dashes. */
const MBI = /\b[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y\d]\d-?[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y\d]\d-?[AC-HJKMNP-RT-Y]{2}\d{2}\b/;

/** A labelled number in free text: "<label> [no.|number|#|:] <code with a digit>". */
const labelled = (labels: string, flags = 'i'): RegExp =>
  new RegExp(`(?:${labels})\\.?(?:\\s*(?:no\\.?|number|num|#|id))?[\\s:#]+(?=[A-Z0-9-]*\\d)[A-Z0-9][A-Z0-9-]{4,}\\b`, flags);

const MRN_LABEL = labelled('\\bMRN|\\bMR#|\\bmedical record|\\bchart');
const PLAN_LABEL = labelled('\\b(?:member|subscriber|policy|medicaid|medicare|insurance|health plan|beneficiary|group)\\s*(?:id|no\\.?|number|#)');
const ACCOUNT_LABEL = labelled('\\b(?:acct|account|a/c|billing|invoice)');
const LICENCE_LABEL = labelled("\\b(?:driver'?s? )?licen[cs]e|\\blic\\b|\\bcertificate|\\bcert\\b|\\bNPI|\\bDEA");
const DL_LABEL = /\bDL\s*#?\s*:?\s*[A-Z0-9]{5,}\b/;
const PLATE_LABEL = /\b(?:licen[cs]e plate|plate(?: no\.?| number| #)?|registration(?: no\.?| number))\s*[:#]?\s*[A-Z0-9][A-Z0-9 -]{2,8}[A-Z0-9]\b/i;
const SERIAL_LABEL = /\b(?:serial(?: no\.?| number| #)?|(?:S\/N|SN|IMEI|UDI)\b)\s*[:#-]?\s*(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{4,}\b/;
const SSN_LABEL = /\b(?:SSN|SS#|social security(?: no\.?| number| #)?)\s*[:#]?\s*(?:\d{9}|\d{3}[ -]?\d{2}[ -]?\d{4})\b/i;
const ZIP_LABEL = /\b(?:zip|zip code|postal code|postcode)\s*[:#]?\s*\d{5}(?:-\d{4})?\b/i;

const STREET_SUFFIX = 'Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq';
const STREET_ADDRESS = new RegExp(`\\b\\d{1,6}\\s+(?:[NSEW]\\.?\\s+)?(?:[A-Z][a-z]+\\s+){1,3}(?:${STREET_SUFFIX})\\b\\.?`);
const PO_BOX = /\bP\.?\s?O\.?\s+Box\s+\d+/i;
const CITY_STATE_ZIP = /\b[A-Z][a-z]+(?: [A-Z][a-z]+)?,\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?\b/;

/**
 * An email address, letters of any script (josé@例え.jp). The local part starts at a word's
 * start and is bounded at 64 characters (RFC 5321), so a long token costs linear time.
 */
const EMAIL = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]{1,64}@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/u;

const HEX_HASH = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i;
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i;

/** Every content rule but the name rules, in category order. */
export const SHAPE_RULES: readonly ContentRule[] = [
  { category: 'B', rule: 'zip-plus-4', why: 'a ZIP+4 code (5 digits, dash, 4 digits)', strength: 'any', needs: 'digit', test: (v) => /(?<![\d-])\d{5}-\d{4}(?![\d-])/.test(v) },
  { category: 'B', rule: 'zip-5', why: 'most cells are 5-digit numbers, the shape of a ZIP code', strength: 'share', needs: 'digit', test: (v) => /^\d{5}$/.test(v) },
  { category: 'B', rule: 'zip-in-text', why: 'a 5-digit ZIP code labelled "ZIP" or "postal code"', strength: 'any', needs: 'digit', test: (v) => ZIP_LABEL.test(v) },
  { category: 'B', rule: 'street-address', why: 'a street address (house number, street name, street type) or a P.O. box', strength: 'any', needs: 'digit', test: (v) => STREET_ADDRESS.test(titleCaseShouting(v)) || PO_BOX.test(v) },
  { category: 'B', rule: 'city-state-zip', why: 'a "City, ST 12345" line of an address', strength: 'any', needs: 'digit', test: (v) => CITY_STATE_ZIP.test(v) },
  { category: 'C', rule: 'date', why: 'a date with day and month (ISO, month/day/year, day.month.year, named month)', strength: 'any', needs: 'digit', test: (v) => hasNumericDate(v) || NAMED_DATE.test(v) || SAS_DATE.test(v) || (/\s/.test(v) && COMPACT_DATE_IN_TEXT.test(v)) },
  { category: 'C', rule: 'month-day-or-year', why: 'a named month with a day or a year (an element of a date other than the year)', strength: 'any', needs: 'digit', test: (v) => MONTH_DAY.test(v) || MONTH_YEAR_NUMERIC.test(v) || DAY_MONTH.test(v) || MONTH_DAY_ANY_CASE.test(v) },
  { category: 'C', rule: 'compact-date', why: 'most cells are 8-digit YYYYMMDD dates', strength: 'share', needs: 'digit', test: (v) => COMPACT_DATE.test(v) },
  { category: 'C', rule: 'age-over-89-in-text', why: 'an age of 90 or more written in text ("92-year-old", "95 yo", "aged 91")', strength: 'any', needs: 'digit', test: (v) => AGE_OVER_89.test(v) },
  { category: 'D', rule: 'phone', why: 'a telephone number (North American or international format)', strength: 'any', needs: 'digit', test: (v) => phones(v).some((p) => !p.fax) },
  { category: 'E', rule: 'fax', why: 'a telephone-shaped number labelled "fax"', strength: 'any', needs: 'digit', test: (v) => phones(v).some((p) => p.fax) },
  { category: 'F', rule: 'email', why: 'an email address', strength: 'any', test: (v) => v.includes('@') && EMAIL.test(v) },
  { category: 'G', rule: 'ssn', why: 'a social security number (3-2-4 digits, or 9 digits labelled SSN)', strength: 'any', needs: 'digit', test: (v) => /(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])/.test(v) || /(?<![\d ])\d{3} \d{2} \d{4}(?![\d ]?\d)/.test(v) || SSN_LABEL.test(v) },
  { category: 'H', rule: 'mrn-prefixed', why: 'a code of 1-4 letters and 6 or more digits, the shape of a medical record number', strength: 'any', needs: 'digit', test: (v) => /^[A-Za-z]{1,4}[-_]?\d{6,}$/.test(v) },
  { category: 'H', rule: 'long-digit-run', why: 'most cells are runs of 7 or more digits (or 6 or more with a leading zero), the shape of a record number', strength: 'share', needs: 'digit', test: (v) => /^\d{7,}$/.test(v) || /^0\d{5,}$/.test(v) },
  { category: 'H', rule: 'mrn-in-text', why: 'a number labelled "MRN" or "medical record" in text', strength: 'any', needs: 'digit', test: (v) => MRN_LABEL.test(v) },
  { category: 'I', rule: 'medicare-mbi', why: 'a Medicare Beneficiary Identifier (11 characters in the CMS MBI pattern)', strength: 'any', needs: 'digit', test: (v) => MBI.test(v) },
  { category: 'I', rule: 'medicare-hicn', why: 'most cells are 9 digits and a letter, the shape of a Medicare claim number (HICN)', strength: 'share', needs: 'digit', test: (v) => /^\d{9}[A-Z]\d?$/.test(v) },
  { category: 'I', rule: 'plan-number-in-text', why: 'a number labelled member, subscriber, policy, Medicaid or Medicare ID', strength: 'any', needs: 'digit', test: (v) => PLAN_LABEL.test(v) },
  { category: 'J', rule: 'card-number', why: 'a payment card number in 4-digit groups that passes the Luhn check', strength: 'any', needs: 'digit', test: hasCardNumber },
  { category: 'J', rule: 'card-number-bare', why: 'most cells are 13-19 digits that pass the Luhn check (payment card numbers)', strength: 'share', needs: 'digit', test: (v) => /^\d{13,19}$/.test(v) && luhnValid(v) },
  { category: 'J', rule: 'iban', why: 'an IBAN (bank account number) that passes its mod-97 check', strength: 'any', needs: 'digit', test: (v) => /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(v.replace(/ /g, '')) && ibanValid(v.replace(/ /g, '')) },
  { category: 'J', rule: 'account-in-text', why: 'a number labelled "account" or "acct" in text', strength: 'any', needs: 'digit', test: (v) => ACCOUNT_LABEL.test(v) },
  { category: 'K', rule: 'dea-number', why: 'most cells are DEA registration numbers (2 letters, 7 digits, valid check digit)', strength: 'share', needs: 'digit', test: (v) => /^[ABCDEFGHJKLMPRSTUX][A-Z9]\d{7}$/.test(v) && deaValid(v) },
  { category: 'K', rule: 'dea-in-text', why: 'a DEA registration number with a valid check digit in text', strength: 'any', needs: 'digit', test: (v) => /\s/.test(v) && hasDea(v) },
  { category: 'K', rule: 'npi', why: 'most cells are National Provider Identifiers (10 digits passing the NPI Luhn check)', strength: 'share', needs: 'digit', test: npiValid },
  { category: 'K', rule: 'licence-in-text', why: 'a number labelled licence, certificate, NPI, DEA or DL', strength: 'any', needs: 'digit', test: (v) => LICENCE_LABEL.test(v) || DL_LABEL.test(v) },
  { category: 'K', rule: 'driver-licence-shape', why: 'most cells are one letter and 7, 8 or 12 digits, driver\'s licence shapes of several US states', strength: 'share', needs: 'digit', test: (v) => /^[A-Z](?:\d{7}|\d{8}|\d{12})$/.test(v) },
  { category: 'L', rule: 'vin', why: 'a vehicle identification number (17 characters with a valid check digit)', strength: 'any', needs: 'digit', test: hasVin },
  { category: 'L', rule: 'plate-shape', why: 'most cells have the shape of a licence plate (ABC-1234, 7ABC123, AB12 CDE)', strength: 'share', needs: 'digit', test: (v) => /^(?:[A-Z]{3}[- ]\d{3,4}|\d[A-Z]{3}\d{3}|[A-Z]{2}\d{2} [A-Z]{3})$/.test(v) },
  { category: 'L', rule: 'plate-in-text', why: 'a licence plate or registration number labelled as such in text', strength: 'any', needs: 'digit', test: (v) => PLATE_LABEL.test(v) },
  { category: 'M', rule: 'udi', why: 'a GS1 unique device identifier ("(01)" and a 14-digit GTIN)', strength: 'any', needs: 'digit', test: (v) => /\(01\)\d{14}/.test(v) || /^01\d{14}(?:1[017]|21)/.test(v) },
  { category: 'M', rule: 'mac-address', why: 'a MAC address', strength: 'any', needs: 'digit', test: (v) => /(?<![0-9A-Fa-f:-])[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:-])/.test(v) },
  { category: 'M', rule: 'serial-number', why: 'a serial number, IMEI or UDI labelled as such ("SN", "S/N", "serial no.")', strength: 'any', needs: 'digit', test: (v) => SERIAL_LABEL.test(v) },
  { category: 'M', rule: 'imei', why: 'most cells are 15 digits that pass the Luhn check (IMEI device numbers)', strength: 'share', needs: 'digit', test: (v) => /^\d{15}$/.test(v) && luhnValid(v) },
  { category: 'N', rule: 'url', why: 'a URL', strength: 'any', test: (v) => /\b(?:https?|ftp):\/\/\S+/i.test(v) || /\bwww\.[\w-]+\.\S+/i.test(v) || BARE_URL.test(v) },
  { category: 'O', rule: 'ipv4', why: 'an IPv4 address', strength: 'any', needs: 'digit', test: hasIpv4 },
  { category: 'O', rule: 'ipv6', why: 'an IPv6 address', strength: 'any', needs: 'digit', test: (v) => IPV6_FULL.test(v) || (IPV6_SHORT.test(v) && v.includes('::') && /[0-9a-f]/i.test(v)) || (v.includes('::') && hasCompressedIpv6(v)) },
  { category: 'P', rule: 'biometric-file', why: 'a voice recording or fingerprint file name (.wav, .wsq, .fmr, ...)', strength: 'any', test: (v) => /^\S+\.(?:wav|wsq|fmr|fir|ansi378|iso19794|an2)$/i.test(v) },
  { category: 'P', rule: 'biometric-template', why: 'a base64 blob of 64 bytes or more, the form biometric templates are exported in', strength: 'any', test: (v) => /^[A-Za-z0-9+/]{86,}={0,2}$/.test(v) && /[a-z]/.test(v) && /[A-Z]/.test(v) },
  { category: 'Q', rule: 'image-file', why: 'an image file name or an inline image (.jpg, .png, .dcm, data:image/...)', strength: 'any', test: (v) => /^\S+\.(?:jpe?g|png|gif|bmp|tiff?|heic|webp|dcm)$/i.test(v) || /^data:image\//i.test(v) },
  { category: 'R', rule: 'uuid', why: 'a UUID', strength: 'any', test: (v) => UUID.test(v) },
  { category: 'R', rule: 'hash', why: 'a hex hash (32, 40 or 64 hex digits), a pseudonym that links records', strength: 'any', test: (v) => HEX_HASH.test(v) && /\d/.test(v) },
];
