/** `cohort dicom deid`: de-identifies a directory of DICOM files by PS3.15's Basic Profile, keyed by the site secret. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { deidentifyDirectory, type DeidRunResult } from '../../core/dicom/deidentify-directory.ts';
import { MIN_SECRET_BYTES, deidKeys } from '../../core/dicom/keyed-derivation.ts';
import { CohortError, DicomErrors } from '../../core/errors/index.ts';
import { runCommand } from '../output.ts';

/** Runs of at least this many files report progress on stderr, every this many files. */
export const PROGRESS_EVERY = 100;

export interface DicomDeidOptions {
  readonly out: string;
  readonly secretFile?: string;
  readonly retainDates?: boolean;
  readonly retainPatientCharacteristics?: boolean;
}

/** The site secret: the file's bytes without one trailing newline. */
export function readSecret(path: string | undefined): Buffer {
  if (path === undefined) {
    throw new CohortError(DicomErrors.SECRET_REQUIRED, 'de-identification needs the site secret: pass --secret-file <file> (there is no default secret)');
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new CohortError(DicomErrors.SECRET_INVALID, `secret file ${path} cannot be read`, { details: { path }, cause: e });
  }
  const secret = bytes.subarray(0, bytes.length - (bytes.at(-1) === 0x0a ? (bytes.at(-2) === 0x0d ? 2 : 1) : 0));
  if (secret.length < MIN_SECRET_BYTES) {
    throw new CohortError(DicomErrors.SECRET_INVALID, `secret file ${path} holds ${secret.length} bytes, at least ${MIN_SECRET_BYTES} are needed`, {
      details: { path, bytes: secret.length },
    });
  }
  return secret;
}

/** De-identifies every file under `inDir` into `opts.out`. */
export function dicomDeid(inDir: string, opts: DicomDeidOptions, progress: (line: string) => void = (l) => process.stderr.write(l)): DeidRunResult {
  const keys = deidKeys(readSecret(opts.secretFile));
  return deidentifyDirectory(inDir, opts.out, {
    keys,
    retainDates: opts.retainDates === true,
    retainPatientCharacteristics: opts.retainPatientCharacteristics === true,
    onProgress: (done, total) => {
      if (total >= PROGRESS_EVERY && (done % PROGRESS_EVERY === 0 || done === total)) progress(`dicom deid: ${done}/${total} files\n`);
    },
  });
}

function human(r: DeidRunResult): string {
  const lines = [`de-identified ${r.written.length} file${r.written.length === 1 ? '' : 's'}, skipped ${r.skipped.length}`];
  for (const s of r.skipped) lines.push(`  skipped ${s.code}: ${s.reason}`);
  return `${lines.join('\n')}\n`;
}

export function registerDicomCommands(program: Command): void {
  const dicom = program.command('dicom').description('DICOM images: de-identification by DICOM PS3.15 before any pixel is used');
  dicom
    .command('deid <in-dir>')
    .description('de-identify every DICOM file under <in-dir> into --out (Basic Application Confidentiality Profile; see docs/dicom-deid.md)')
    .requiredOption('--out <out-dir>', 'where the de-identified files go, as <study>/<series>/<instance>.dcm by their new UIDs (never inside <in-dir>)')
    .option('--secret-file <file>', 'the site secret (at least 32 bytes) that keys the replacement UIDs and the date shifts; required')
    .option('--retain-dates', 'Retain Longitudinal Temporal Information with Modified Dates: shift dates by a per-patient offset instead of removing them')
    .option('--retain-patient-characteristics', "Retain Patient Characteristics: keep sex, age, size, weight and the table's other K rows")
    .option('--json', 'print { written: [{ input, output }], skipped: [{ input, code, reason }] }')
    .action(async (inDir: string, opts: DicomDeidOptions & { json?: boolean }) => {
      await runCommand(opts.json, () => dicomDeid(inDir, opts), human);
    });
}
