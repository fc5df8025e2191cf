/**
 * The HIPAA Safe Harbor identifier kinds (45 CFR 164.514(b)(2)(i), letters A-R) and the
 * heuristics that spot them: by a column's name and by the shape of its values. Heuristics
 * err on the side of flagging; a site allow-lists a column that is not an identifier.
 */

/** A Safe Harbor identifier category, lettered as in the regulation. */
export type SafeHarborCategory = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'N' | 'O' | 'P' | 'Q' | 'R';

/** What each letter stands for, for messages. */
export const SAFE_HARBOR_CATEGORIES: Readonly<Record<SafeHarborCategory, string>> = {
  A: 'names',
  B: 'geographic subdivisions smaller than a state (street, city, ZIP code, ...)',
  C: 'dates (except year) related to an individual',
  D: 'telephone numbers',
  E: 'fax numbers',
  F: 'email addresses',
  G: 'social security numbers',
  H: 'medical record numbers',
  I: 'health plan beneficiary numbers',
  J: 'account numbers',
  K: 'certificate and licence numbers',
  L: 'vehicle identifiers and serial numbers',
  M: 'device identifiers and serial numbers',
  N: 'URLs',
  O: 'IP addresses',
  P: 'biometric identifiers',
  Q: 'full-face photographs and comparable images',
  R: 'other unique identifying numbers or codes',
};

/** A name rule: whole tokens of the column name, or fragments of the name with separators removed. */
interface NameRule {
  readonly category: SafeHarborCategory;
  readonly tokens: readonly string[];
  readonly compounds?: readonly string[];
  /** Tokens that, when present, mean the rule's tokens are about another kind (email *address*). */
  readonly unless?: readonly string[];
}

/*
 * Tokens are matched whole, so "hip" never matches "ip" and "update" never matches "date".
 * Deliberately absent: "death"/"died" (a mortality label), "mr" (mitral regurgitation),
 * "cell" (cell counts), "image" (imaging features), "age" (ages over 89 are handled by
 * top-coding, not by refusing the column).
 */
const NAME_RULES: readonly NameRule[] = [
  { category: 'A', tokens: ['name', 'names', 'fname', 'lname', 'firstname', 'lastname', 'surname', 'forename', 'givenname', 'fullname', 'initials', 'maiden'], compounds: ['firstname', 'lastname', 'fullname', 'givenname', 'familyname', 'patientname'] },
  { category: 'B', tokens: ['zip', 'zipcode', 'postal', 'postcode', 'address', 'addr', 'street', 'city', 'county', 'precinct', 'town', 'geocode', 'latitude', 'longitude', 'lat', 'lon', 'lng'], compounds: ['zipcode', 'postalcode', 'streetaddress', 'homeaddress', 'censustract'], unless: ['email', 'mail', 'ip', 'mac', 'web'] },
  { category: 'C', tokens: ['dob', 'dod', 'birth', 'birthdate', 'birthday', 'bday', 'date', 'dates', 'dt', 'datetime', 'timestamp'], compounds: ['dateofbirth', 'birthdate', 'dateofdeath', 'deathdate', 'admitdate', 'dischargedate'] },
  { category: 'D', tokens: ['phone', 'telephone', 'tel', 'mobile', 'cellphone', 'phoneno'], compounds: ['phonenumber', 'cellphone', 'homephone', 'workphone'] },
  { category: 'E', tokens: ['fax', 'facsimile'], compounds: ['faxnumber'] },
  { category: 'F', tokens: ['email', 'emails', 'mail'], compounds: ['emailaddress'] },
  { category: 'G', tokens: ['ssn', 'sin'], compounds: ['socialsecurity', 'socialinsurance'] },
  { category: 'H', tokens: ['mrn', 'medrec', 'chart'], compounds: ['medicalrecord', 'recordnumber', 'chartnumber', 'patientnumber', 'patientid', 'patid', 'mrnumber'] },
  { category: 'I', tokens: ['beneficiary', 'hicn', 'mbi'], compounds: ['memberid', 'membernumber', 'subscriberid', 'healthplan', 'policynumber', 'insuranceid', 'insurancenumber', 'medicaidid', 'medicareid'] },
  { category: 'J', tokens: ['account', 'acct', 'fin'], compounds: ['accountnumber', 'accountno', 'acctno', 'billingnumber'] },
  { category: 'K', tokens: ['license', 'licence', 'certificate', 'cert'], compounds: ['licensenumber', 'licencenumber', 'certificatenumber', 'driverslicense'] },
  { category: 'L', tokens: ['vehicle', 'vin', 'plate'], compounds: ['licenseplate', 'licenceplate', 'numberplate'] },
  { category: 'M', tokens: ['device', 'serial', 'serialno', 'imei', 'udi'], compounds: ['serialnumber', 'deviceid', 'macaddress'] },
  { category: 'N', tokens: ['url', 'uri', 'website', 'homepage', 'webpage'], compounds: ['weburl', 'webaddress'] },
  { category: 'O', tokens: ['ip', 'ipaddr', 'ipv4', 'ipv6'], compounds: ['ipaddress'] },
  { category: 'P', tokens: ['biometric', 'biometrics', 'fingerprint', 'voiceprint', 'retina'], compounds: ['voiceprint', 'fingerprint', 'retinalscan', 'irisscan'] },
  { category: 'Q', tokens: ['photo', 'photograph', 'portrait', 'headshot', 'face', 'facial', 'selfie'], compounds: ['facephoto', 'facialimage'] },
  { category: 'R', tokens: ['id', 'uid', 'uuid', 'guid', 'identifier', 'ident'] },
];

