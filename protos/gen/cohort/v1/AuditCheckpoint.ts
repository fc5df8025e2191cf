// Original file: protos/cohort/v1/audit.proto

import type { Long } from '@grpc/proto-loader';

export interface AuditCheckpoint {
  /**
   * The C2SP signed note, exactly as written.
   */
  'note'?: (string);
  /**
   * The signer's certificate, PEM.
   */
  'certificate'?: (string);
  /**
   * The tree size the note states (parsed for convenience; the note is what is signed).
   */
  'treeSize'?: (number | string | Long);
}

export interface AuditCheckpoint__Output {
  /**
   * The C2SP signed note, exactly as written.
   */
  'note': (string);
  /**
   * The signer's certificate, PEM.
   */
  'certificate': (string);
  /**
   * The tree size the note states (parsed for convenience; the note is what is signed).
   */
  'treeSize': (string);
}
