// Original file: protos/cohort/v1/audit.proto

import type { Long } from '@grpc/proto-loader';

export interface ListRecordsResponse {
  /**
   * Each record's line exactly as in audit.jsonl, without its newline: the bytes a leaf hashes.
   */
  'lines'?: (string)[];
  /**
   * Index of the first line given (since_index).
   */
  'firstIndex'?: (number | string | Long);
  /**
   * Records in the log when the page was read (the tree size the lines were checked against).
   */
  'treeSize'?: (number | string | Long);
  /**
   * Where the next page starts; equal to tree_size when this page reached the end.
   */
  'nextIndex'?: (number | string | Long);
}

export interface ListRecordsResponse__Output {
  /**
   * Each record's line exactly as in audit.jsonl, without its newline: the bytes a leaf hashes.
   */
  'lines': (string)[];
  /**
   * Index of the first line given (since_index).
   */
  'firstIndex': (string);
  /**
   * Records in the log when the page was read (the tree size the lines were checked against).
   */
  'treeSize': (string);
  /**
   * Where the next page starts; equal to tree_size when this page reached the end.
   */
  'nextIndex': (string);
}
