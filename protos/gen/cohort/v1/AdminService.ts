// Original file: protos/cohort/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelRunRequest as _cohort_v1_CancelRunRequest, CancelRunRequest__Output as _cohort_v1_CancelRunRequest__Output } from '../../cohort/v1/CancelRunRequest.ts';
import type { GetModelRequest as _cohort_v1_GetModelRequest, GetModelRequest__Output as _cohort_v1_GetModelRequest__Output } from '../../cohort/v1/GetModelRequest.ts';
import type { GetRunRequest as _cohort_v1_GetRunRequest, GetRunRequest__Output as _cohort_v1_GetRunRequest__Output } from '../../cohort/v1/GetRunRequest.ts';
import type { ListModelsRequest as _cohort_v1_ListModelsRequest, ListModelsRequest__Output as _cohort_v1_ListModelsRequest__Output } from '../../cohort/v1/ListModelsRequest.ts';
import type { ListModelsResponse as _cohort_v1_ListModelsResponse, ListModelsResponse__Output as _cohort_v1_ListModelsResponse__Output } from '../../cohort/v1/ListModelsResponse.ts';
import type { ListRunsRequest as _cohort_v1_ListRunsRequest, ListRunsRequest__Output as _cohort_v1_ListRunsRequest__Output } from '../../cohort/v1/ListRunsRequest.ts';
import type { ListRunsResponse as _cohort_v1_ListRunsResponse, ListRunsResponse__Output as _cohort_v1_ListRunsResponse__Output } from '../../cohort/v1/ListRunsResponse.ts';
import type { ListSitesRequest as _cohort_v1_ListSitesRequest, ListSitesRequest__Output as _cohort_v1_ListSitesRequest__Output } from '../../cohort/v1/ListSitesRequest.ts';
import type { ListSitesResponse as _cohort_v1_ListSitesResponse, ListSitesResponse__Output as _cohort_v1_ListSitesResponse__Output } from '../../cohort/v1/ListSitesResponse.ts';
import type { ModelBlob as _cohort_v1_ModelBlob, ModelBlob__Output as _cohort_v1_ModelBlob__Output } from '../../cohort/v1/ModelBlob.ts';
import type { RunStatus as _cohort_v1_RunStatus, RunStatus__Output as _cohort_v1_RunStatus__Output } from '../../cohort/v1/RunStatus.ts';
import type { SubmitRunRequest as _cohort_v1_SubmitRunRequest, SubmitRunRequest__Output as _cohort_v1_SubmitRunRequest__Output } from '../../cohort/v1/SubmitRunRequest.ts';
import type { SubmitRunResponse as _cohort_v1_SubmitRunResponse, SubmitRunResponse__Output as _cohort_v1_SubmitRunResponse__Output } from '../../cohort/v1/SubmitRunResponse.ts';

