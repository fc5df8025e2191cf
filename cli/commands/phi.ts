/** `cohort phi scan`: which columns of a CSV extract look like HIPAA Safe Harbor identifiers, and why. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { CohortError, GeneralErrors } from '../../core/errors/index.ts';
import { SAFE_HARBOR_CATEGORIES, type PhiReason, type SafeHarborCategory } from '../../site-agent/data/phi-guard.ts';
import { DEFAULT_SCAN_ROWS, scanCsvFile } from '../../site-agent/data/phi-scan.ts';
import { runCommand } from '../output.ts';

/** `phi scan --json`: names, kinds and rules only; no cell of the file. */
export interface PhiScanOutput {
  readonly file: string;
  readonly rows: number;
  readonly scannedRows: number;
  readonly columns: { readonly name: string; readonly suspected: SafeHarborCategory[]; readonly reasons: PhiReason[] }[];
}

export async function phiScan(file: string, maxRows = DEFAULT_SCAN_ROWS): Promise<PhiScanOutput> {
  const result = await scanCsvFile(resolve(file), maxRows);
  return {
    file,
    rows: result.rows,
    scannedRows: result.scannedRows,
    columns: result.columns.map(({ name, suspected, reasons }) => ({ name, suspected, reasons })),
  };
}

/** One line per column: the kinds and, indented, each reason. */
export function humanScan(r: PhiScanOutput): string {
  const flagged = r.columns.filter((c) => c.suspected.length > 0);
  const lines = [`${r.file}: ${r.rows} rows${r.scannedRows < r.rows ? ` (first ${r.scannedRows} scanned)` : ''}, ${r.columns.length} columns, ${flagged.length} suspected identifier${flagged.length === 1 ? '' : 's'}`];
  for (const c of r.columns) {
    if (c.suspected.length === 0) {
      lines.push(`  ${c.name}: clean`);
      continue;
    }
    lines.push(`  ${c.name}: ${c.suspected.map((k) => `${k} (${SAFE_HARBOR_CATEGORIES[k]})`).join(', ')}`);
    for (const reason of c.reasons) lines.push(`      ${reason.kind} by ${reason.by}, ${reason.rule}: ${reason.why}${reason.cells === undefined ? '' : ` [${reason.cells} cell${reason.cells === 1 ? '' : 's'}]`}`);
  }
  return `${lines.join('\n')}\n`;
}

function parseRows(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CohortError(GeneralErrors.USAGE, `--rows must be a positive integer, got "${text}"`);
  return n;
}

export function registerPhiCommands(program: Command): void {
  const phi = program.command('phi').description('hospital IT: find HIPAA Safe Harbor identifiers in an extract before it is used (see docs/phi-guard.md)');
  phi
    .command('scan <file.csv>')
    .description('scan every column of a CSV file, by its name and its cells (whole cells and free text), for the 18 Safe Harbor identifier kinds')
    .option('--rows <n>', `scan at most the first n rows (default ${DEFAULT_SCAN_ROWS})`)
    .option('--json', 'print { file, rows, scannedRows, columns: [{ name, suspected, reasons }] }')
    .action(async (file: string, opts: { rows?: string; json?: boolean }) => {
      await runCommand(opts.json, () => phiScan(file, opts.rows === undefined ? DEFAULT_SCAN_ROWS : parseRows(opts.rows)), humanScan);
    });
}
