/**
 * Incident detection over the audit stream. Rules read the coordinator's audit records (and
 * the verifier's verdict on the log) and raise incidents; each incident found for the first
 * time is kept in `incidents.jsonl` with the time of its discovery and the date 60 calendar
 * days later, the latest by which the HIPAA Breach Notification Rule (45 CFR 164.404(b))
 * asks for notice when the incident turns out to be a breach of unsecured PHI.
 *
 * Rules (docs/governance.md#incidents):
 * - `repeated-refusals`: at least `refusalThreshold` refused calls (rpc.refused) from one
 *   identity within `refusalWindowMs`;
 * - `revoked-certificate`: a call refused because its certificate is revoked
 *   (COHORT_E_PKI_CERT_REVOKED), one incident per certificate;
 * - `unapproved-export`: a model version exported without approval (the registry's
 *   `model.export` record with `approved: false`, i.e. with --allow-unapproved);
 * - `audit-verification-failed`: the log does not verify (the verifier's code and index);
 * - `cosigned-checkpoint-disagrees`: a site refused the coordinator's checkpoint
 *   (`audit.witness.refused`, or a refusal in `cosignatures.jsonl` beside the log), or a
 *   site's stored cosignature names a root the log does not have at that tree size (or a
 *   size the log no longer reaches): one incident per site, tree size and root.
 * Pending: a dataset read wider than the accepted spec (the site's `dataset.read` records name
 * the spec's columns, not what the reader touched).
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { appendDurably, readLineFile } from '../audit/lines.ts';
import { parseCheckpointLine } from '../audit/checkpoint.ts';
import { parseRecord, type AuditRecord } from '../audit/record.ts';
import { verifyAuditLog } from '../audit/verify.ts';
import { leafHash, MerkleFrontier } from '../audit/merkle.ts';
import { readCosignatures, type StoredCosignature } from '../audit/witness.ts';
import { AuditErrors, CohortError, GovernanceErrors, isCohortError } from '../errors/index.ts';
import { releaseOwnLock, tryLock } from '../pid-lock.ts';
import { DAY_MS } from './agreements.ts';
import { auditLogFileOf, CHECKPOINT_FILE } from '../audit/audit-log.ts';

export const INCIDENT_RULES = ['repeated-refusals', 'revoked-certificate', 'unapproved-export', 'audit-verification-failed', 'cosigned-checkpoint-disagrees', 'site-witness-rollback'] as const;
export type IncidentRule = (typeof INCIDENT_RULES)[number];

/** Days after discovery by which the Breach Notification Rule asks for notice (45 CFR 164.404(b)). */
export const BREACH_NOTICE_DAYS = 60;

/** What a rule found: no PHI, only identities, actions, codes and record indexes. */
export interface Finding {
  readonly id: string;
  readonly rule: IncidentRule;
  readonly summary: string;
  /** Who the records name (a certificate identity), when one. */
  readonly actor: { readonly name: string; readonly role: string } | null;
  /** The audit records that make the incident (indexes in audit.jsonl). */
  readonly records: readonly number[];
  /** Time of the first and the last of those records (for a verification failure: when it was found). */
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

export interface Incident extends Finding {
  /** When a scan first found it. */
  readonly discoveredAt: string;
  /** discoveredAt's UTC day plus 60 calendar days (YYYY-MM-DD). */
  readonly notifyBy: string;
}

export interface DetectOptions {
  readonly refusalThreshold?: number;
  readonly refusalWindowMs?: number;
  /** The consortium CA, for verifying checkpoint signers. */
  readonly caPem?: string;
  /** When the verification is made (a finding's time for audit-verification-failed). */
  readonly now?: Date;
  /** Checkpoints kept elsewhere (a scan's kept checkpoint): the log must still reach and match them. */
  readonly keptCheckpointFiles?: readonly string[];
}

const idOf = (...parts: (string | number)[]): string => `inc-${createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 12)}`;

/** The records of a log, skipping lines that are not records (the verification rule reports those). */
function readRecords(file: string): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (const line of readLineFile(file).lines) {
    const r = parseRecord(line);
    if ('record' in r) out.push(r.record);
  }
  return out;
}

/** Runs every rule over the log at `file` (audit.jsonl, with checkpoints.jsonl beside it). */
export function detectIncidents(file: string, options: DetectOptions = {}): Finding[] {
  return detect(file, options).findings;
}

