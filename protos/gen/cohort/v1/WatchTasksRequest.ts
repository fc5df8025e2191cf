// Original file: protos/cohort/v1/site.proto

import type { Long } from '@grpc/proto-loader';

export interface WatchTasksRequest {
  /**
   * Tree size of the coordinator's audit checkpoint this site last kept (witnessed); 0: none.
   * The coordinator's consistency proofs in tasks start from it.
   */
  'witnessedSize'?: (number | string | Long);
}

export interface WatchTasksRequest__Output {
  /**
   * Tree size of the coordinator's audit checkpoint this site last kept (witnessed); 0: none.
   * The coordinator's consistency proofs in tasks start from it.
   */
  'witnessedSize': (string);
}
