/**
 * A consortium on this machine: provisioned kits, synthetic hospital extracts, site
 * configs, and the coordinator and site agents as separate processes on 127.0.0.1.
 * The demo runs on it, and so do the integration tests.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { loadKit, type Kit } from '../../core/pki/kit.ts';
import { loadSiteConfig } from '../../site-agent/site-config.ts';
import { siteFingerprints } from '../../site-agent/key-custody.ts';
import { signingKeyFingerprint } from '../../core/secure-agg/fingerprints.ts';
import { initSiteStorage } from '../../site-agent/site-init.ts';
import { adminClient, unary } from '../../core/rpc/clients.ts';
import type { ListSitesResponse__Output } from '../../protos/gen/cohort/v1/ListSitesResponse.ts';
import type { RunStatus__Output } from '../../protos/gen/cohort/v1/RunStatus.ts';
import { getRun, TERMINAL_RUN_STATES } from '../commands/run.ts';
import { runStateLine } from '../run-summary.ts';
import { enrollConsortium } from './enroll-consortium.ts';
import { waitForState } from './wait-for-state.ts';
import { generateHospitals, syntheticColumnMapping } from '../../scripts/datasets/synthetic-hospitals.ts';
import { generateStudies } from '../../scripts/datasets/synthetic-studies.ts';

const execFileAsync = promisify(execFile);

export const COHORT_BIN = fileURLToPath(new URL('../bin/cohort.js', import.meta.url));

export interface LocalConsortiumOptions {
  workdir: string;
  sites: number;
  seed?: number;
  rowsPerSite?: number;
  /** Passed to `coordinator start`. */
  siteGraceMs?: number;
  recruitTimeoutMs?: number;
  /** Each site's privacy cap (policy.privacy.maxEpsilon); null: no cap. Default: the policy default (10). */
  maxEpsilon?: number | null;
  /** Let the sites join plaintext runs (policy.allowPlaintext; development and benchmarks only). */
  allowPlaintext?: boolean;
  /** Each site's policy.release (what of its own numbers leaves it); default: the policy default. */
  release?: (site: string, index: number) => Record<string, unknown> | undefined;
  /** Also give every site an `imaging` dataset of kind dicom: this many generated studies of size x size pixels. */
  imaging?: { readonly studies: number; readonly size: number };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A demo agreement in force from yesterday (UTC) for a year. */
function demoAgreement(kind: 'BAA' | 'DUA', reference: string): { kind: 'BAA' | 'DUA'; reference: string; signedOn: string; expires: string } {
  const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  return { kind, reference, signedOn: day(-1), expires: day(365) };
}

export class LocalConsortium {
  readonly processes = new Map<string, ChildProcess>();

  private constructor(
    readonly options: LocalConsortiumOptions,
    readonly port: number,
    readonly siteNames: string[],
    readonly kitsDir: string,
  ) {}