/** The checkpoint a scan keeps in its incidents directory: the largest it verified, checked again at every later scan. */
export const KEPT_CHECKPOINT_FILE = 'checkpoint.jsonl';

/**
 * audit-verification-failed: the verifier's first fault, checkpoints.jsonl and the kept
 * checkpoint (if any) together; records that no checkpoint covers at all are a fault too
 * (LOG_UNCHECKED: a log cut and its checkpoints.jsonl deleted verifies by its chain alone).
 * On success, the largest verified checkpoint line, for the caller to keep.
 */
function verifyForIncidents(file: string, options: DetectOptions, now: Date): { finding?: Finding; largest?: Buffer } {
  const checkpointFiles = [join(dirname(file), CHECKPOINT_FILE), ...(options.keptCheckpointFiles ?? [])].filter((f) => existsSync(f));
  const failed = (code: string, index: number | null): Finding => ({
    id: idOf('audit-verification-failed', code, index ?? -1),
    rule: 'audit-verification-failed',
    summary: `the audit log does not verify: ${code}${index === null ? '' : ` at record ${index}`}`,
    actor: null,
    records: index === null ? [] : [index],
    firstSeen: now.toISOString(),
    lastSeen: now.toISOString(),
    details: { code, index },
  });
  try {
    const { summary } = verifyAuditLog({ logFile: file, checkpointFiles, role: 'coordinator', ...(options.caPem === undefined ? {} : { caPem: options.caPem }) });
    if (summary.records > 0 && summary.treeSize === 0) return { finding: failed(AuditErrors.LOG_UNCHECKED.code, null) };
    let largest: { size: number; line: Buffer } | undefined;
    for (const f of checkpointFiles) {
      readLineFile(f).lines.forEach((line, i) => {
        const size = parseCheckpointLine(line, i).size;
        if (largest === undefined || size > largest.size) largest = { size, line };
      });
    }
    return largest === undefined ? {} : { largest: largest.line };
  } catch (e) {
    if (!isCohortError(e)) throw e;
    return { finding: failed(e.code, typeof e.details.index === 'number' ? e.details.index : null) };
  }
}