export interface AdminServiceClient extends grpc.Client {
  /**
   * data-scientist (own runs), operator.
   */
  CancelRun(argument: _cohort_v1_CancelRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  CancelRun(argument: _cohort_v1_CancelRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  CancelRun(argument: _cohort_v1_CancelRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  CancelRun(argument: _cohort_v1_CancelRunRequest, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  /**
   * data-scientist (own runs), operator.
   */
  cancelRun(argument: _cohort_v1_CancelRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  cancelRun(argument: _cohort_v1_CancelRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  cancelRun(argument: _cohort_v1_CancelRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  cancelRun(argument: _cohort_v1_CancelRunRequest, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  
  /**
   * data-scientist, operator, approver. One released model with its weights: an approved
   * version only (the registry's export rule; RegistryService.ExportModelVersion has the
   * operator's override), recorded as model.download.
   */
  GetModel(argument: _cohort_v1_GetModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelBlob__Output>): grpc.ClientUnaryCall;
  GetModel(argument: _cohort_v1_GetModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ModelBlob__Output>): grpc.ClientUnaryCall;
  GetModel(argument: _cohort_v1_GetModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelBlob__Output>): grpc.ClientUnaryCall;
  GetModel(argument: _cohort_v1_GetModelRequest, callback: grpc.requestCallback<_cohort_v1_ModelBlob__Output>): grpc.ClientUnaryCall;
  /**
   * data-scientist, operator, approver. One released model with its weights: an approved
   * version only (the registry's export rule; RegistryService.ExportModelVersion has the
   * operator's override), recorded as model.download.
   */
  getModel(argument: _cohort_v1_GetModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelBlob__Output>): grpc.ClientUnaryCall;
  getModel(argument: _cohort_v1_GetModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ModelBlob__Output>): grpc.ClientUnaryCall;
  getModel(argument: _cohort_v1_GetModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ModelBlob__Output>): grpc.ClientUnaryCall;
  getModel(argument: _cohort_v1_GetModelRequest, callback: grpc.requestCallback<_cohort_v1_ModelBlob__Output>): grpc.ClientUnaryCall;
  
  /**
   * data-scientist, operator, auditor.
   */
  GetRun(argument: _cohort_v1_GetRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  GetRun(argument: _cohort_v1_GetRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  GetRun(argument: _cohort_v1_GetRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  GetRun(argument: _cohort_v1_GetRunRequest, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  /**
   * data-scientist, operator, auditor.
   */
  getRun(argument: _cohort_v1_GetRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  getRun(argument: _cohort_v1_GetRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  getRun(argument: _cohort_v1_GetRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  getRun(argument: _cohort_v1_GetRunRequest, callback: grpc.requestCallback<_cohort_v1_RunStatus__Output>): grpc.ClientUnaryCall;
  
  /**
   * data-scientist, operator, auditor, approver. Released models in the registry.
   */
  ListModels(argument: _cohort_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _cohort_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _cohort_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _cohort_v1_ListModelsRequest, callback: grpc.requestCallback<_cohort_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * data-scientist, operator, auditor, approver. Released models in the registry.
   */
  listModels(argument: _cohort_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _cohort_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _cohort_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _cohort_v1_ListModelsRequest, callback: grpc.requestCallback<_cohort_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * data-scientist, operator, auditor.
   */
  ListRuns(argument: _cohort_v1_ListRunsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _cohort_v1_ListRunsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _cohort_v1_ListRunsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _cohort_v1_ListRunsRequest, callback: grpc.requestCallback<_cohort_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * data-scientist, operator, auditor.
   */
  listRuns(argument: _cohort_v1_ListRunsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _cohort_v1_ListRunsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _cohort_v1_ListRunsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _cohort_v1_ListRunsRequest, callback: grpc.requestCallback<_cohort_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * data-scientist, operator, auditor. Sites known to the coordinator and their liveness (a data
   * scientist sees which sites are connected before choosing a run's minSites).
   */
  ListSites(argument: _cohort_v1_ListSitesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListSitesResponse__Output>): grpc.ClientUnaryCall;
  ListSites(argument: _cohort_v1_ListSitesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ListSitesResponse__Output>): grpc.ClientUnaryCall;
  ListSites(argument: _cohort_v1_ListSitesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListSitesResponse__Output>): grpc.ClientUnaryCall;
  ListSites(argument: _cohort_v1_ListSitesRequest, callback: grpc.requestCallback<_cohort_v1_ListSitesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * data-scientist, operator, auditor. Sites known to the coordinator and their liveness (a data
   * scientist sees which sites are connected before choosing a run's minSites).
   */
  listSites(argument: _cohort_v1_ListSitesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListSitesResponse__Output>): grpc.ClientUnaryCall;
  listSites(argument: _cohort_v1_ListSitesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ListSitesResponse__Output>): grpc.ClientUnaryCall;
  listSites(argument: _cohort_v1_ListSitesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListSitesResponse__Output>): grpc.ClientUnaryCall;
  listSites(argument: _cohort_v1_ListSitesRequest, callback: grpc.requestCallback<_cohort_v1_ListSitesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * data-scientist. Validates the spec and records the run; returns its id.
   */
  SubmitRun(argument: _cohort_v1_SubmitRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_SubmitRunResponse__Output>): grpc.ClientUnaryCall;
  SubmitRun(argument: _cohort_v1_SubmitRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_SubmitRunResponse__Output>): grpc.ClientUnaryCall;
  SubmitRun(argument: _cohort_v1_SubmitRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_SubmitRunResponse__Output>): grpc.ClientUnaryCall;
  SubmitRun(argument: _cohort_v1_SubmitRunRequest, callback: grpc.requestCallback<_cohort_v1_SubmitRunResponse__Output>): grpc.ClientUnaryCall;
  /**
   * data-scientist. Validates the spec and records the run; returns its id.
   */
  submitRun(argument: _cohort_v1_SubmitRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_SubmitRunResponse__Output>): grpc.ClientUnaryCall;
  submitRun(argument: _cohort_v1_SubmitRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_SubmitRunResponse__Output>): grpc.ClientUnaryCall;
  submitRun(argument: _cohort_v1_SubmitRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_SubmitRunResponse__Output>): grpc.ClientUnaryCall;
  submitRun(argument: _cohort_v1_SubmitRunRequest, callback: grpc.requestCallback<_cohort_v1_SubmitRunResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * data-scientist, operator, auditor. Streams the status each time it changes, until the run ends.
   */
  WatchRun(argument: _cohort_v1_GetRunRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_RunStatus__Output>;
  WatchRun(argument: _cohort_v1_GetRunRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_RunStatus__Output>;
  /**
   * data-scientist, operator, auditor. Streams the status each time it changes, until the run ends.
   */
  watchRun(argument: _cohort_v1_GetRunRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_RunStatus__Output>;
  watchRun(argument: _cohort_v1_GetRunRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_RunStatus__Output>;
  
}

export interface AdminServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * data-scientist (own runs), operator.
   */
  CancelRun: grpc.handleUnaryCall<_cohort_v1_CancelRunRequest__Output, _cohort_v1_RunStatus>;
  
  /**
   * data-scientist, operator, approver. One released model with its weights: an approved
   * version only (the registry's export rule; RegistryService.ExportModelVersion has the
   * operator's override), recorded as model.download.
   */
  GetModel: grpc.handleUnaryCall<_cohort_v1_GetModelRequest__Output, _cohort_v1_ModelBlob>;
  
  /**
   * data-scientist, operator, auditor.
   */
  GetRun: grpc.handleUnaryCall<_cohort_v1_GetRunRequest__Output, _cohort_v1_RunStatus>;
  
  /**
   * data-scientist, operator, auditor, approver. Released models in the registry.
   */
  ListModels: grpc.handleUnaryCall<_cohort_v1_ListModelsRequest__Output, _cohort_v1_ListModelsResponse>;
  
  /**
   * data-scientist, operator, auditor.
   */
  ListRuns: grpc.handleUnaryCall<_cohort_v1_ListRunsRequest__Output, _cohort_v1_ListRunsResponse>;
  
  /**
   * data-scientist, operator, auditor. Sites known to the coordinator and their liveness (a data
   * scientist sees which sites are connected before choosing a run's minSites).
   */
  ListSites: grpc.handleUnaryCall<_cohort_v1_ListSitesRequest__Output, _cohort_v1_ListSitesResponse>;
  
  /**
   * data-scientist. Validates the spec and records the run; returns its id.
   */
  SubmitRun: grpc.handleUnaryCall<_cohort_v1_SubmitRunRequest__Output, _cohort_v1_SubmitRunResponse>;
  
  /**
   * data-scientist, operator, auditor. Streams the status each time it changes, until the run ends.
   */
  WatchRun: grpc.handleServerStreamingCall<_cohort_v1_GetRunRequest__Output, _cohort_v1_RunStatus>;
  
}

export interface AdminServiceDefinition extends grpc.ServiceDefinition {
  CancelRun: MethodDefinition<_cohort_v1_CancelRunRequest, _cohort_v1_RunStatus, _cohort_v1_CancelRunRequest__Output, _cohort_v1_RunStatus__Output>
  GetModel: MethodDefinition<_cohort_v1_GetModelRequest, _cohort_v1_ModelBlob, _cohort_v1_GetModelRequest__Output, _cohort_v1_ModelBlob__Output>
  GetRun: MethodDefinition<_cohort_v1_GetRunRequest, _cohort_v1_RunStatus, _cohort_v1_GetRunRequest__Output, _cohort_v1_RunStatus__Output>
  ListModels: MethodDefinition<_cohort_v1_ListModelsRequest, _cohort_v1_ListModelsResponse, _cohort_v1_ListModelsRequest__Output, _cohort_v1_ListModelsResponse__Output>
  ListRuns: MethodDefinition<_cohort_v1_ListRunsRequest, _cohort_v1_ListRunsResponse, _cohort_v1_ListRunsRequest__Output, _cohort_v1_ListRunsResponse__Output>
  ListSites: MethodDefinition<_cohort_v1_ListSitesRequest, _cohort_v1_ListSitesResponse, _cohort_v1_ListSitesRequest__Output, _cohort_v1_ListSitesResponse__Output>
  SubmitRun: MethodDefinition<_cohort_v1_SubmitRunRequest, _cohort_v1_SubmitRunResponse, _cohort_v1_SubmitRunRequest__Output, _cohort_v1_SubmitRunResponse__Output>
  WatchRun: MethodDefinition<_cohort_v1_GetRunRequest, _cohort_v1_RunStatus, _cohort_v1_GetRunRequest__Output, _cohort_v1_RunStatus__Output>
}
