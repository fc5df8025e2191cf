// Original file: protos/cohort/v1/site.proto


export interface CrlResponse {
  /**
   * PEM ("X509 CRL"), signed by the consortium CA.
   */
  'crlPem'?: (string);
}

export interface CrlResponse__Output {
  /**
   * PEM ("X509 CRL"), signed by the consortium CA.
   */
  'crlPem': (string);
}
