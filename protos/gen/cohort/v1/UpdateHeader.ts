// Original file: protos/cohort/v1/site.proto

import type { Long } from '@grpc/proto-loader';

export interface UpdateHeader {
  'runId'?: (string);
  'round'?: (number);
  'chunkCount'?: (number);
  'totalBytes'?: (number | string | Long);
  /**
   * Local training loss (for progress display only); NaN unless the site's release policy
   * lets its own metrics go.
   */
  'trainLoss'?: (number | string);
  /**
   * Masked rounds: JSON of core/secure-agg/masking/receipts.ts ContributionReceipt, the
   * site's signature over the SHA-256 of the chunks that follow.
   */
  'receiptJson'?: (string);
}

export interface UpdateHeader__Output {
  'runId': (string);
  'round': (number);
  'chunkCount': (number);
  'totalBytes': (string);
  /**
   * Local training loss (for progress display only); NaN unless the site's release policy
   * lets its own metrics go.
   */
  'trainLoss': (number);
  /**
   * Masked rounds: JSON of core/secure-agg/masking/receipts.ts ContributionReceipt, the
   * site's signature over the SHA-256 of the chunks that follow.
   */
  'receiptJson': (string);
}
