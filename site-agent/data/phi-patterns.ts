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
 * "cell" (cell counts), "image" (imaging features), "age" (an age column is checked by its
 * values: only ages over 89 are identifiers, see AGE_TOKENS).
 */
const NAME_RULES: readonly NameRule[] = [
  {
    category: 'A',
    tokens: ['name', 'names', 'fname', 'lname', 'firstname', 'lastname', 'surname', 'forename', 'givenname', 'fullname', 'initials', 'maiden', 'nok', 'spouse', 'guardian', 'kin'],
    compounds: ['firstname', 'lastname', 'fullname', 'givenname', 'familyname', 'patientname', 'nextofkin', 'emergencycontact', 'mothersname', 'fathersname'],
  },
  { category: 'B', tokens: ['zip', 'zipcode', 'zip5', 'zip3', 'postal', 'postcode', 'address', 'addr', 'street', 'city', 'county', 'precinct', 'town', 'geocode', 'latitude', 'longitude', 'lat', 'lon', 'lng'], compounds: ['zipcode', 'postalcode', 'streetaddress', 'homeaddress', 'censustract'], unless: ['email', 'mail', 'ip', 'mac', 'web'] },
  { category: 'C', tokens: ['dob', 'dod', 'birth', 'birthdate', 'birthday', 'bday', 'date', 'dates', 'dt', 'datetime', 'timestamp'], compounds: ['dateofbirth', 'birthdate', 'dateofdeath', 'deathdate', 'admitdate', 'dischargedate'] },
  { category: 'D', tokens: ['phone', 'telephone', 'tel', 'mobile', 'cellphone', 'phoneno'], compounds: ['phonenumber', 'cellphone', 'homephone', 'workphone'] },
  { category: 'E', tokens: ['fax', 'facsimile'], compounds: ['faxnumber'] },
  { category: 'F', tokens: ['email', 'emails', 'mail'], compounds: ['emailaddress'] },
  { category: 'G', tokens: ['ssn', 'sin'], compounds: ['socialsecurity', 'socialinsurance'] },
  { category: 'H', tokens: ['mrn', 'medrec', 'chart'], compounds: ['medicalrecord', 'recordnumber', 'chartnumber', 'patientnumber', 'patientid', 'patid', 'mrnumber'] },
  { category: 'I', tokens: ['beneficiary', 'hicn', 'mbi'], compounds: ['memberid', 'membernumber', 'subscriberid', 'healthplan', 'policynumber', 'insuranceid', 'insurancenumber', 'medicaidid', 'medicareid', 'medicarenumber', 'medicaidnumber'] },
  { category: 'J', tokens: ['account', 'acct', 'fin', 'iban'], compounds: ['accountnumber', 'accountno', 'acctno', 'billingnumber', 'cardnumber', 'creditcard'] },
  { category: 'K', tokens: ['license', 'licence', 'certificate', 'cert', 'npi', 'dea'], compounds: ['licensenumber', 'licencenumber', 'certificatenumber', 'driverslicense'] },
  { category: 'L', tokens: ['vehicle', 'vin', 'plate'], compounds: ['licenseplate', 'licenceplate', 'numberplate'] },
  { category: 'M', tokens: ['device', 'serial', 'serialno', 'imei', 'udi'], compounds: ['serialnumber', 'deviceid', 'macaddress'] },
  { category: 'N', tokens: ['url', 'uri', 'website', 'homepage', 'webpage'], compounds: ['weburl', 'webaddress'] },
  { category: 'O', tokens: ['ip', 'ipaddr', 'ipv4', 'ipv6'], compounds: ['ipaddress'] },
  { category: 'P', tokens: ['biometric', 'biometrics', 'fingerprint', 'voiceprint', 'retina'], compounds: ['voiceprint', 'fingerprint', 'retinalscan', 'irisscan'] },
  { category: 'Q', tokens: ['photo', 'photograph', 'portrait', 'headshot', 'face', 'facial', 'selfie'], compounds: ['facephoto', 'facialimage'] },
  { category: 'R', tokens: ['id', 'uid', 'uuid', 'guid', 'identifier', 'ident'] },
];

/** Name tokens that make a column an age column: its values are then checked for ages over 89. */
const AGE_TOKENS: ReadonlySet<string> = new Set(['age', 'ages', 'ageyrs', 'ageyears']);

/** Name tokens of a ZIP code column: one holding only 3-digit values is judged by the 3-digit ZIP rule. */
const ZIP_TOKENS: ReadonlySet<string> = new Set(['zip', 'zipcode', 'zip3', 'zip5', 'postal', 'postcode']);

/**
 * Name tokens of a column of clinical codes (CPT, HCPCS, SNOMED CT, LOINC, NDC, RxNorm,
 * ICD, DRG): their codes are bare 5- to 18-digit numbers, the very shapes of ZIP codes and
 * record numbers, so such a column is judged by its name and strong shapes only.
 */
