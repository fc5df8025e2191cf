// Original file: protos/cohort/v1/site.proto


export interface MaskMessage {
  'runId'?: (string);
  'round'?: (number);
  /**
   * "keys", "shares" or "release".
   */
  'kind'?: (string);
  /**
   * keys: JSON of core/secure-agg/masking/protocol.ts MaskKeyAdvertisement; shares: a JSON
   * array of SealedShare, one per cohort member; release: JSON of ReleasedShares.
   */
  'json'?: (string);
}

export interface MaskMessage__Output {
  'runId': (string);
  'round': (number);
  /**
   * "keys", "shares" or "release".
   */
  'kind': (string);
  /**
   * keys: JSON of core/secure-agg/masking/protocol.ts MaskKeyAdvertisement; shares: a JSON
   * array of SealedShare, one per cohort member; release: JSON of ReleasedShares.
   */
  'json': (string);
}
