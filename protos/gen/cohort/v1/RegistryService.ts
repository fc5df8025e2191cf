// Original file: protos/cohort/v1/registry.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ApproveModelVersionRequest as _cohort_v1_ApproveModelVersionRequest, ApproveModelVersionRequest__Output as _cohort_v1_ApproveModelVersionRequest__Output } from '../../cohort/v1/ApproveModelVersionRequest.ts';
import type { ExportModelVersionRequest as _cohort_v1_ExportModelVersionRequest, ExportModelVersionRequest__Output as _cohort_v1_ExportModelVersionRequest__Output } from '../../cohort/v1/ExportModelVersionRequest.ts';
import type { ListModelVersionsRequest as _cohort_v1_ListModelVersionsRequest, ListModelVersionsRequest__Output as _cohort_v1_ListModelVersionsRequest__Output } from '../../cohort/v1/ListModelVersionsRequest.ts';
import type { ListModelVersionsResponse as _cohort_v1_ListModelVersionsResponse, ListModelVersionsResponse__Output as _cohort_v1_ListModelVersionsResponse__Output } from '../../cohort/v1/ListModelVersionsResponse.ts';
import type { ModelAlias as _cohort_v1_ModelAlias, ModelAlias__Output as _cohort_v1_ModelAlias__Output } from '../../cohort/v1/ModelAlias.ts';
import type { ModelVersion as _cohort_v1_ModelVersion, ModelVersion__Output as _cohort_v1_ModelVersion__Output } from '../../cohort/v1/ModelVersion.ts';
import type { ModelVersionExport as _cohort_v1_ModelVersionExport, ModelVersionExport__Output as _cohort_v1_ModelVersionExport__Output } from '../../cohort/v1/ModelVersionExport.ts';
import type { ModelVersionRef as _cohort_v1_ModelVersionRef, ModelVersionRef__Output as _cohort_v1_ModelVersionRef__Output } from '../../cohort/v1/ModelVersionRef.ts';
import type { RollbackModelRequest as _cohort_v1_RollbackModelRequest, RollbackModelRequest__Output as _cohort_v1_RollbackModelRequest__Output } from '../../cohort/v1/RollbackModelRequest.ts';
import type { SetModelAliasRequest as _cohort_v1_SetModelAliasRequest, SetModelAliasRequest__Output as _cohort_v1_SetModelAliasRequest__Output } from '../../cohort/v1/SetModelAliasRequest.ts';