/** Splits a column name into lower-case tokens: camelCase, snake_case, kebab, spaces, dots. */
function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
}

/** Categories a column name suggests. */
export function categoriesOfName(name: string): SafeHarborCategory[] {
  const tokens = nameTokens(name);
  const set = new Set(tokens);
  const joined = tokens.join('');
  return NAME_RULES.filter((rule) => {
    if (rule.unless?.some((t) => set.has(t))) return false;
    return rule.tokens.some((t) => set.has(t)) || (rule.compounds ?? []).some((c) => joined.includes(c));
  }).map((rule) => rule.category);
}

/** A value shape. `strong` shapes flag a column on one match; weak ones need a share of the sample. */
interface ValueRule {
  readonly category: SafeHarborCategory;
  readonly strong: boolean;
  test(value: string): boolean;
}

const inRange = (text: string | undefined, low: number, high: number): boolean => {
  const n = Number(text);
  return Number.isInteger(n) && n >= low && n <= high;
};

const digitCount = (v: string): number => v.replace(/\D/g, '').length;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const SLASH_DATE = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$/;
const NAMED_MONTH_DATE = /^(?:\d{1,2}[ -](?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?[ -]\d{2,4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4})$/i;

function looksLikeDate(value: string): boolean {
  const iso = ISO_DATE.exec(value);
  if (iso) return inRange(iso[2], 1, 12) && inRange(iso[3], 1, 31);
  const slash = SLASH_DATE.exec(value);
  // Either order (US month/day or day.month): one part a month, the other a day.
  if (slash) return (inRange(slash[1], 1, 12) && inRange(slash[2], 1, 31)) || (inRange(slash[1], 1, 31) && inRange(slash[2], 1, 12));
  return NAMED_MONTH_DATE.test(value);
}

function looksLikeIpv4(value: string): boolean {
  const parts = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  return parts !== null && parts.slice(1).every((p) => inRange(p, 0, 255));
}

const VALUE_RULES: readonly ValueRule[] = [
  // "Last, First" with an optional middle initial; "First Last" is left out: too many category labels look like it.
  { category: 'A', strong: true, test: (v) => /^[A-Z][A-Za-z'-]+,\s*[A-Z][A-Za-z'-]+(?:\s+[A-Z]\.?)?$/.test(v) },
  { category: 'B', strong: true, test: (v) => /^\d{5}-\d{4}$/.test(v) },
  { category: 'B', strong: false, test: (v) => /^\d{5}$/.test(v) },
  { category: 'C', strong: true, test: looksLikeDate },
  {
    category: 'D',
    strong: true,
    test: (v) =>
      /^(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}$/.test(v) ||
      // International (E.164 style): a leading +, 8 to 15 digits, groups separated or not.
      (/^\+\d{1,3}(?:[\s.-]?\d{2,4}){2,5}$/.test(v) && digitCount(v) >= 8 && digitCount(v) <= 15),
  },
  { category: 'F', strong: true, test: (v) => /^[^\s@]+@[^\s@]+\.[A-Za-z]{2,}$/.test(v) },
  { category: 'G', strong: true, test: (v) => /^\d{3}-\d{2}-\d{4}$/.test(v) },
  { category: 'H', strong: true, test: (v) => /^[A-Za-z]{1,4}[-_]?\d{6,}$/.test(v) },
  { category: 'H', strong: false, test: (v) => /^\d{7,}$/.test(v) || /^0\d{5,}$/.test(v) },
  { category: 'N', strong: true, test: (v) => /^(?:https?|ftp):\/\/\S+$/i.test(v) || /^www\.\S+\.\S+$/i.test(v) },
  { category: 'O', strong: true, test: looksLikeIpv4 },
  { category: 'O', strong: true, test: (v) => /^(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}$/i.test(v) || (/^[0-9a-f:]+$/i.test(v) && v.includes('::') && /[0-9a-f]/i.test(v)) },
];

/** Categories the values suggest: any match of a strong shape, or `minShare` of the values for a weak one. */
export function categoriesOfValues(values: readonly string[], minShare: number): SafeHarborCategory[] {
  const found = new Set<SafeHarborCategory>();
  if (values.length === 0) return [];
  for (const rule of VALUE_RULES) {
    const matches = values.filter((v) => rule.test(v)).length;
    if (rule.strong ? matches > 0 : matches / values.length >= minShare) found.add(rule.category);
  }
  return [...found];
}
