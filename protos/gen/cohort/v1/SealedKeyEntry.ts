// Original file: protos/cohort/v1/site.proto


export interface SealedKeyEntry {
  'site'?: (string);
  /**
   * JSON of core/secure-agg/key-ceremony.ts SealedHeKey.
   */
  'sealedJson'?: (string);
}

export interface SealedKeyEntry__Output {
  'site': (string);
  /**
   * JSON of core/secure-agg/key-ceremony.ts SealedHeKey.
   */
  'sealedJson': (string);
}
