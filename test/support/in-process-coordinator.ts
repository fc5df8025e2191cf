/**
 * Shared by the RPC tests: a consortium provisioned into a temporary directory with an
 * in-process coordinator on 127.0.0.1 over real mTLS, plus small helpers.
 */
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoordinator, type RunningCoordinator } from '../../coordinator/coordinator.ts';
import type { CohortError } from '../../core/errors/index.ts';
import { adminClient, siteClient, unary } from '../../core/rpc/clients.ts';
import { createLogger } from '../../core/logging.ts';
import { loadKit, type Kit } from '../../core/pki/kit.ts';
import { caught } from './caught.ts';
import { provisionConsortium } from './provision.ts';

export interface TestConsortium {
  readonly dir: string;
  readonly coordinator: RunningCoordinator;
  readonly address: string;
  /** A participant's kit, loaded from the provisioned directory. */
  kit(name: string): Kit;
}

/**
 * Provisions `name` with the coordinator, `sites` (the first is the key holder) and `users`,
 * and starts the coordinator in this process with silent logs.
 */
export async function startTestConsortium(options: {
  name: string;
  sites: readonly string[];
  users: readonly { name: string; role: string }[];
  recruitTimeoutMs?: number;
  siteGraceMs?: number;
}): Promise<TestConsortium> {
  const dir = mkdtempSync(join(tmpdir(), `cohort-${options.name}-`));
  const file = join(dir, 'consortium.yaml');
  const list = (xs: readonly string[]): string => `[${xs.join(', ')}]`;
  writeFileSync(
    file,
    `name: ${options.name}\ncoordinator: { name: coordinator, hosts: [localhost, 127.0.0.1], port: 7443 }\nkeyHolder: ${options.sites[0]}\n` +
      `sites: ${list(options.sites.map((s) => `{ name: ${s} }`))}\nusers: ${list(options.users.map((u) => `{ name: ${u.name}, role: ${u.role} }`))}\n`,
  );
  await provisionConsortium(file, join(dir, 'kits'));
  const kits = new Map<string, Kit>();
  const kit = (name: string): Kit => {
    let k = kits.get(name);
    if (!k) {
      k = loadKit(join(dir, 'kits', name));
      kits.set(name, k);
    }
    return k;
  };
  const coordinator = await startCoordinator({
    kit: kit('coordinator'),
    stateDir: join(dir, 'state'),
    listen: '127.0.0.1:0',
    log: createLogger('test', { level: 'silent' }),
    ...(options.recruitTimeoutMs === undefined ? {} : { recruitTimeoutMs: options.recruitTimeoutMs }),
    ...(options.siteGraceMs === undefined ? {} : { siteGraceMs: options.siteGraceMs }),
  });
  return { dir, coordinator, address: `127.0.0.1:${coordinator.port}`, kit };
}

/** The CohortError a promise rejects with; fails the test if it resolves. */
export const refusal = (p: Promise<unknown>): Promise<CohortError> => caught(p);

/** Every regular file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Registers each of `sites` with the coordinator, as its agent does on connecting (agent version `0.1.0-<site>`, dataset heart). */
export async function registerSites(t: Pick<TestConsortium, 'kit' | 'address'>, sites: readonly string[]): Promise<void> {
  for (const s of sites) {
    const c = siteClient(t.kit(s), t.address);
    await unary((o, cb) => c.register({ agentVersion: `0.1.0-${s}`, backend: 'cpu', datasets: ['heart'] }, o, cb)).finally(() => c.close());
  }
}

/**
 * The activity the audit tests read back from the log: `site` registers, `user` submits a
 * one-round plaintext run of `spec`, and `refused` (a site's certificate) calls ListRuns and is
 * refused. Returns the run id.
 */
export async function registerSubmitAndRefuse(t: TestConsortium, o: { site: string; user: string; refused: string; spec: object }): Promise<string> {
  await registerSites(t, [o.site]);
  const admin = adminClient(t.kit(o.user), t.address);
  const { runId } = await unary<{ runId: string }>((c, cb) => admin.submitRun({ specJson: JSON.stringify({ ...o.spec, rounds: 1, minSites: 1 }), codec: 'plain' }, c, cb));
  admin.close();
  const wrong = adminClient(t.kit(o.refused), t.address);
  const error = await refusal(unary((c, cb) => wrong.listRuns({}, c, cb)));
  wrong.close();
  if (error.code !== 'COHORT_E_RUN_PERMISSION_DENIED') throw new Error(`expected COHORT_E_RUN_PERMISSION_DENIED, got ${error.code}`);
  return runId;
}
