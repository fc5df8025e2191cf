/**
 * PS3.15 Table E.1-1 as data: the Basic Application Level Confidentiality Profile's
 * action for each attribute, and the two options the federated use needs. Loaded from
 * the machine-readable table in `data/dicom/` (621 rows) so that the code carries no
 * copy of the standard that could drift from it.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';

/** The action codes of the Basic Profile column, compound ones included (E.3.1). */
export const BASIC_ACTIONS = ['D', 'Z', 'X', 'K', 'C', 'U', 'Z/D', 'X/Z', 'X/D', 'X/Z/D', 'X/Z/U*'] as const;
export type BasicAction = (typeof BASIC_ACTIONS)[number];
/** What an option column can say: K keep, C clean; absent when the Basic Profile action stands. */
export type OptionAction = 'K' | 'C';

/** One row of Table E.1-1, as far as Cohort applies it. */
export interface ActionRow {
  /** As written in the table: "(0010,0010)", "(50XX,XXXX)". */
  readonly tag: string;
  readonly name: string;
  readonly basic: BasicAction;
  /** Retain Longitudinal Temporal Information with Modified Dates Option. */
  readonly retainModifiedDates?: OptionAction;
  /** Retain Patient Characteristics Option. */
  readonly retainPatientCharacteristics?: OptionAction;
}

/** The table, for looking up the row that governs an element. */
export interface ActionTable {
  readonly rows: readonly ActionRow[];
  /**
   * The row for an 8-hex-digit tag ("00100010"): the private-attributes row for an odd
   * group, else the exact row, else a repeating-group one ("(60XX,3000)"); undefined
   * when the table has none.
   */
  lookup(tag: string): ActionRow | undefined;
}

export const DEFAULT_TABLE_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'dicom', 'ps3.15-table-e.1-1.csv');

const TAG_PATTERN = /^\(([0-9A-FX]{4}),([0-9A-FX]{4})\)$/;
/** The table's last row: every private attribute. */
export const PRIVATE_ROW_TAG = '(GGGG,EEEE) WHERE GGGG IS ODD';

function optionAction(value: string, column: string, tag: string): OptionAction | undefined {
  if (value === '') return undefined;
  if (value === 'K' || value === 'C') return value;
  throw new Error(`${tag}: column ${column} holds "${value}", expected K, C or empty`);
}

/** Parses the CSV text of Table E.1-1 (innolitics/dicom-standard columns) into an action table; throws on a row it cannot read. */
export function parseActionTable(csv: string): ActionTable {
  const records = parse(csv, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const exact = new Map<string, ActionRow>();
  const wildcard: { regex: RegExp; row: ActionRow }[] = [];
  let privateRow: ActionRow | undefined;
  const rows = records.map((r, i) => {
    const tag = (r.tag ?? '').toUpperCase();
    const m = TAG_PATTERN.exec(tag);
    if (m === null && tag !== PRIVATE_ROW_TAG) throw new Error(`row ${i + 2}: tag "${r.tag}" is not (gggg,eeee)`);
    const basic = r.basicProfile as BasicAction;
    if (!BASIC_ACTIONS.includes(basic)) throw new Error(`${tag}: basicProfile "${r.basicProfile}" is not a Basic Profile action`);
    const modified = optionAction(r.rtnLongModifDatesOpt ?? '', 'rtnLongModifDatesOpt', tag);
    const characteristics = optionAction(r.rtnPatCharsOpt ?? '', 'rtnPatCharsOpt', tag);
    const row: ActionRow = {
      tag,
      name: r.name ?? '',
      basic,
      ...(modified === undefined ? {} : { retainModifiedDates: modified }),
      ...(characteristics === undefined ? {} : { retainPatientCharacteristics: characteristics }),
    };
    if (m === null) privateRow = row;
    else if (`${m[1]}${m[2]}`.includes('X')) wildcard.push({ regex: new RegExp(`^${m[1]}${m[2]}$`.replaceAll('X', '[0-9A-F]')), row });
    else if (exact.has(`${m[1]}${m[2]}`)) throw new Error(`${tag}: listed twice`);
    else exact.set(`${m[1]}${m[2]}`, row);
    return row;
  });
  return {
    rows,
    lookup(tag: string): ActionRow | undefined {
      const t = tag.toUpperCase();
      if (Number.parseInt(t.slice(0, 4), 16) % 2 === 1) return privateRow;
      return exact.get(t) ?? wildcard.find((w) => w.regex.test(t))?.row;
    },
  };
}

let cached: ActionTable | undefined;

/** The table shipped in `data/dicom/`, read once. */
export function defaultActionTable(): ActionTable {
  cached ??= parseActionTable(readFileSync(DEFAULT_TABLE_PATH, 'utf8'));
  return cached;
}
