// Original file: protos/cohort/v1/site.proto

import type { Long } from '@grpc/proto-loader';

export interface UploadReceipt {
  'runId'?: (string);
  'round'?: (number);
  'chunks'?: (number);
  'bytes'?: (number | string | Long);
}

export interface UploadReceipt__Output {
  'runId': (string);
  'round': (number);
  'chunks': (number);
  'bytes': (string);
}
