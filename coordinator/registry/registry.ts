/**
 * The model registry in MLflow's vocabulary: a registered model is a spec's name, each
 * released run of it a numbered version (coordinator/engine/run-engine.ts releaseModel),
 * and aliases (champion, challenger, ...) point at versions. Approval, aliases, rollback
 * and export are recorded in the events table inside the transaction that makes the
 * change, so each reaches the audit log (and a signed checkpoint follows, coordinator.ts);
 * each refused change is recorded too, as `<action>.refused` with its code (`refusing`).
 * Free text (notes, intended use) is stored here and goes into an event (so the audit log)
 * only as its SHA-256 and byte length (`textDigest`): core/audit/details.ts would pass a
 * one-word value such as a record number through as it is.
 */
import { createHash } from 'node:crypto';
import { CohortError, RegistryErrors, RunErrors } from '../../core/errors/index.ts';
import type { ModelAliasRow, ModelInfo, ModelRow, StateStore } from '../state/store.ts';
import type { FairnessRecord } from './fairness-review.ts';

/** The caller of a registry change, from its verified certificate. */
export interface RegistryCaller {
  readonly name: string;
  readonly role: string;
}

/** The alias a rollback moves, and the only one that must point at an approved version. */
export const CHAMPION = 'champion';

const ALIAS = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const MAX_TEXT = 2000;

/** Alias names are case-insensitive, stored in lowercase: `Champion` is champion, approval check and all. */
function aliasName(alias: string): string {
  return alias.toLowerCase();
}

function invalid(field: string, message: string): CohortError {
  return new CohortError(RegistryErrors.INVALID_REQUEST, `${field}: ${message}`, { details: { field } });
}

/** A required free-text field: trimmed, non-empty, at most 2000 characters. */
function text(field: string, value: string): string {
  const t = value.trim();
  if (t === '') throw invalid(field, 'is required and may not be empty');
  if (t.length > MAX_TEXT) throw invalid(field, `has ${t.length} characters; at most ${MAX_TEXT}`);
  return t;
}

/** `<field>Sha256` and `<field>Bytes` of a free-text value, for an event: never the value itself. */
export function textDigest(field: string, value: string): Record<string, string | number> {
  const bytes = Buffer.from(value, 'utf8');
  return { [`${field}Sha256`]: createHash('sha256').update(bytes).digest('hex'), [`${field}Bytes`]: bytes.length };
}

function versionNumber(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw invalid(field, `expected a version number (1, 2, ...), got ${value}`);
  return value;
}

/**
 * How weights leave: `model.export` (RegistryService.ExportModelVersion) or `model.download`
 * (AdminService.GetModel's raw weights). One rule for both, recorded under its own name.
 */
export type ExportAction = 'model.export' | 'model.download';

/** What a refused request named, for its `.refused` record: never free text, only ids, numbers and hashes. */
interface Attempt {
  readonly runId: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
}