function detect(file: string, options: DetectOptions): { findings: Finding[]; largest?: Buffer } {
  const now = options.now ?? new Date();
  const threshold = options.refusalThreshold ?? 5;
  const windowMs = options.refusalWindowMs ?? 10 * 60_000;
  const records = readRecords(file);
  const findings: Finding[] = [];

  // repeated-refusals: per identity, bursts of at least `threshold` refusals within a sliding window.
  const byIdentity = new Map<string, AuditRecord[]>();
  for (const r of records) {
    if (r.action !== 'rpc.refused') continue;
    const key = `${r.actor.name}\n${r.actor.role}`;
    byIdentity.set(key, [...(byIdentity.get(key) ?? []), r]);
  }
  for (const list of byIdentity.values()) {
    // Sliding window: every run of at least `threshold` refusals within `windowMs` of its first,
    // wherever it starts; overlapping runs merge into one burst.
    const bursts: [number, number][] = [];
    let reach = 0;
    for (let i = 0; i < list.length; i++) {
      const t0 = Date.parse(list[i]!.time);
      reach = Math.max(reach, i);
      while (reach + 1 < list.length && Date.parse(list[reach + 1]!.time) - t0 <= windowMs) reach++;
      if (reach - i + 1 < threshold) continue;
      const last = bursts.at(-1);
      if (last !== undefined && i <= last[1]) last[1] = reach;
      else bursts.push([i, reach]);
    }
    for (const [from, to] of bursts) {
      const burst = list.slice(from, to + 1);
      const first = burst[0]!;
      const spanMs = Date.parse(burst.at(-1)!.time) - Date.parse(first.time);
      const minutes = Math.round(windowMs / 60_000);
      findings.push({
        // The identity and the time of the burst's first refusal: not where a scan began counting.
        id: idOf('repeated-refusals', first.actor.name, first.actor.role, first.time),
        rule: 'repeated-refusals',
        summary: spanMs <= windowMs ? `${burst.length} refused calls from ${first.actor.role} ${first.actor.name} within ${minutes} minutes` : `${burst.length} refused calls from ${first.actor.role} ${first.actor.name}, in bursts of at least ${threshold} within ${minutes} minutes`,
        actor: first.actor,
        records: burst.map((r) => r.index),
        firstSeen: first.time,
        lastSeen: burst.at(-1)!.time,
        details: { refusals: burst.length, threshold, windowMinutes: windowMs / 60_000, codes: [...new Set(burst.map((r) => String(r.details.code)))].sort().join(',') },
      });
    }
  }

  // revoked-certificate: one incident per serial (or, without one, per name).
  const revoked = new Map<string, AuditRecord[]>();
  for (const r of records) {
    if (r.action !== 'rpc.refused' || r.details.code !== 'COHORT_E_PKI_CERT_REVOKED') continue;
    const key = r.target.certificate ?? r.actor.name;
    revoked.set(key, [...(revoked.get(key) ?? []), r]);
  }
  for (const [key, list] of revoked) {
    const first = list[0]!;
    findings.push({
      id: idOf('revoked-certificate', key),
      rule: 'revoked-certificate',
      summary: `${first.actor.role} ${first.actor.name} tried to connect with a revoked certificate (${list.length} call${list.length === 1 ? '' : 's'})`,
      actor: first.actor,
      records: list.map((r) => r.index),
      firstSeen: first.time,
      lastSeen: list.at(-1)!.time,
      details: { certificate: first.target.certificate ?? null, attempts: list.length },
    });
  }

  // unapproved-export: the registry's model.export (or model.download) with approved false.
  for (const r of records) {
    // model.download with approved false: the older path that hands out unapproved weights (matched while it exists).
    if ((r.action !== 'model.export' && r.action !== 'model.download') || r.details.approved !== false) continue;
    findings.push({
      id: idOf('unapproved-export', r.index),
      rule: 'unapproved-export',
      summary: `${r.actor.role} ${r.actor.name} ${r.action === 'model.download' ? 'downloaded' : 'exported'} model ${r.target.model ?? '?'} without approval`,
      actor: r.actor,
      records: [r.index],
      firstSeen: r.time,
      lastSeen: r.time,
      details: { model: r.target.model ?? null, run: r.target.run ?? null, allowUnapproved: r.details.allowUnapproved === true },
    });
  }

  findings.push(...witnessFindings(file, records));

  // site-witness-rollback: a site reported keeping less of the log than it had cosigned (coordinator/server/witness.ts);
  // one incident per site and cosigned size.
  const rolledBack = new Map<string, AuditRecord[]>();
  for (const r of records) {
    if (r.action !== 'audit.witness.site-rollback') continue;
    const key = `${r.target.site ?? r.actor.name}\u0000${String(r.details.cosignedSize)}`;
    rolledBack.set(key, [...(rolledBack.get(key) ?? []), r]);
  }
  for (const list of rolledBack.values()) {
    const first = list[0]!;
    const site = first.target.site ?? first.actor.name;
    findings.push({
      id: idOf('site-witness-rollback', site, String(first.details.cosignedSize)),
      rule: 'site-witness-rollback',
      summary: `site ${site} reported keeping ${String(first.details.reportedSize)} records of the log after cosigning ${String(first.details.cosignedSize)}: its state was restored or reset`,
      actor: first.actor,
      records: list.map((r) => r.index),
      firstSeen: first.time,
      lastSeen: list.at(-1)!.time,
      details: { site, reportedSize: Number(first.details.reportedSize), cosignedSize: Number(first.details.cosignedSize) },
    });
  }

  const verification = verifyForIncidents(file, options, now);
  if (verification.finding) findings.push(verification.finding);
  findings.sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : a.id < b.id ? -1 : 1));
  return verification.largest === undefined ? { findings } : { findings, largest: verification.largest };
}

/**
 * cosigned-checkpoint-disagrees: the sites' refusals the coordinator verified (both evidence
 * checkpoints its own and inconsistent: `audit.witness.refused` records and verified lines of
 * cosignatures.jsonl), and each stored cosignature whose root is not the log's root at its
 * tree size. A refusal it could not verify (`audit.witness.claim`) is the site's claim: no
 * incident. Roots are named in hex.
 */