  static async create(options: LocalConsortiumOptions): Promise<LocalConsortium> {
    const { workdir } = options;
    mkdirSync(workdir, { recursive: true });
    const port = await freePort();
    const hospitals = await generateHospitals({ sites: options.sites, seed: options.seed ?? 7, rowsPerSite: options.rowsPerSite, outDir: join(workdir, 'extracts') });
    const siteNames = hospitals.map((h) => h.site);
    const studies = options.imaging
      ? generateStudies({ sites: siteNames, studies: options.imaging.studies, size: options.imaging.size, seed: options.seed ?? 7, outDir: join(workdir, 'studies') })
      : [];
    const consortiumFile = join(workdir, 'consortium.yaml');
    writeFileSync(
      consortiumFile,
      stringify({
        // Version 2: agreements required, so every demo participant has one (made up, in force from yesterday for a year).
        version: 2,
        name: 'demo-consortium',
        coordinator: { name: 'coordinator', hosts: ['localhost', '127.0.0.1'], port },
        keyHolder: siteNames[0],
        sites: siteNames.map((name, i) => ({ name, agreement: demoAgreement('BAA', `BAA-DEMO-${i + 1}`) })),
        users: [
          { name: 'alice', role: 'data-scientist', agreement: demoAgreement('DUA', 'DUA-DEMO-1') },
          { name: 'olga', role: 'operator', agreement: demoAgreement('DUA', 'DUA-DEMO-2') },
          { name: 'ann', role: 'approver', agreement: demoAgreement('DUA', 'DUA-DEMO-3') },
          { name: 'aud', role: 'auditor', agreement: demoAgreement('DUA', 'DUA-DEMO-4') },
        ],
      }),
    );
    // Every participant enrols in its own directory under kits/; the operator's CA and the
    // signed (keyless) kits it hands back stay in provisioner/.
    const kitsDir = join(workdir, 'kits');
    await enrollConsortium(consortiumFile, { provisionerDir: join(workdir, 'provisioner'), participantDir: (name) => join(kitsDir, name), force: true });
    // Every other site pins the key holder's certificate key, which its IT would read out by
    // phone from `cohort site fingerprint` at the key holder (signingKeyFingerprint); here it is
    // read from the key holder's kit, which exists from enrolment on.
    const keyHolder = siteNames[0] as string;
    const keyHolderKey = signingKeyFingerprint(loadKit(join(kitsDir, keyHolder)).certPem);
    for (const [index, h] of hospitals.entries()) {
      const release = options.release?.(h.site, index);
      const dir = join(workdir, 'sites', h.site);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(
        join(dir, 'site.yaml'),
        stringify({
          site: h.site,
          dataDir: './state',
          keyFile: './at-rest.key',
          ...(h.site === keyHolder ? {} : { keyHolderKey }),
          device: 'auto',
          datasets: {
            heart: { path: h.path, columns: syntheticColumnMapping() },
            ...(studies[index] ? { imaging: { kind: 'dicom', path: studies[index].dir, labels: { path: studies[index].labels } } } : {}),
          },
          policy: {
            minExamples: 20,
            ...(options.allowPlaintext ? { allowPlaintext: true } : {}),
            ...(options.maxEpsilon === undefined ? {} : { privacy: { maxEpsilon: options.maxEpsilon } }),
            ...(release ? { release } : {}),
          },
        }),
      );
    }
    return new LocalConsortium(options, port, siteNames, kitsDir);
  }

  kit(name: string): Kit {
    return loadKit(join(this.kitsDir, name));
  }

