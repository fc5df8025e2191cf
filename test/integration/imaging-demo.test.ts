/**
 * `cohort demo --imaging --json` as a user runs it: a real process starting a coordinator and
 * three site agents (more processes) over mTLS, DICOM studies generated with identifiers in
 * their headers and file names, de-identified by the agents, a CNN trained with DP-SGD under
 * BFV encryption.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { COHORT_BIN } from '../../cli/demo/local-consortium.ts';
import { FIRST, LAST } from '../../scripts/datasets/synthetic-studies.ts';
import { filesUnder } from '../support/in-process-coordinator.ts';

const run = promisify(execFile);
const workdir = mkdtempSync(join(tmpdir(), 'cohort-imaging-demo-'));

afterAll(() => rmSync(workdir, { recursive: true, force: true }));

/** Strings every generated header carries (scripts/datasets/synthetic-studies.ts) and the hospitals' own UID root. */
const IDENTIFYING = ['MRN0', 'General Hospital', 'Infirmary Road', 'came with her brother', 'pacs-key-', '^Radiologist', 'SN-hospital', '1.2.826.0.1.3680043.2.1125.7.'];
/** Every generated patient name as the headers (`Last^First`) and the file names (`Last_First`) hold it. */
const NAMES = LAST.flatMap((last) => FIRST.flatMap((first) => [`${last}^${first}`, `${last}_${first}`]));

describe('cohort demo --imaging --json', () => {
  it(
    'trains the CNN encrypted and private to a final accuracy, with no header identifier or file name left outside the studies',
    async () => {
      const { stdout } = await run(process.execPath, [COHORT_BIN, 'demo', '--imaging', '--json', '--rounds', '2', '--workdir', workdir], {
        maxBuffer: 16 * 1024 * 1024,
        timeout: 480_000,
      });
      const summary = JSON.parse(stdout) as {
        state: string;
        name: string;
        codec: string;
        final: { accuracy: number; auc: number; evaluators: number; numExamples: number };
        sites: { state: string; privacy: { spent: { recordEpsilon: number } } }[];
      };

      expect(summary.state).toBe('COMPLETED');
      expect(summary.name).toBe('imaging-cnn');
      expect(summary.codec).toBe('bfv');
      expect(summary.final.evaluators).toBe(3);
      // 120 studies per site, 30% held out.
      expect(summary.final.numExamples).toBe(108);
      // The bar's direction is learnable: the ranking is far above chance (0.5) after two rounds. Checked on AUC, not on
      // accuracy at 0.5: with unseeded DP noise, three runs gave accuracy 0.64, 0.90 and 0.79 (and 0.56 in one fresh
      // clone) while AUC stayed at 0.98 to 0.99; the calibration of the 0.5 threshold after two noisy rounds is what moves.
      expect(summary.final.auc).toBeGreaterThan(0.8);
      expect(summary.final.accuracy).toBeGreaterThanOrEqual(0);
      expect(summary.final.accuracy).toBeLessThanOrEqual(1);
      expect(summary.sites.map((s) => s.state)).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
      for (const s of summary.sites) expect(s.privacy.spent.recordEpsilon).toBeGreaterThan(0);

      // The studies did carry the identifiers (the search can find them) ...
      const studies = filesUnder(join(workdir, 'studies')).filter((f) => f.endsWith('.dcm'));
      // 120 studies per site plus one declaring burned-in annotation, which each site skips (not cached, not counted).
      expect(studies).toHaveLength(363);
      const sample = readFileSync(studies[0]!);
      for (const needle of IDENTIFYING) expect(sample.includes(Buffer.from(needle)), needle).toBe(true);
      expect(studies.filter((f) => NAMES.some((n) => f.includes(n)))).toHaveLength(363);
      // ... and no other file the demo wrote holds one: sealed caches, state, logs, kits.
      for (const site of ['hospital-a', 'hospital-b', 'hospital-c']) {
        expect(readdirSync(join(workdir, 'sites', site, 'state', 'imaging-cache'))).toHaveLength(120);
      }
      const others = filesUnder(workdir).filter((f) => !f.startsWith(join(workdir, 'studies')));
      expect(others.length).toBeGreaterThan(360);
      for (const file of others) {
        for (const name of NAMES) expect(file.includes(name), `${name} in a file name: ${file}`).toBe(false);
        const bytes = readFileSync(file);
        for (const needle of [...IDENTIFYING, ...NAMES]) expect(bytes.includes(Buffer.from(needle)), `${needle} in ${file}`).toBe(false);
      }
    },
    600_000,
  );
});
