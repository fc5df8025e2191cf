// Original file: protos/cohort/v1/registry.proto

import type { ModelApproval as _cohort_v1_ModelApproval, ModelApproval__Output as _cohort_v1_ModelApproval__Output } from '../../cohort/v1/ModelApproval.ts';
import type { Long } from '@grpc/proto-loader';

export interface ModelVersion {
  'modelId'?: (string);
  /**
   * The registered model: the spec's name.
   */
  'name'?: (string);
  'version'?: (number);
  'runId'?: (string);
  'specSha256'?: (string);
  /**
   * The spec as submitted (JSON).
   */
  'specJson'?: (string);
  'weightsSha256'?: (string);
  'bytes'?: (number | string | Long);
  /**
   * The site that uploaded the weights.
   */
  'releasedBy'?: (string);
  'releasedAtMs'?: (number | string | Long);
  /**
   * Cohort's version on the coordinator at release (each site's agent version is in the provenance).
   */
  'softwareVersion'?: (string);
  'intendedUse'?: (string);
  /**
   * Validation status: PENDING until an approver approves it for its intended use, then APPROVED.
   */
  'approval'?: (_cohort_v1_ModelApproval | null);
  'aliases'?: (string)[];
  /**
   * JSON: strategy, rounds, codec, sites (keyed dataset fingerprints, disclosed counts, privacy spent, agent versions), final metrics.
   */
  'provenanceJson'?: (string);
  /**
   * Subgroup fairness of the final evaluation with its review verdict (JSON; empty when the spec names no attributes).
   */
  'fairnessJson'?: (string);
  /**
   * Global explanations of the final evaluation (JSON; empty when the spec asks for none).
   */
  'explanationsJson'?: (string);
}

export interface ModelVersion__Output {
  'modelId': (string);
  /**
   * The registered model: the spec's name.
   */
  'name': (string);
  'version': (number);
  'runId': (string);
  'specSha256': (string);
  /**
   * The spec as submitted (JSON).
   */
  'specJson': (string);
  'weightsSha256': (string);
  'bytes': (string);
  /**
   * The site that uploaded the weights.
   */
  'releasedBy': (string);
  'releasedAtMs': (string);
  /**
   * Cohort's version on the coordinator at release (each site's agent version is in the provenance).
   */
  'softwareVersion': (string);
  'intendedUse': (string);
  /**
   * Validation status: PENDING until an approver approves it for its intended use, then APPROVED.
   */
  'approval': (_cohort_v1_ModelApproval__Output | null);
  'aliases': (string)[];
  /**
   * JSON: strategy, rounds, codec, sites (keyed dataset fingerprints, disclosed counts, privacy spent, agent versions), final metrics.
   */
  'provenanceJson': (string);
  /**
   * Subgroup fairness of the final evaluation with its review verdict (JSON; empty when the spec names no attributes).
   */
  'fairnessJson': (string);
  /**
   * Global explanations of the final evaluation (JSON; empty when the spec asks for none).
   */
  'explanationsJson': (string);
}