export interface RegistryServiceClient extends grpc.Client {
  /**
   * approver. Records who, when, why (note) and for what use; a version is approved once.
   */
  ApproveModelVersion(argument: _cohort_v1_ApproveModelVersionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  ApproveModelVersion(argument: _cohort_v1_ApproveModelVersionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  ApproveModelVersion(argument: _cohort_v1_ApproveModelVersionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  ApproveModelVersion(argument: _cohort_v1_ApproveModelVersionRequest, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  /**
   * approver. Records who, when, why (note) and for what use; a version is approved once.
   */
  approveModelVersion(argument: _cohort_v1_ApproveModelVersionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  approveModelVersion(argument: _cohort_v1_ApproveModelVersionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  approveModelVersion(argument: _cohort_v1_ApproveModelVersionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  approveModelVersion(argument: _cohort_v1_ApproveModelVersionRequest, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  
  /**
   * data-scientist, operator, approver. The weights and spec of an approved version (an
   * unapproved one only to an operator with allow_unapproved); every export is recorded.
   */
  ExportModelVersion(argument: _cohort_v1_ExportModelVersionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelVersionExport__Output>): grpc.ClientUnaryCall;
  ExportModelVersion(argument: _cohort_v1_ExportModelVersionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ModelVersionExport__Output>): grpc.ClientUnaryCall;
  ExportModelVersion(argument: _cohort_v1_ExportModelVersionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelVersionExport__Output>): grpc.ClientUnaryCall;
  ExportModelVersion(argument: _cohort_v1_ExportModelVersionRequest, callback: grpc.requestCallback<_cohort_v1_ModelVersionExport__Output>): grpc.ClientUnaryCall;
  /**
   * data-scientist, operator, approver. The weights and spec of an approved version (an
   * unapproved one only to an operator with allow_unapproved); every export is recorded.
   */
  exportModelVersion(argument: _cohort_v1_ExportModelVersionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelVersionExport__Output>): grpc.ClientUnaryCall;
  exportModelVersion(argument: _cohort_v1_ExportModelVersionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ModelVersionExport__Output>): grpc.ClientUnaryCall;
  exportModelVersion(argument: _cohort_v1_ExportModelVersionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelVersionExport__Output>): grpc.ClientUnaryCall;
  exportModelVersion(argument: _cohort_v1_ExportModelVersionRequest, callback: grpc.requestCallback<_cohort_v1_ModelVersionExport__Output>): grpc.ClientUnaryCall;
  
  /**
   * data-scientist, operator, auditor, approver. One version with its provenance.
   */
  GetModelVersion(argument: _cohort_v1_ModelVersionRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  GetModelVersion(argument: _cohort_v1_ModelVersionRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  GetModelVersion(argument: _cohort_v1_ModelVersionRef, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  GetModelVersion(argument: _cohort_v1_ModelVersionRef, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  /**
   * data-scientist, operator, auditor, approver. One version with its provenance.
   */
  getModelVersion(argument: _cohort_v1_ModelVersionRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  getModelVersion(argument: _cohort_v1_ModelVersionRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  getModelVersion(argument: _cohort_v1_ModelVersionRef, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  getModelVersion(argument: _cohort_v1_ModelVersionRef, callback: grpc.requestCallback<_cohort_v1_ModelVersion__Output>): grpc.ClientUnaryCall;
  
  /**
   * data-scientist, operator, auditor, approver. Every version (or one registered model's) and the aliases.
   */
  ListModelVersions(argument: _cohort_v1_ListModelVersionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListModelVersionsResponse__Output>): grpc.ClientUnaryCall;
  ListModelVersions(argument: _cohort_v1_ListModelVersionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ListModelVersionsResponse__Output>): grpc.ClientUnaryCall;
  ListModelVersions(argument: _cohort_v1_ListModelVersionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListModelVersionsResponse__Output>): grpc.ClientUnaryCall;
  ListModelVersions(argument: _cohort_v1_ListModelVersionsRequest, callback: grpc.requestCallback<_cohort_v1_ListModelVersionsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * data-scientist, operator, auditor, approver. Every version (or one registered model's) and the aliases.
   */
  listModelVersions(argument: _cohort_v1_ListModelVersionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListModelVersionsResponse__Output>): grpc.ClientUnaryCall;
  listModelVersions(argument: _cohort_v1_ListModelVersionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ListModelVersionsResponse__Output>): grpc.ClientUnaryCall;
  listModelVersions(argument: _cohort_v1_ListModelVersionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListModelVersionsResponse__Output>): grpc.ClientUnaryCall;
  listModelVersions(argument: _cohort_v1_ListModelVersionsRequest, callback: grpc.requestCallback<_cohort_v1_ListModelVersionsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * approver. Points champion back at an earlier approved version, with the reason.
   */
  RollbackModel(argument: _cohort_v1_RollbackModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  RollbackModel(argument: _cohort_v1_RollbackModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  RollbackModel(argument: _cohort_v1_RollbackModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  RollbackModel(argument: _cohort_v1_RollbackModelRequest, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  /**
   * approver. Points champion back at an earlier approved version, with the reason.
   */
  rollbackModel(argument: _cohort_v1_RollbackModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  rollbackModel(argument: _cohort_v1_RollbackModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  rollbackModel(argument: _cohort_v1_RollbackModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  rollbackModel(argument: _cohort_v1_RollbackModelRequest, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  
  /**
   * approver, operator. Points an alias at a version; champion only by an approver, at an
   * approved version, and not to an earlier version than the current champion (RollbackModel).
   */
  SetModelAlias(argument: _cohort_v1_SetModelAliasRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  SetModelAlias(argument: _cohort_v1_SetModelAliasRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  SetModelAlias(argument: _cohort_v1_SetModelAliasRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  SetModelAlias(argument: _cohort_v1_SetModelAliasRequest, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  /**
   * approver, operator. Points an alias at a version; champion only by an approver, at an
   * approved version, and not to an earlier version than the current champion (RollbackModel).
   */
  setModelAlias(argument: _cohort_v1_SetModelAliasRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  setModelAlias(argument: _cohort_v1_SetModelAliasRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  setModelAlias(argument: _cohort_v1_SetModelAliasRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  setModelAlias(argument: _cohort_v1_SetModelAliasRequest, callback: grpc.requestCallback<_cohort_v1_ModelAlias__Output>): grpc.ClientUnaryCall;
  
}

export interface RegistryServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * approver. Records who, when, why (note) and for what use; a version is approved once.
   */
  ApproveModelVersion: grpc.handleUnaryCall<_cohort_v1_ApproveModelVersionRequest__Output, _cohort_v1_ModelVersion>;
  
  /**
   * data-scientist, operator, approver. The weights and spec of an approved version (an
   * unapproved one only to an operator with allow_unapproved); every export is recorded.
   */
  ExportModelVersion: grpc.handleUnaryCall<_cohort_v1_ExportModelVersionRequest__Output, _cohort_v1_ModelVersionExport>;
  
  /**
   * data-scientist, operator, auditor, approver. One version with its provenance.
   */
  GetModelVersion: grpc.handleUnaryCall<_cohort_v1_ModelVersionRef__Output, _cohort_v1_ModelVersion>;
  
  /**
   * data-scientist, operator, auditor, approver. Every version (or one registered model's) and the aliases.
   */
  ListModelVersions: grpc.handleUnaryCall<_cohort_v1_ListModelVersionsRequest__Output, _cohort_v1_ListModelVersionsResponse>;
  
  /**
   * approver. Points champion back at an earlier approved version, with the reason.
   */
  RollbackModel: grpc.handleUnaryCall<_cohort_v1_RollbackModelRequest__Output, _cohort_v1_ModelAlias>;
  
  /**
   * approver, operator. Points an alias at a version; champion only by an approver, at an
   * approved version, and not to an earlier version than the current champion (RollbackModel).
   */
  SetModelAlias: grpc.handleUnaryCall<_cohort_v1_SetModelAliasRequest__Output, _cohort_v1_ModelAlias>;
  
}

export interface RegistryServiceDefinition extends grpc.ServiceDefinition {
  ApproveModelVersion: MethodDefinition<_cohort_v1_ApproveModelVersionRequest, _cohort_v1_ModelVersion, _cohort_v1_ApproveModelVersionRequest__Output, _cohort_v1_ModelVersion__Output>
  ExportModelVersion: MethodDefinition<_cohort_v1_ExportModelVersionRequest, _cohort_v1_ModelVersionExport, _cohort_v1_ExportModelVersionRequest__Output, _cohort_v1_ModelVersionExport__Output>
  GetModelVersion: MethodDefinition<_cohort_v1_ModelVersionRef, _cohort_v1_ModelVersion, _cohort_v1_ModelVersionRef__Output, _cohort_v1_ModelVersion__Output>
  ListModelVersions: MethodDefinition<_cohort_v1_ListModelVersionsRequest, _cohort_v1_ListModelVersionsResponse, _cohort_v1_ListModelVersionsRequest__Output, _cohort_v1_ListModelVersionsResponse__Output>
  RollbackModel: MethodDefinition<_cohort_v1_RollbackModelRequest, _cohort_v1_ModelAlias, _cohort_v1_RollbackModelRequest__Output, _cohort_v1_ModelAlias__Output>
  SetModelAlias: MethodDefinition<_cohort_v1_SetModelAliasRequest, _cohort_v1_ModelAlias, _cohort_v1_SetModelAliasRequest__Output, _cohort_v1_ModelAlias__Output>
}
