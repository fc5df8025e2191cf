/**
 * `cohort demo`: a local consortium of synthetic hospitals trains a model end to end
 * over real mTLS gRPC, as separate processes; prints a summary and stops everything.
 */
import type { Command } from 'commander';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { LocalConsortium } from '../demo/local-consortium.ts';
import { printJson, reportError } from '../output.ts';
import { formatRunStatus, summarizeRun } from '../run-summary.ts';
import { showVersion } from './model.ts';
import { progressPrinter, submitRun, watchRun } from './run.ts';
import { SUPPRESS_AT_MOST, type FairnessReport } from '../../core/evaluation/fairness-metrics.ts';
import type { GlobalExplanations } from '../../core/evaluation/global-explanations.ts';

const DEMO_SPEC = fileURLToPath(new URL('../../models/examples/demo-private.yaml', import.meta.url));
const IMAGING_SPEC = fileURLToPath(new URL('../../models/examples/imaging-cnn.yaml', import.meta.url));
/** Studies per hospital and their size in `--imaging`: small, so that the demo runs in well under a minute. */
const IMAGING = { studies: 120, size: 16 } as const;

interface DemoOptions {
  sites: string;
  rounds: string;
  workdir?: string;
  keep?: boolean;
  json?: boolean;
  seed: string;
  spec?: string;
  /** Commander sets false for --no-encryption. */
  encryption?: boolean;
  imaging?: boolean;
}

/** What the demo's synthetic hospitals let leave them beside their updates (site-config.ts ReleasePolicySchema). */
const DEMO_RELEASE = { recordCounts: 'exact', siteMetrics: true } as const;

