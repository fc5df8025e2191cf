/**
 * The error registry: every code a user can meet. Each area declares its codes in
 * `codes/<area>.ts`; this file gathers them. `docs/errors.md` is generated from it
 * (`npm run gen:errors`) and a test fails when the two drift.
 */
import type { ErrorDefinition } from './cohort-error.ts';
import { GeneralErrors, TransportErrors } from './codes/general.ts';
import { UpdateErrors } from './codes/update.ts';
import { PkiErrors } from './codes/pki.ts';
import { PrivacyErrors } from './codes/privacy.ts';
import { SecureAggErrors } from './codes/secure-agg.ts';
import { SpecErrors } from './codes/spec.ts';
import { DataErrors } from './codes/data.ts';
import { TrainingErrors } from './codes/training.ts';
import { RunErrors } from './codes/run.ts';
import { SiteErrors } from './codes/site.ts';
import { ConfigErrors } from './codes/config.ts';
import { AuditErrors } from './codes/audit.ts';
import { DicomErrors } from './codes/dicom.ts';
import { RegistryErrors } from './codes/registry.ts';
import { GovernanceErrors } from './codes/governance.ts';
import { ExplainErrors } from './codes/explain.ts';

export { CohortError, defineErrors, isCohortError, type ErrorDefinition } from './cohort-error.ts';
export { GeneralErrors, TransportErrors } from './codes/general.ts';
export { UpdateErrors } from './codes/update.ts';
export { PkiErrors } from './codes/pki.ts';
export { PrivacyErrors } from './codes/privacy.ts';
export { SecureAggErrors } from './codes/secure-agg.ts';
export { SpecErrors } from './codes/spec.ts';
export { DataErrors } from './codes/data.ts';
export { TrainingErrors } from './codes/training.ts';
export { RunErrors } from './codes/run.ts';
export { SiteErrors } from './codes/site.ts';
export { ConfigErrors } from './codes/config.ts';
export { AuditErrors } from './codes/audit.ts';
export { DicomErrors } from './codes/dicom.ts';
export { RegistryErrors } from './codes/registry.ts';
export { GovernanceErrors } from './codes/governance.ts';
export { ExplainErrors } from './codes/explain.ts';

/** Every error family, by area name. Add new areas here. */
export const ERROR_FAMILIES: Readonly<Record<string, Readonly<Record<string, ErrorDefinition>>>> = {
  general: { ...GeneralErrors, ...TransportErrors },
  update: UpdateErrors,
  'pki': PkiErrors,
  'privacy': PrivacyErrors,
  'secure-agg': SecureAggErrors,
  'spec': SpecErrors,
  'data': DataErrors,
  'training': TrainingErrors,
  'run': RunErrors,
  'site': SiteErrors,
  'config': ConfigErrors,
  'audit': AuditErrors,
  'dicom': DicomErrors,
  'registry': RegistryErrors,
  'governance': GovernanceErrors,
  'explain': ExplainErrors,
};

export function allErrorDefinitions(): ErrorDefinition[] {
  return Object.values(ERROR_FAMILIES).flatMap((family) => Object.values(family));
}