function witnessFindings(file: string, records: readonly AuditRecord[]): Finding[] {
  const out = new Map<string, Finding>();
  const add = (site: string, treeSize: number, root: string, why: string, time: string, record: number | null, code: string): void => {
    const id = idOf('cosigned-checkpoint-disagrees', site, treeSize, root);
    const known = out.get(id);
    if (known !== undefined) {
      if (record !== null) out.set(id, { ...known, records: [...known.records, record], lastSeen: time > known.lastSeen ? time : known.lastSeen });
      return;
    }
    out.set(id, {
      id,
      rule: 'cosigned-checkpoint-disagrees',
      summary: `site ${site} ${why} (tree size ${treeSize})`,
      actor: { name: site, role: 'site' },
      records: record === null ? [] : [record],
      firstSeen: time,
      lastSeen: time,
      details: { site, treeSize, root, code },
    });
  };
  const hex = (base64: string): string => Buffer.from(base64, 'base64').toString('hex');
  const refusedWhy = 'refused the coordinator\'s checkpoint: it does not extend the one the site cosigned';
  for (const r of records) {
    if (r.action !== 'audit.witness.refused') continue;
    const site = r.target.site ?? r.actor.name;
    add(site, Number(r.details.treeSize), String(r.details.root), refusedWhy, r.time, r.index, String(r.details.code));
  }
  let stored: StoredCosignature[];
  try {
    stored = readCosignatures(dirname(file));
  } catch {
    // A cut or garbled cosignatures.jsonl: the records above still count; the verification rule reports the log.
    stored = [];
  }
  const cosigned: { site: string; treeSize: number; root: string; time: string }[] = [];
  for (const c of stored) {
    if (!('refused' in c)) cosigned.push({ site: c.site, treeSize: c.cosignature.treeSize, root: c.cosignature.root, time: c.cosignature.time });
    else if (c.verified === true) add(c.site, c.treeSize, hex(c.root), refusedWhy, c.time, null, c.refused);
  }
  if (cosigned.length === 0) return [...out.values()];
  // One pass over the log in tree-size order: each stored cosignature's root read off the growing frontier.
  const leaves = readLineFile(file).lines;
  cosigned.sort((a, b) => a.treeSize - b.treeSize);
  const frontier = new MerkleFrontier();
  for (const c of cosigned) {
    if (c.treeSize > leaves.length) {
      add(c.site, c.treeSize, hex(c.root), `cosigned ${c.treeSize} records, but the log holds ${leaves.length}: it was cut`, c.time, null, AuditErrors.LOG_TRUNCATED.code);
      continue;
    }
    while (frontier.size < c.treeSize) frontier.append(leafHash(leaves[frontier.size]!));
    if (frontier.root().toString('base64') !== c.root) add(c.site, c.treeSize, hex(c.root), 'cosigned a root the log no longer has at that size: the history was rewritten', c.time, null, AuditErrors.CHECKPOINT_MISMATCH.code);
  }
  return [...out.values()];
}
/** discoveredAt's UTC day plus 60 calendar days. */
export function notifyByDate(discoveredAt: Date): string {
  const day = Date.parse(`${discoveredAt.toISOString().slice(0, 10)}T00:00:00Z`);
  return new Date(day + BREACH_NOTICE_DAYS * DAY_MS).toISOString().slice(0, 10);
}

export const INCIDENTS_FILE = 'incidents.jsonl';

/** The incidents recorded in `dir`, oldest discovery first. */
export function readIncidents(dir: string): Incident[] {
  const file = join(dir, INCIDENTS_FILE);
  if (!existsSync(file)) return [];
  return readLineFile(file).lines.map((l, i) => {
    try {
      return JSON.parse(l.toString('utf8')) as Incident;
    } catch (e) {
      throw new CohortError(AuditErrors.RECORD_MALFORMED, `${file}: line ${i} is not JSON`, { details: { index: i }, cause: e });
    }
  });
}

export interface HookResult {
  readonly id: string;
  readonly exitCode: number | null;
}

/** Each hook run: `deliveries.jsonl` in the incidents directory, one line per run; an incident is delivered once a run exited 0. */
export const DELIVERIES_FILE = 'deliveries.jsonl';

interface Delivery extends HookResult {
  readonly at: string;
}

function delivered(dir: string): Set<string> {
  const file = join(dir, DELIVERIES_FILE);
  if (!existsSync(file)) return new Set();
  const ok = new Set<string>();
  for (const l of readLineFile(file).lines) {
    try {
      const d = JSON.parse(l.toString('utf8')) as Delivery;
      if (d.exitCode === 0) ok.add(d.id);
    } catch {
      // A line cut by a crash: that run counts as undelivered, and the hook runs again.
    }
  }
  return ok;
}