const CLINICAL_CODE_TOKENS: ReadonlySet<string> = new Set(['cpt', 'hcpcs', 'snomed', 'snomedct', 'sctid', 'loinc', 'ndc', 'rxnorm', 'rxcui', 'icd', 'icd9', 'icd10', 'drg', 'msdrg']);

/** Splits a column name into lower-case tokens: camelCase, snake_case, kebab, spaces, dots. */
function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
}

/** One category a column name suggests, and the identifier word of the name that suggests it. */
export interface NameMatch {
  readonly category: SafeHarborCategory;
  /** The token or compound of the rule that matched (a column name is not patient data). */
  readonly word: string;
}

/** Categories a column name suggests, each with the word that matched. */
export function matchesOfName(name: string): NameMatch[] {
  const tokens = nameTokens(name);
  const set = new Set(tokens);
  const joined = tokens.join('');
  const found: NameMatch[] = [];
  for (const rule of NAME_RULES) {
    if (rule.unless?.some((t) => set.has(t))) continue;
    const word = rule.tokens.find((t) => set.has(t)) ?? (rule.compounds ?? []).find((c) => joined.includes(c));
    if (word !== undefined) found.push({ category: rule.category, word });
  }
  return found;
}

/** Categories a column name suggests. */
export function categoriesOfName(name: string): SafeHarborCategory[] {
  return matchesOfName(name).map((m) => m.category);
}


/** Units an age column may be counted in, as days per unit (years, months, weeks, days, hours). */
const AGE_UNITS: readonly [ReadonlySet<string>, number][] = [
  [new Set(['month', 'months', 'mo', 'mos']), 365.25 / 12],
  [new Set(['week', 'weeks', 'wk', 'wks']), 7],
  [new Set(['day', 'days']), 1],
  [new Set(['hours', 'hrs']), 1 / 24],
];

/**
 * For a column whose name says age, the days one unit of its numbers stands for (365.25 for
 * years, the default; 30.44 for AGE_MONTHS, 7 for weeks, 1 for days); undefined for any
 * other column.
 */
export function ageUnitDays(name: string): number | undefined {
  const tokens = nameTokens(name);
  if (!tokens.some((t) => AGE_TOKENS.has(t))) return undefined;
  return AGE_UNITS.find(([words]) => tokens.some((t) => words.has(t)))?.[1] ?? 365.25;
}

/** True when the column name says it holds ZIP codes. */
export function isZipColumnName(name: string): boolean {
  return nameTokens(name).some((t) => ZIP_TOKENS.has(t));
}

const ICD10_SHAPE = /^[A-TV-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?$/;
/** The shape of one code of each code system a column name can name. */
const CODE_SHAPES: Readonly<Record<string, RegExp>> = {
  cpt: /^\d{4}[0-9FTU]$/,
  hcpcs: /^(?:[A-V]\d{4}|\d{4}[0-9FTU])$/,
  snomed: /^\d{6,18}$/,
  snomedct: /^\d{6,18}$/,
  sctid: /^\d{6,18}$/,
  loinc: /^\d{1,6}-\d$/,
  ndc: /^(?:\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d{1,2}|\d{10,11})$/,
  rxnorm: /^\d{1,7}$/,
  rxcui: /^\d{1,7}$/,
  icd: /^(?:[A-TV-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?|(?:V\d{2}|E\d{3}|\d{3})(?:\.\d{1,2})?)$/,
  icd9: /^(?:V\d{2}|E\d{3}|\d{3})(?:\.?\d{1,2})?$/,
  icd10: ICD10_SHAPE,
  drg: /^\d{3}$/,
  msdrg: /^\d{3}$/,
};

/**
 * For a column named for clinical code systems, a test of whether a cell has the shape of a
 * code of one of them (those cells are judged by strong shapes only); undefined otherwise.
 */
export function codeShapeOfName(name: string): ((cell: string) => boolean) | undefined {
  const shapes = nameTokens(name).flatMap((t) => (CODE_SHAPES[t] ? [CODE_SHAPES[t]] : []));
  return shapes.length === 0 ? undefined : (cell) => shapes.some((shape) => shape.test(cell));
}

/** Words that, with a code-system word, name a code column ("SNOMED_ID", "snomed_concept_id", "CPT_CODE") rather than an identifier. */
const CODE_ID_WORDS: ReadonlySet<string> = new Set(['id', 'ids', 'code', 'codes', 'cd', 'concept', 'num', 'no', 'value', 'primary', 'secondary']);

/** True when every word of the name is a code-system word or a code word: its "id" is a code's, not a person's ("ICD_ENCOUNTER_ID" is not). */
export function isCodeIdName(name: string): boolean {
  const tokens = nameTokens(name);
  return tokens.some((t) => CLINICAL_CODE_TOKENS.has(t)) && tokens.every((t) => CLINICAL_CODE_TOKENS.has(t) || CODE_ID_WORDS.has(t) || /^\d+$/.test(t));
}

/** True when the column name says it holds clinical codes ("CPT_CODE", "snomed_id", "NDC"). */
export function isClinicalCodeColumnName(name: string): boolean {
  return nameTokens(name).some((t) => CLINICAL_CODE_TOKENS.has(t));
}
