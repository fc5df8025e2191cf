// Original file: protos/cohort/v1/site.proto


export interface ExchangeKeyRequest {
  /**
   * JSON of core/secure-agg/key-ceremony.ts ExchangeKeyAnnouncement (version 2: with
   * issuedAt and expiresAt under the signature).
   */
  'announcementJson'?: (string);
}

export interface ExchangeKeyRequest__Output {
  /**
   * JSON of core/secure-agg/key-ceremony.ts ExchangeKeyAnnouncement (version 2: with
   * issuedAt and expiresAt under the signature).
   */
  'announcementJson': (string);
}