/** The released version's fairness and explanations, in a few lines. */
function demoModelText(r: { fairness: Record<string, unknown> | null; reviewRequired: boolean; explanations: unknown; explanationsUnavailable?: string }): string {
  const lines: string[] = [];
  const f = r.fairness as FairnessReport | null;
  const fmt = (x: number | null | undefined): string => (typeof x === 'number' ? x.toFixed(3) : 'n/a');
  if (f) {
    lines.push('  fairness of the released model (summed under the encryption, per group):');
    for (const g of f.groups) lines.push(`    ${g.attribute}=${g.group}: n ${g.n}, tpr ${fmt(g.tpr)}, fpr ${fmt(g.fpr)}, auc ${fmt(g.auc)}`);
    for (const [a, x] of Object.entries(f.equalizedOddsDifference)) lines.push(`    equalized odds difference over ${a}: ${fmt(x)}`);
    lines.push(`    suppressed groups (1 to ${SUPPRESS_AT_MOST} patients, and those suppressed beside them): ${f.suppressed.length}${r.reviewRequired ? '; the version needs a fairness review before approval' : ''}`);
  }
  const e = r.explanations as GlobalExplanations | null;
  if (e) lines.push(`  global explanations (${e.method}, baseline the global mean): ${e.global.slice(0, 5).map((g) => `${g.feature} ${g.meanAbsAttribution.toFixed(3)}`).join(', ')}`);
  else if (r.explanationsUnavailable) lines.push(`  global explanations: none (${r.explanationsUnavailable})`);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run a local consortium of synthetic hospitals end to end (coordinator + site agents over mTLS)')
    .option('--sites <n>', 'number of hospitals', '3')
    .option('--rounds <n>', 'training rounds', '5')
    .option('--seed <n>', 'seed for the synthetic patients', '7')
    .option('--workdir <dir>', 'where kits, state and logs go (default: a temporary directory)')
    .option('--keep', 'keep the work directory for inspection')
    .option('--json', 'print the summary as one JSON object on stdout')
    .option('--spec <file>', 'model spec to train (default: models/examples/demo-private.yaml)')
    .option('--no-encryption', 'send updates as plaintext (development only; the default is BFV encryption)')
    .option('--imaging', 'train a CNN on generated DICOM studies, de-identified by each site agent (spec: models/examples/imaging-cnn.yaml)')
    .action(async (opts: DemoOptions) => {
      const out = (s: string): void => {
        (opts.json ? process.stderr : process.stdout).write(s);
      };
      const workdir = opts.workdir ? resolve(opts.workdir) : mkdtempSync(join(tmpdir(), 'cohort-demo-'));
      const sites = Number(opts.sites);
      const rounds = Number(opts.rounds);
      let consortium: LocalConsortium | undefined;
      try {
        out(`cohort demo: ${sites} hospitals, ${rounds} rounds, work directory ${workdir}\n`);
        // Synthetic patients: the demo's hospitals let their own metrics and exact counts go, so the output can show them.
        consortium = await LocalConsortium.create({
          workdir,
          sites,
          seed: Number(opts.seed),
          allowPlaintext: opts.encryption === false,
          release: () => DEMO_RELEASE,
          ...(opts.imaging ? { imaging: IMAGING } : {}),
        });
        out(`  enrolled ${sites + 5} participants by certificate request (each key made in its own directory; the CA key encrypted under a passphrase) and generated synthetic extracts\n`);
        if (opts.imaging) {
          out(`  generated ${IMAGING.studies} DICOM studies of ${IMAGING.size}x${IMAGING.size} pixels per hospital (headers full of fake identifiers, file names carrying patient names); each site agent de-identifies them (PS3.15 Basic Profile) before training and keeps them sealed under its at-rest key\n`);
        }
        consortium.startCoordinator();
        for (const s of consortium.siteNames) consortium.initSite(s);
        for (const s of consortium.siteNames) consortium.startSite(s);
        await consortium.waitForSites(sites);
        out(`  coordinator on 127.0.0.1:${consortium.port}; ${sites} site agents connected over mTLS\n`);
        const ceremony = await consortium.keyCeremony();
        out(`  key ceremony: ${consortium.siteNames[0]} generated HE key ${ceremony.keyId} and sealed it only to the members its IT confirmed by fingerprint: ${ceremony.sealedFor.join(", ")} (the coordinator stores only sealed copies)\n`);
        // An encrypted run masks unless its spec opts out, and a masked spec needs minSites >= 3: with fewer sites the demo runs unmasked (masking: false).
        const loaded = loadSpecFile(opts.spec ? resolve(opts.spec) : opts.imaging ? IMAGING_SPEC : DEMO_SPEC);
        const masked = opts.encryption !== false && sites >= 3 && loaded.masking !== false;
        const spec = { ...loaded, rounds, minSites: masked ? 3 : Math.min(2, sites), testFraction: 0.3, ...(opts.encryption !== false && !masked ? { masking: false as const } : {}) };
        const specPath = join(workdir, 'spec.json');
        writeFileSync(specPath, JSON.stringify(spec, null, 2));
        const alice = consortium.kit('alice');
        const address = `127.0.0.1:${consortium.port}`;
        const { runId } = await submitRun(alice, specPath, opts.encryption === false ? 'plain' : 'bfv', address);
        out(`  run ${runId} submitted by alice (data-scientist)\n`);
        out(
          '  consortium metrics are summed under the encryption and decrypted only by the sites; these synthetic hospitals also share their own metrics and exact record counts (policy.release: siteMetrics true, recordCounts exact), which a real site keeps by default\n',
        );
        const progress = opts.json || !process.stdout.isTTY ? undefined : progressPrinter();
        let lastRound = 0;
        const final = await watchRun(
          alice,
          runId,
          (s) => {
            progress?.update(s);
            if (!progress) {
              for (const r of s.roundStatus.filter((x) => x.state === 'CLOSED' && x.round > lastRound)) {
                lastRound = r.round;
                out(`  round ${r.round}/${rounds} closed: ${r.metrics ? `consortium accuracy ${r.metrics.accuracy.toFixed(3)} auc ${r.metrics.auc.toFixed(3)} (±${r.metrics.aucResolution.toFixed(3)}) over ${r.metrics.numExamples} held-out rows of ${r.metrics.evaluators} sites` : 'consortium metrics withheld (fewer than minSites evaluations)'} (${r.contributors} updates)\n`);
              }
            }
          },
          address,
        );
        progress?.stop();
        // The sites release the final model after the run completes.
        const shown = final.state === 'COMPLETED' ? await consortium.waitForRun(runId, 'the model release', (s) => s.modelId !== '') : final;
        // The released version's subgroup fairness and global explanations, as `cohort model show --json` gives them.
        const version = shown.modelId ? await showVersion(alice, address, shown.modelId) : undefined;
        const registered = version
          ? {
              fairness: version.fairness,
              reviewRequired: version.reviewRequired,
              explanations: version.explanations,
              ...(version.explanationsUnavailable ? { explanationsUnavailable: version.explanationsUnavailable } : {}),
            }
          : { fairness: null, reviewRequired: false, explanations: null };
        if (opts.json) printJson({ ...summarizeRun(shown), ...registered });
        else {
          process.stdout.write(formatRunStatus(shown));
          if (version) process.stdout.write(demoModelText(registered));
        }
        process.exitCode = final.state === 'COMPLETED' ? 0 : 1;
      } catch (e) {
        process.exitCode = reportError(e, Boolean(opts.json));
      } finally {
        await consortium?.stopAll();
        if (!opts.keep && !opts.workdir) rmSync(workdir, { recursive: true, force: true });
        else out(`  kits, state and logs kept in ${workdir}\n`);
      }
    });
}