export class ModelRegistry {
  constructor(
    readonly store: StateStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A version from a reference: its model id, `<name>/<version>` or `<name>@<alias>`
   * (MLflow's models:/<name>/<version> and models:/<name>@<alias>, without the scheme).
   */
  resolve(ref: string): ModelInfo {
    const r = ref.trim();
    const notFound = (what: string): CohortError => new CohortError(RegistryErrors.VERSION_NOT_FOUND, `no model version ${what}`, { details: { ref: r } });
    if (r === '') throw invalid('ref', 'name a model id, <name>/<version> or <name>@<alias>');
    const at = r.lastIndexOf('@');
    if (at > 0) {
      const alias = this.store.modelAlias(r.slice(0, at), aliasName(r.slice(at + 1)));
      if (!alias) throw notFound(`is aliased "${r.slice(at + 1)}" in registered model "${r.slice(0, at)}"`);
      return this.info(alias.model_id);
    }
    const slash = r.lastIndexOf('/');
    if (slash > 0) {
      const v = r.slice(slash + 1);
      if (!/^[1-9][0-9]{0,8}$/.test(v)) throw invalid('ref', `"${v}" is not a version number`);
      const m = this.store.modelVersion(r.slice(0, slash), Number(v));
      if (!m) throw notFound(`${v} of registered model "${r.slice(0, slash)}"`);
      return m;
    }
    const m = this.store.modelInfo(r);
    if (!m) throw notFound(`has id "${r}"`);
    return m;
  }

  private info(modelId: string): ModelInfo {
    const m = this.store.modelInfo(modelId);
    if (!m) throw new CohortError(RegistryErrors.VERSION_NOT_FOUND, `no model version has id "${modelId}"`, { details: { ref: modelId } });
    return m;
  }

  /**
   * Runs a registry change; a refusal (a CohortError) is recorded as `<action>.refused` with
   * its code and what the request named (`attempt`), in its own transaction, so a checkpoint
   * follows it like any registry change, and the change itself left nothing behind.
   */
  private refusing<T>(caller: RegistryCaller, action: string, attempt: () => Attempt, change: () => T): T {
    try {
      return change();
    } catch (e) {
      if (e instanceof CohortError) {
        const a = attempt();
        this.store.tx(() => {
          this.store.appendEvent(caller.name, `${action}.refused`, a.runId, { ...a.detail, code: e.code }, this.now());
        });
      }
      throw e;
    }
  }

  /** What a refused request named by reference: the version when it exists, else the reference's hash only. */
  private attemptOnRef(ref: string): Attempt {
    let m: ModelInfo;
    try {
      m = this.resolve(ref);
    } catch {
      return { runId: null, detail: textDigest('ref', ref) };
    }
    return { runId: m.run_id, detail: { modelId: m.model_id, name: m.name, version: m.version } };
  }

  /** What a refused request named by registered model and version: the name only when it is registered, else its hash. */
  private attemptOnVersion(name: string, version: number): Attempt {
    const m = Number.isSafeInteger(version) ? this.store.modelVersion(name, version) : undefined;
    if (m) return { runId: m.run_id, detail: { modelId: m.model_id, name: m.name, version: m.version } };
    const v = Number.isFinite(version) ? version : null;
    return { runId: null, detail: this.store.models(name).length > 0 ? { name, version: v } : { ...textDigest('name', name), version: v } };
  }

  /** Every version (or one registered model's) with the aliases. */
  list(name?: string): { versions: ModelInfo[]; aliases: ModelAliasRow[] } {
    const n = name === undefined || name === '' ? undefined : name;
    return { versions: this.store.models(n), aliases: this.store.modelAliases(n) };
  }

  /** The aliases that point at a version. */
  aliasesOf(m: ModelInfo): string[] {
    return this.store.modelAliases(m.name).filter((a) => a.model_id === m.model_id).map((a) => a.alias);
  }

  /**
   * Records who approved a version, when, why and for what use (the spec's description when
   * `use` is empty). A version whose fairness record says reviewRequired (fairness-review.ts)
   * is refused with REGISTRY_FAIRNESS_REVIEW_REQUIRED unless `fairnessReviewed` states the
   * review was done; the approval then records the review (in the version's fairness record
   * and in the event).
   */
  approve(caller: RegistryCaller, ref: string, note: string, use: string, fairnessReviewed = false): ModelInfo {
    return this.refusing(caller, 'model.approve', () => this.attemptOnRef(ref), () => this.approveNow(caller, ref, note, use, fairnessReviewed));
  }

  private approveNow(caller: RegistryCaller, ref: string, note: string, use: string, fairnessReviewed: boolean): ModelInfo {
    const reason = text('note', note);
    const m = this.resolve(ref);
    const intendedUse = use.trim() === '' ? m.intended_use : use;
    if (intendedUse.trim() === '') throw invalid('intended_use', 'the spec states no intended use (description); pass --use with the intended clinical use');
    const useText = text('intended_use', intendedUse);
    if (m.approval === 'APPROVED') {
      throw new CohortError(RegistryErrors.ALREADY_APPROVED, `${m.name} version ${m.version} (${m.model_id}) was approved by ${m.approved_by ?? '?'} already`, {
        details: { modelId: m.model_id },
      });
    }
    const fairness = m.fairness_json ? (JSON.parse(m.fairness_json) as FairnessRecord) : undefined;
    const reviewed = fairness?.reviewRequired === true;
    if (reviewed && !fairnessReviewed) {
      throw new CohortError(RegistryErrors.FAIRNESS_REVIEW_REQUIRED, `${m.name} version ${m.version} (${m.model_id}) needs a fairness review: ${fairness.reviewReasons.join('; ')}; approve with --fairness-reviewed and a note that addresses it`, {
        details: { modelId: m.model_id, maxEqualizedOddsDifference: fairness.maxEqualizedOddsDifference, equalizedOddsDifference: fairness.equalizedOddsDifference },
      });
    }
    const now = this.now();
    this.store.tx(() => {
      if (!this.store.approveModel(m.model_id, { approved_by: caller.name, approved_at_ms: now, approval_note: reason, intended_use: useText })) {
        throw new CohortError(RegistryErrors.ALREADY_APPROVED, `${m.name} version ${m.version} (${m.model_id}) was approved already`, { details: { modelId: m.model_id } });
      }
      const noteDigest = textDigest('note', reason);
      if (reviewed) this.store.setModelFairness(m.model_id, JSON.stringify({ ...fairness, review: { by: caller.name, atMs: now, noteSha256: noteDigest.noteSha256 } }));
      this.store.appendEvent(caller.name, 'model.approve', m.run_id, { modelId: m.model_id, name: m.name, version: m.version, weightsSha256: m.weights_sha256, ...noteDigest, ...textDigest('intendedUse', useText), ...(reviewed ? { fairnessReviewed: true } : {}) }, now);
    });
    return this.info(m.model_id);
  }

  /**
   * Points `alias` (lowercased) of registered model `name` at `version`. Champion: only by an
   * approver, only at an approved version, and never backwards (that is `rollback`).
   */
  setAlias(caller: RegistryCaller, name: string, aliasGiven: string, version: number, note = ''): ModelAliasRow {
    return this.refusing(
      caller,
      'model.alias',
      () => {
        const a = this.attemptOnVersion(name, version);
        return { ...a, detail: { ...a.detail, ...(ALIAS.test(aliasGiven) ? { alias: aliasName(aliasGiven) } : textDigest('alias', aliasGiven)) } };
      },
      () => this.setAliasNow(caller, name, aliasGiven, version, note),
    );
  }

  private setAliasNow(caller: RegistryCaller, name: string, aliasGiven: string, version: number, note: string): ModelAliasRow {
    if (!ALIAS.test(aliasGiven)) throw invalid('alias', `"${aliasGiven}" is not an identifier (letters, digits, _ . -; at most 64)`);
    const alias = aliasName(aliasGiven);
    // Champion is what clinical use follows: only an approver moves it (an operator may set any other alias).
    if (alias === CHAMPION && caller.role !== 'approver') {
      throw new CohortError(RunErrors.PERMISSION_DENIED, `only an approver may move "${CHAMPION}"; role "${caller.role}" may set other aliases`, { details: { role: caller.role, alias: CHAMPION } });
    }
    const m = this.store.modelVersion(name, versionNumber('version', version));
    if (!m) throw new CohortError(RegistryErrors.VERSION_NOT_FOUND, `no version ${version} of registered model "${name}"`, { details: { ref: `${name}/${version}` } });
    if (alias === CHAMPION && m.approval !== 'APPROVED') {
      throw new CohortError(RegistryErrors.NOT_APPROVED, `${name} version ${version} is not approved; "${CHAMPION}" points only at approved versions`, { details: { modelId: m.model_id } });
    }
    const previous = this.store.modelAlias(name, alias);
    if (alias === CHAMPION && previous) {
      const current = this.info(previous.model_id);
      if (m.version < current.version) {
        throw new CohortError(
          RegistryErrors.CHAMPION_NEEDS_ROLLBACK,
          `${CHAMPION} of "${name}" is version ${current.version}; moving it back to ${m.version} is a rollback: cohort model rollback ${name} --to ${m.version} --note <why>`,
          { details: { name, champion: current.version, to: m.version } },
        );
      }
    }
    const now = this.now();
    const row: ModelAliasRow = { name, alias, model_id: m.model_id, set_by: caller.name, set_at_ms: now, note: note.trim() === '' ? null : text('note', note) };
    this.store.tx(() => {
      this.store.setModelAlias(row);
      this.store.appendEvent(caller.name, 'model.alias', m.run_id, { modelId: m.model_id, name, alias, version, previousModelId: previous?.model_id ?? null, ...(row.note === null ? {} : textDigest('note', row.note)) }, now);
    });
    return row;
  }

  /** Points champion back at an earlier approved version than the one it points at now, and records why. */
  rollback(caller: RegistryCaller, name: string, toVersion: number, note: string): { alias: ModelAliasRow; from: ModelInfo; to: ModelInfo } {
    return this.refusing(caller, 'model.rollback', () => this.attemptOnVersion(name, toVersion), () => this.rollbackNow(caller, name, toVersion, note));
  }

  private rollbackNow(caller: RegistryCaller, name: string, toVersion: number, note: string): { alias: ModelAliasRow; from: ModelInfo; to: ModelInfo } {
    const reason = text('note', note);
    versionNumber('to_version', toVersion);
    const current = this.store.modelAlias(name, CHAMPION);
    if (!current) {
      throw new CohortError(RegistryErrors.ROLLBACK_REFUSED, `registered model "${name}" has no ${CHAMPION}; nothing to roll back (set one with cohort model alias)`, { details: { name } });
    }
    const from = this.info(current.model_id);
    const to = this.store.modelVersion(name, toVersion);
    if (!to) throw new CohortError(RegistryErrors.VERSION_NOT_FOUND, `no version ${toVersion} of registered model "${name}"`, { details: { ref: `${name}/${toVersion}` } });
    if (to.version >= from.version) {
      throw new CohortError(RegistryErrors.ROLLBACK_REFUSED, `${CHAMPION} of "${name}" is version ${from.version}; a rollback goes to an earlier version, not ${to.version}`, {
        details: { name, champion: from.version, to: to.version },
      });
    }
    if (to.approval !== 'APPROVED') {
      throw new CohortError(RegistryErrors.NOT_APPROVED, `${name} version ${to.version} was never approved; a rollback goes to an earlier approved version`, { details: { modelId: to.model_id } });
    }
    const now = this.now();
    const alias: ModelAliasRow = { name, alias: CHAMPION, model_id: to.model_id, set_by: caller.name, set_at_ms: now, note: reason };
    this.store.tx(() => {
      this.store.setModelAlias(alias);
      this.store.appendEvent(caller.name, 'model.rollback', to.run_id, { modelId: to.model_id, name, version: to.version, fromModelId: from.model_id, fromVersion: from.version, ...textDigest('note', reason) }, now);
    });
    return { alias, from, to: this.info(to.model_id) };
  }

  /**
   * A version's weights and spec for export. An unapproved version only to an operator who
   * asks for it (`allowUnapproved`), and recorded as such; every refusal is recorded too.
   */
  export(caller: RegistryCaller, ref: string, allowUnapproved: boolean, action: ExportAction = 'model.export'): { model: ModelRow; specJson: string } {
    return this.refusing(
      caller,
      action,
      () => {
        const a = this.attemptOnRef(ref);
        return { ...a, detail: { ...a.detail, allowUnapproved } };
      },
      () => this.exportNow(caller, ref, allowUnapproved, action),
    );
  }

  private exportNow(caller: RegistryCaller, ref: string, allowUnapproved: boolean, action: ExportAction): { model: ModelRow; specJson: string } {
    const info = this.resolve(ref);
    if (allowUnapproved && caller.role !== 'operator') {
      throw new CohortError(RunErrors.PERMISSION_DENIED, `only an operator may export an unapproved version (--allow-unapproved); role "${caller.role}" may not`, { details: { role: caller.role } });
    }
    if (info.approval !== 'APPROVED' && !allowUnapproved) {
      throw new CohortError(RegistryErrors.NOT_APPROVED, `${info.name} version ${info.version} (${info.model_id}) is not approved; it cannot be exported`, { details: { modelId: info.model_id } });
    }
    const model = this.store.getModel(info.model_id)!;
    // What leaves is what was released and approved: the stored bytes must still hash to the registered SHA-256.
    if (createHash('sha256').update(model.weights).digest('hex') !== model.weights_sha256) {
      throw new CohortError(
        RegistryErrors.WEIGHTS_MISMATCH,
        `${info.name} version ${info.version} (${info.model_id}): the stored weights do not hash to the registered SHA-256 ${model.weights_sha256}; they are not served`,
        { details: { modelId: info.model_id } },
      );
    }
    const run = this.store.getRun(info.run_id);
    if (!run) throw new CohortError(RegistryErrors.VERSION_NOT_FOUND, `the run ${info.run_id} of ${info.model_id} is not in the state`, { details: { ref: info.model_id } });
    this.store.tx(() => {
      this.store.appendEvent(caller.name, action, info.run_id, { modelId: info.model_id, name: info.name, version: info.version, weightsSha256: info.weights_sha256, approved: info.approval === 'APPROVED', allowUnapproved }, this.now());
    });
    return { model, specJson: run.spec_json };
  }
}
