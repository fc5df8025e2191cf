// Original file: protos/cohort/v1/site.proto

import type { SealedKeyEntry as _cohort_v1_SealedKeyEntry, SealedKeyEntry__Output as _cohort_v1_SealedKeyEntry__Output } from '../../cohort/v1/SealedKeyEntry.ts';

export interface PublishSealedKeysRequest {
  /**
   * JSON of HeKeyParameters: public, no key material.
   */
  'paramsJson'?: (string);
  'sealed'?: (_cohort_v1_SealedKeyEntry)[];
}

export interface PublishSealedKeysRequest__Output {
  /**
   * JSON of HeKeyParameters: public, no key material.
   */
  'paramsJson': (string);
  'sealed': (_cohort_v1_SealedKeyEntry__Output)[];
}