  private spawnCohort(name: string, args: string[], env: Readonly<Record<string, string>> = {}): ChildProcess {
    const logs = join(this.options.workdir, 'logs');
    mkdirSync(logs, { recursive: true });
    const child = spawn(process.execPath, [COHORT_BIN, ...args, '--log-file', join(logs, `${name}.log`)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, COHORT_LOG_LEVEL: process.env.COHORT_LOG_LEVEL ?? 'info', ...env },
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 20_000) stderr = stderr.slice(-20_000);
    });
    child.on('exit', (code, signal) => {
      if (code !== 0 && code !== null && stderr) process.stderr.write(`[${name} exited ${code ?? signal}] ${stderr}\n`);
    });
    this.processes.set(name, child);
    return child;
  }

  /** `env` adds variables to the coordinator's environment (tests: COHORT_TEST_CRASH_AT, coordinator/state/crash-hook.ts). */
  startCoordinator(env: Readonly<Record<string, string>> = {}): ChildProcess {
    const args = ['coordinator', 'start', '--kit', join(this.kitsDir, 'coordinator'), '--state', join(this.options.workdir, 'coordinator-state'), '--listen', `127.0.0.1:${this.port}`];
    if (this.options.siteGraceMs !== undefined) args.push('--site-grace-ms', String(this.options.siteGraceMs));
    if (this.options.recruitTimeoutMs !== undefined) args.push('--recruit-timeout-ms', String(this.options.recruitTimeoutMs));
    return this.spawnCohort('coordinator', args, env);
  }

  /** What `cohort site init` does: the site's data directory and owner-only at-rest key. */
  initSite(name: string): void {
    initSiteStorage(loadSiteConfig(join(this.options.workdir, 'sites', name, 'site.yaml')));
  }

  /** `env` adds variables to the agent's environment (tests: site-agent/test-hooks.ts). */
  startSite(name: string, env: Readonly<Record<string, string>> = {}): ChildProcess {
    const config = join(this.options.workdir, 'sites', name, 'site.yaml');
    return this.spawnCohort(name, ['site', 'start', '--kit', join(this.kitsDir, name), '--config', config, '--address', `127.0.0.1:${this.port}`], env);
  }

  /**
   * Runs `cohort site key-ceremony` at the key holder as its own process (the coordinator
   * only relays), after the sites have connected and published their exchange keys.
   */
  async keyCeremony(): Promise<{ keyId: string; sealedFor: string[]; alreadySealed: string[]; refused: unknown[] }> {
    const holder = this.siteNames[0] as string;
    const config = join(this.options.workdir, 'sites', holder, 'site.yaml');
    const args = [COHORT_BIN, 'site', 'key-ceremony', '--kit', join(this.kitsDir, holder), '--config', config, '--address', `127.0.0.1:${this.port}`, '--json'];
    // The key holder's IT confirms each hospital on the roster after comparing fingerprints out
    // of band; here each site's own `cohort site fingerprint` stands in for that phone call.
    for (const site of this.siteNames.slice(1)) {
      const fp = siteFingerprints(join(this.kitsDir, site), join(this.options.workdir, 'sites', site, 'site.yaml'));
      args.push('--accept', `${site}=${fp.exchangeKeyFingerprint}`);
    }
    const { stdout } = await execFileAsync(process.execPath, args, { maxBuffer: 1 << 20 });
    return JSON.parse(stdout) as { keyId: string; sealedFor: string[]; alreadySealed: string[]; refused: unknown[] };
  }

  /**
   * Waits until `count` sites hold an open task stream; gives up only when the connected set
   * has not changed for `stallMs`, saying which sites were connected.
   */
  async waitForSites(count: number, stallMs?: number): Promise<void> {
    const client = adminClient(this.kit('olga'), `127.0.0.1:${this.port}`);
    try {
      await waitForState({
        what: `${count} connected sites`,
        read: () => unary<ListSitesResponse__Output>((o, cb) => client.listSites({}, o, cb), 5_000),
        done: (res) => res.sites.filter((s) => s.connected).length >= count,
        describe: (res) => `connected: [${res.sites.filter((s) => s.connected).map((s) => s.site).join(', ')}]`,
        intervalMs: 200,
        ...(stallMs === undefined ? {} : { stallMs }),
      });
    } finally {
      client.close();
    }
  }

  /**
   * Polls run `runId` (as alice, the demo's data scientist) until `done`; gives up when the run
   * ends without it, or when its state has not changed for `stallMs`, naming the state last seen.
   */
  waitForRun(runId: string, what: string, done: (s: RunStatus__Output) => boolean, stallMs?: number): Promise<RunStatus__Output> {
    const alice = this.kit('alice');
    return waitForState({
      what: `${runId}: ${what}`,
      read: () => getRun(alice, runId, `127.0.0.1:${this.port}`),
      done,
      describe: runStateLine,
      // A completed run can still gain its model id; nothing else changes after the end.
      hopeless: (s) => TERMINAL_RUN_STATES.includes(s.state) && (s.state !== 'COMPLETED' || s.modelId !== ''),
      ...(stallMs === undefined ? {} : { stallMs }),
    });
  }

  kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.processes.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.processes.keys()].map((n) => this.kill(n, 'SIGTERM')));
    this.processes.clear();
  }
}
