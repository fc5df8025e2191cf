// Original file: protos/cohort/v1/site.proto

import type { KeyRecipient as _cohort_v1_KeyRecipient, KeyRecipient__Output as _cohort_v1_KeyRecipient__Output } from '../../cohort/v1/KeyRecipient.ts';

export interface KeyCeremonyStatus {
  /**
   * The site named by the consortium file to generate the key.
   */
  'keyHolder'?: (string);
  /**
   * JSON of HeKeyParameters; empty before the ceremony.
   */
  'paramsJson'?: (string);
  'recipients'?: (_cohort_v1_KeyRecipient)[];
}

export interface KeyCeremonyStatus__Output {
  /**
   * The site named by the consortium file to generate the key.
   */
  'keyHolder': (string);
  /**
   * JSON of HeKeyParameters; empty before the ceremony.
   */
  'paramsJson': (string);
  'recipients': (_cohort_v1_KeyRecipient__Output)[];
}
