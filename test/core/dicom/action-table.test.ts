/**
 * The action table against the CSV it is loaded from: the exact counts per Basic Profile
 * code and option code, every row reachable by lookup (repeating groups and the private
 * row included), compound codes resolved as docs/dicom-deid.md says.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TABLE_PATH, defaultActionTable, parseActionTable, type ActionRow } from '../../../core/dicom/action-table.ts';
import { resolveAction } from '../../../core/dicom/deidentify.ts';

const table = defaultActionTable();
const countBy = (rows: readonly ActionRow[], key: (r: ActionRow) => string | undefined): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of rows) {
    const k = key(r);
    if (k !== undefined) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
};

/** A concrete tag a row governs: X digits as 0, and an odd group for the private row. */
const concreteTag = (row: ActionRow): string => (row.tag.startsWith('(GGGG') ? '00091001' : row.tag.slice(1, 5) + row.tag.slice(6, 10)).replaceAll('X', '0');

describe('the PS3.15 Table E.1-1 action table', () => {
  it('loads all 621 rows with the Basic Profile counts of the CSV', () => {
    expect(table.rows).toHaveLength(621);
    expect(new Set(table.rows.map((r) => r.tag)).size).toBe(621);
    expect(countBy(table.rows, (r) => r.basic)).toEqual({ X: 384, D: 92, U: 54, Z: 42, 'X/D': 22, 'X/Z': 11, 'X/Z/D': 8, 'Z/D': 6, 'X/Z/U*': 2 });
  });

  it('loads the two option columns: 165 C for modified dates, 9 K and 4 C for patient characteristics', () => {
    expect(countBy(table.rows, (r) => r.retainModifiedDates)).toEqual({ C: 165 });
    expect(countBy(table.rows, (r) => r.retainPatientCharacteristics)).toEqual({ K: 9, C: 4 });
    expect(table.rows.filter((r) => r.retainPatientCharacteristics === 'K').map((r) => r.tag)).toEqual([
      '(0010,0040)', '(0010,1010)', '(0010,1020)', '(0010,1030)', '(0010,2160)', '(0010,21A0)', '(0010,21C0)', '(0010,2203)', '(0072,005F)',
    ]);
  });

  it('finds every row by a tag it governs', () => {
    const unreachable = table.rows.filter((r) => table.lookup(concreteTag(r)) !== r).map((r) => r.tag);
    expect(unreachable).toEqual([]);
  });

  it('matches the repeating groups on any group of the range and nothing else', () => {
    expect(table.lookup('50000010')?.name).toBe('Curve Data');
    expect(table.lookup('501E3000')?.name).toBe('Curve Data');
    expect(table.lookup('60003000')?.name).toBe('Overlay Data');
    expect(table.lookup('60023000')?.name).toBe('Overlay Data');
    expect(table.lookup('601e4000')?.name).toBe('Overlay Comments');
    expect(table.lookup('60000010')).toBeUndefined(); // Overlay Rows: not in the table
    expect(table.lookup('61003000')).toBeUndefined();
    expect(table.lookup('00091001')?.name).toBe('Private Attributes');
    expect(table.lookup('7FE00010')).toBeUndefined(); // Pixel Data is kept
  });

  it('refuses a table with an unknown code, a bad tag or a row listed twice', () => {
    const csv = readFileSync(DEFAULT_TABLE_PATH, 'utf8');
    const header = csv.split(/\r?\n/)[0];
    expect(() => parseActionTable(`${header}\n"(0010,0010)",Name,Y,Q,,,,,,,,,,\n`)).toThrow('(0010,0010): basicProfile "Q" is not a Basic Profile action');
    expect(() => parseActionTable(`${header}\n"0010,0010",Name,Y,Z,,,,,,,,,,\n`)).toThrow('row 2: tag "0010,0010" is not (gggg,eeee)');
    expect(() => parseActionTable(`${header}\n"(0010,0010)",Name,Y,Z,,,,,,,,,,\n"(0010,0010)",Name,Y,X,,,,,,,,,,\n`)).toThrow('(0010,0010): listed twice');
    expect(() => parseActionTable(`${header}\n"(0010,0010)",Name,Y,Z,,,,,Q,,,,,\n`)).toThrow('(0010,0010): column rtnPatCharsOpt holds "Q", expected K, C or empty');
  });
});

describe('resolveAction', () => {
  const row = (basic: ActionRow['basic'], extra: Partial<ActionRow> = {}): ActionRow => ({ tag: '(0000,0000)', name: 't', basic, ...extra });

  it.each([
    ['X', 'LO', 'remove'],
    ['Z', 'LO', 'empty'],
    ['D', 'LO', 'dummy'],
    ['U', 'UI', 'uid'],
    ['X/Z', 'LO', 'empty'],
    ['X/D', 'DA', 'dummy'],
    ['Z/D', 'LO', 'dummy'],
    ['X/Z/D', 'PN', 'dummy'],
    ['X/Z/U*', 'SQ', 'uid'],
  ] as const)('resolves %s on %s to %s (compound codes: the choice that keeps the attribute present)', (basic, vr, expected) => {
    expect(resolveAction(row(basic), vr, {})).toBe(expected);
  });

  it('shifts a DA or DT under C of the temporal option, keeps a TM, and falls back to the Basic Profile elsewhere', () => {
    const r = row('X/D', { retainModifiedDates: 'C' });
    expect(resolveAction(r, 'DA', { retainDates: true })).toBe('shift');
    expect(resolveAction(r, 'DT', { retainDates: true })).toBe('shift');
    expect(resolveAction(r, 'TM', { retainDates: true })).toBe('keep');
    expect(resolveAction(r, 'SH', { retainDates: true })).toBe('dummy');
    expect(resolveAction(r, 'DA', { retainDates: false })).toBe('dummy');
  });

  it('keeps a K row of Retain Patient Characteristics and applies the Basic Profile to its C rows', () => {
    expect(resolveAction(row('Z', { retainPatientCharacteristics: 'K' }), 'CS', { retainPatientCharacteristics: true })).toBe('keep');
    expect(resolveAction(row('Z', { retainPatientCharacteristics: 'K' }), 'CS', {})).toBe('empty');
    expect(resolveAction(row('X', { retainPatientCharacteristics: 'C' }), 'LO', { retainPatientCharacteristics: true })).toBe('remove');
  });
});
