/** Cohort's software version (package.json's), recorded with every registered model version. */
export const COHORT_VERSION = '0.1.0';
