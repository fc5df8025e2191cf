// Original file: protos/cohort/v1/registry.proto

import type { Long } from '@grpc/proto-loader';

export interface ModelAlias {
  'name'?: (string);
  'alias'?: (string);
  'version'?: (number);
  'modelId'?: (string);
  'setBy'?: (string);
  'setAtMs'?: (number | string | Long);
  'note'?: (string);
}

export interface ModelAlias__Output {
  'name': (string);
  'alias': (string);
  'version': (number);
  'modelId': (string);
  'setBy': (string);
  'setAtMs': (string);
  'note': (string);
}