export interface ScanResult {
  readonly incidents: readonly Incident[];
  /** Ids first found by this scan. */
  readonly discovered: readonly string[];
  /** The hook's exit status for each incident it ran for: every recorded incident not yet delivered (when a hook was given). */
  readonly hooks: readonly HookResult[];
}

export interface ScanOptions extends DetectOptions {
  /** Where incidents.jsonl is kept. */
  readonly incidentsDir: string;
  /** A shell command run once per newly found incident: the incident as JSON on stdin, COHORT_INCIDENT_ID and COHORT_INCIDENT_RULE in its environment. */
  readonly hook?: string;
}

/**
 * Detects incidents in the log at `path` (an audit directory or audit.jsonl), records those
 * not recorded before (with the time of discovery and the notification date), runs the
 * hook for each of them, and returns every recorded incident.
 */
export function scanIncidents(path: string, options: ScanOptions): ScanResult {
  const file = auditLogFileOf(path);
  mkdirSync(options.incidentsDir, { recursive: true, mode: 0o700 });
  // One scan at a time per incidents directory: two would record the same incident twice and run its hook twice.
  const lock = join(options.incidentsDir, 'lock');
  const taken = tryLock(lock);
  if (!taken.taken) {
    throw new CohortError(GovernanceErrors.INCIDENTS_BUSY, `another incident scan (pid ${taken.holder ?? '?'}) holds ${lock}; run this one again when it has finished`, { details: { lock } });
  }
  try {
    return scanUnderLock(file, options);
  } finally {
    releaseOwnLock(lock);
  }
}

function scanUnderLock(file: string, options: ScanOptions): ScanResult {
  const now = options.now ?? new Date();
  const known = readIncidents(options.incidentsDir);
  const seen = new Set(known.map((i) => i.id));
  const kept = join(options.incidentsDir, KEPT_CHECKPOINT_FILE);
  const found = detect(file, { ...options, now, keptCheckpointFiles: [...(options.keptCheckpointFiles ?? []), kept] });
  if (found.largest !== undefined) {
    writeFileSync(`${kept}.tmp`, found.largest.toString('utf8') + '\n', { mode: 0o600 });
    renameSync(`${kept}.tmp`, kept);
  }
  const fresh: Incident[] = found.findings
    .filter((f) => !seen.has(f.id))
    .map((f) => ({ ...f, discoveredAt: now.toISOString(), notifyBy: notifyByDate(now) }));
  if (fresh.length > 0) {
    const fd = openSync(join(options.incidentsDir, INCIDENTS_FILE), 'a', 0o600);
    try {
      for (const i of fresh) appendDurably(fd, Buffer.from(`${JSON.stringify(i)}\n`, 'utf8'));
    } finally {
      closeSync(fd);
    }
  }
  const hooks: HookResult[] = [];
  if (options.hook !== undefined) {
    // Every recorded incident the hook has not yet taken (exit 0), found by this scan or before.
    const done = delivered(options.incidentsDir);
    for (const i of [...known, ...fresh].filter((x) => !done.has(x.id))) {
      const r = spawnSync('/bin/sh', ['-c', options.hook], { input: JSON.stringify(i), env: { ...process.env, COHORT_INCIDENT_ID: i.id, COHORT_INCIDENT_RULE: i.rule }, stdio: ['pipe', 'ignore', 'ignore'], timeout: 60_000 });
      const result: HookResult = { id: i.id, exitCode: r.status };
      hooks.push(result);
      const fd = openSync(join(options.incidentsDir, DELIVERIES_FILE), 'a', 0o600);
      try {
        appendDurably(fd, Buffer.from(`${JSON.stringify({ ...result, at: new Date().toISOString() } satisfies Delivery)}\n`, 'utf8'));
      } finally {
        closeSync(fd);
      }
    }
  }
  return { incidents: [...known, ...fresh], discovered: fresh.map((i) => i.id), hooks };
}

/** One recorded incident by id; COHORT_E_GOVERNANCE_INCIDENT_NOT_FOUND otherwise. */
export function findIncident(incidents: readonly Incident[], id: string): Incident {
  const found = incidents.find((i) => i.id === id);
  if (found === undefined) throw new CohortError(GovernanceErrors.INCIDENT_NOT_FOUND, `no incident "${id}" in the record`, { details: { id } });
  return found;
}

