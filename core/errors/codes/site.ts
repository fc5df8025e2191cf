import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the site agent: its config, its policy decisions, its local state. */
export const SiteErrors = defineErrors({
  KIT_MISMATCH: {
    code: 'COHORT_E_SITE_KIT_MISMATCH',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'The kit given to `cohort site start` is not a site kit, or names another site than the config.',
    fix: 'Use the kit the provisioner wrote for this site.',
  },
  KEY_FILE_MISSING: {
    code: 'COHORT_E_SITE_KEY_FILE_MISSING',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The at-rest encryption key file does not exist.',
    fix: 'Run `cohort site init` once, or point keyFile at the existing key.',
  },
  KEY_FILE_INVALID: {
    code: 'COHORT_E_SITE_KEY_FILE_INVALID',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The at-rest key file does not hold a 32-byte base64 key.',
    fix: 'Restore the key file from backup; without it the site\'s saved state cannot be read.',
  },
  KEY_STORE_MISMATCH: {
    code: 'COHORT_E_SITE_KEY_STORE_MISMATCH',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The at-rest key file and the site config disagree: the file holds a key wrapped by an HSM and the config has no keyStore section, or keyStore is set and the file holds a plain key.',
    fix: 'Restore the keyStore section the key file was made with (or point keyFile at the matching file); to move a site to an HSM, run `cohort site init` with keyStore set and a new keyFile on a fresh dataDir.',
  },
  STATE_CORRUPT: {
    code: 'COHORT_E_SITE_STATE_CORRUPT',
    grpc: status.DATA_LOSS,
    meaning: 'An encrypted state file failed authentication: altered, truncated or under another key.',
    fix: 'Restore the site data directory from backup, or remove the run\'s directory to rejoin from the next run.',
  },
  DATASET_UNKNOWN: {
    code: 'COHORT_E_SITE_DATASET_UNKNOWN',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The run names a dataset this site has not mapped in its config; the site declines.',
    fix: 'Add the dataset to the site config\'s datasets section if the site should take part.',
  },
  SUBMITTER_NOT_ALLOWED: {
    code: 'COHORT_E_SITE_SUBMITTER_NOT_ALLOWED',
    grpc: status.PERMISSION_DENIED,
    meaning: 'The site policy does not allow runs from this data scientist; the site declines.',
    fix: 'The site adds the submitter to policy.allowedSubmitters if appropriate.',
  },
  FEATURE_NOT_ALLOWED: {
    code: 'COHORT_E_SITE_FEATURE_NOT_ALLOWED',
    grpc: status.PERMISSION_DENIED,
    meaning: 'The run asks for a feature the site policy does not allow (minimum necessary); the site declines.',
    fix: 'Remove the feature from the spec, or the site adds it to policy.allowedFeatures.',
  },
  COHORT_TOO_SMALL: {
    code: 'COHORT_E_SITE_COHORT_TOO_SMALL',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The site has fewer usable training rows than its policy\'s minimum; the site declines.',
    fix: 'Nothing to fix at the coordinator: small cohorts are refused to protect patients.',
  },
  TRAINING_FAILED: {
    code: 'COHORT_E_SITE_TRAINING_FAILED',
    grpc: status.INTERNAL,
    meaning: 'Local training or evaluation failed at the site; recorded as the site\'s failure for the round.',
    fix: 'Read the site agent\'s log for the cause.',
  },
  AGGREGATE_INVALID: {
    code: 'COHORT_E_SITE_AGGREGATE_INVALID',
    grpc: status.DATA_LOSS,
    meaning: 'The aggregate downloaded from the coordinator was incomplete or could not be decoded.',
    fix: 'The site retries; if it persists, check the coordinator\'s state directory.',
  },
  COUNT_WITHHELD: {
    code: 'COHORT_E_SITE_COUNT_WITHHELD',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The site declined a run that weights updates by example count: its policy withholds its record count (`policy.release.recordCounts: withheld`), and a weighted update would carry it.',
    fix: 'Submit the run unweighted (site-level DP runs always are), or have the site round its count instead (`recordCounts: rounded`).',
  },
  EVALUATION_INVALID: {
    code: 'COHORT_E_SITE_EVALUATION_INVALID',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The site refused to evaluate or to open a round\'s summed evaluation: its held-out split is too large for one summed evaluation, or the sum holds fewer evaluations than the run\'s minSites (it would show one site\'s metrics) or another count than the coordinator says.',
    fix: 'A sum of fewer than minSites evaluations is the coordinator withholding sites or an attack; the round closes without consortium metrics. Split a held-out set past 2^20 rows.',
  },
  PLAINTEXT_REFUSED: {
    code: 'COHORT_E_SITE_CODEC_REFUSED',
    grpc: status.FAILED_PRECONDITION,
    meaning:
      'The site refused the run\'s update codec: a plaintext run its policy does not allow, or a task asking for another codec or key than the one the site accepted the run with.',
    fix: 'Submit the run encrypted (the default, `--codec bfv`). Plaintext runs are for development: allow them at a site with `policy.allowPlaintext: true`. A codec changed after the offer is a coordinator fault or attack.',
  },
  TASK_UNBOUND: {
    code: 'COHORT_E_SITE_TASK_UNBOUND',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The site refused a task that does not match the run it accepted: another spec (its SHA-256 differs from the one stored at the accept), another minSites, a round outside 1..spec.rounds, or a run it never accepted.',
    fix: 'A task that changes the accepted run is a coordinator fault or attack; the site keeps the spec it accepted. Submit a new run to change the spec.',
  },
  MASKING_REQUIRED: {
    code: 'COHORT_E_SITE_MASKING_REQUIRED',
    grpc: status.FAILED_PRECONDITION,
    meaning:
      'The site declined an encrypted run under its policy `requireMasking: true`: the spec opts out of pairwise masking (`masking: false`), or asks for the `majority` threshold, which the coordinator plus one colluding site can defeat in an odd cohort.',
    fix: 'Submit the run without `masking` (masked by default with 3 or more sites, default threshold). A site that must join such a run sets `policy.requireMasking: false`.',
  },
});
