// Original file: protos/cohort/v1/audit.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AuditCheckpoint as _cohort_v1_AuditCheckpoint, AuditCheckpoint__Output as _cohort_v1_AuditCheckpoint__Output } from '../../cohort/v1/AuditCheckpoint.ts';
import type { ConsistencyProof as _cohort_v1_ConsistencyProof, ConsistencyProof__Output as _cohort_v1_ConsistencyProof__Output } from '../../cohort/v1/ConsistencyProof.ts';
import type { ConsistencyProofRequest as _cohort_v1_ConsistencyProofRequest, ConsistencyProofRequest__Output as _cohort_v1_ConsistencyProofRequest__Output } from '../../cohort/v1/ConsistencyProofRequest.ts';
import type { GetLatestCheckpointRequest as _cohort_v1_GetLatestCheckpointRequest, GetLatestCheckpointRequest__Output as _cohort_v1_GetLatestCheckpointRequest__Output } from '../../cohort/v1/GetLatestCheckpointRequest.ts';
import type { InclusionProof as _cohort_v1_InclusionProof, InclusionProof__Output as _cohort_v1_InclusionProof__Output } from '../../cohort/v1/InclusionProof.ts';
import type { InclusionProofRequest as _cohort_v1_InclusionProofRequest, InclusionProofRequest__Output as _cohort_v1_InclusionProofRequest__Output } from '../../cohort/v1/InclusionProofRequest.ts';
import type { ListCheckpointsRequest as _cohort_v1_ListCheckpointsRequest, ListCheckpointsRequest__Output as _cohort_v1_ListCheckpointsRequest__Output } from '../../cohort/v1/ListCheckpointsRequest.ts';
import type { ListCheckpointsResponse as _cohort_v1_ListCheckpointsResponse, ListCheckpointsResponse__Output as _cohort_v1_ListCheckpointsResponse__Output } from '../../cohort/v1/ListCheckpointsResponse.ts';
import type { ListRecordsRequest as _cohort_v1_ListRecordsRequest, ListRecordsRequest__Output as _cohort_v1_ListRecordsRequest__Output } from '../../cohort/v1/ListRecordsRequest.ts';
import type { ListRecordsResponse as _cohort_v1_ListRecordsResponse, ListRecordsResponse__Output as _cohort_v1_ListRecordsResponse__Output } from '../../cohort/v1/ListRecordsResponse.ts';

export interface AuditServiceClient extends grpc.Client {
  /**
   * auditor. RFC 9162 2.1.4.1 PROOF(size1, D[0:size2]).
   */
  GetConsistencyProof(argument: _cohort_v1_ConsistencyProofRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ConsistencyProof__Output>): grpc.ClientUnaryCall;
  GetConsistencyProof(argument: _cohort_v1_ConsistencyProofRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ConsistencyProof__Output>): grpc.ClientUnaryCall;
  GetConsistencyProof(argument: _cohort_v1_ConsistencyProofRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ConsistencyProof__Output>): grpc.ClientUnaryCall;
  GetConsistencyProof(argument: _cohort_v1_ConsistencyProofRequest, callback: grpc.requestCallback<_cohort_v1_ConsistencyProof__Output>): grpc.ClientUnaryCall;
  /**
   * auditor. RFC 9162 2.1.4.1 PROOF(size1, D[0:size2]).
   */
  getConsistencyProof(argument: _cohort_v1_ConsistencyProofRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ConsistencyProof__Output>): grpc.ClientUnaryCall;
  getConsistencyProof(argument: _cohort_v1_ConsistencyProofRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ConsistencyProof__Output>): grpc.ClientUnaryCall;
  getConsistencyProof(argument: _cohort_v1_ConsistencyProofRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ConsistencyProof__Output>): grpc.ClientUnaryCall;
  getConsistencyProof(argument: _cohort_v1_ConsistencyProofRequest, callback: grpc.requestCallback<_cohort_v1_ConsistencyProof__Output>): grpc.ClientUnaryCall;
  
  /**
   * auditor. RFC 9162 2.1.3.1 PATH(index, D[0:tree_size]) and the record's line.
   */
  GetInclusionProof(argument: _cohort_v1_InclusionProofRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_InclusionProof__Output>): grpc.ClientUnaryCall;
  GetInclusionProof(argument: _cohort_v1_InclusionProofRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_InclusionProof__Output>): grpc.ClientUnaryCall;
  GetInclusionProof(argument: _cohort_v1_InclusionProofRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_InclusionProof__Output>): grpc.ClientUnaryCall;
  GetInclusionProof(argument: _cohort_v1_InclusionProofRequest, callback: grpc.requestCallback<_cohort_v1_InclusionProof__Output>): grpc.ClientUnaryCall;
  /**
   * auditor. RFC 9162 2.1.3.1 PATH(index, D[0:tree_size]) and the record's line.
   */
  getInclusionProof(argument: _cohort_v1_InclusionProofRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_InclusionProof__Output>): grpc.ClientUnaryCall;
  getInclusionProof(argument: _cohort_v1_InclusionProofRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_InclusionProof__Output>): grpc.ClientUnaryCall;
  getInclusionProof(argument: _cohort_v1_InclusionProofRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_InclusionProof__Output>): grpc.ClientUnaryCall;
  getInclusionProof(argument: _cohort_v1_InclusionProofRequest, callback: grpc.requestCallback<_cohort_v1_InclusionProof__Output>): grpc.ClientUnaryCall;
  
  /**
   * auditor. The latest signed checkpoint (NOT_FOUND while none is signed).
   */
  GetLatestCheckpoint(argument: _cohort_v1_GetLatestCheckpointRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_AuditCheckpoint__Output>): grpc.ClientUnaryCall;
  GetLatestCheckpoint(argument: _cohort_v1_GetLatestCheckpointRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_AuditCheckpoint__Output>): grpc.ClientUnaryCall;
  GetLatestCheckpoint(argument: _cohort_v1_GetLatestCheckpointRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_AuditCheckpoint__Output>): grpc.ClientUnaryCall;
  GetLatestCheckpoint(argument: _cohort_v1_GetLatestCheckpointRequest, callback: grpc.requestCallback<_cohort_v1_AuditCheckpoint__Output>): grpc.ClientUnaryCall;
  /**
   * auditor. The latest signed checkpoint (NOT_FOUND while none is signed).
   */
  getLatestCheckpoint(argument: _cohort_v1_GetLatestCheckpointRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_AuditCheckpoint__Output>): grpc.ClientUnaryCall;
  getLatestCheckpoint(argument: _cohort_v1_GetLatestCheckpointRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_AuditCheckpoint__Output>): grpc.ClientUnaryCall;
  getLatestCheckpoint(argument: _cohort_v1_GetLatestCheckpointRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_AuditCheckpoint__Output>): grpc.ClientUnaryCall;
  getLatestCheckpoint(argument: _cohort_v1_GetLatestCheckpointRequest, callback: grpc.requestCallback<_cohort_v1_AuditCheckpoint__Output>): grpc.ClientUnaryCall;
  
  /**
   * auditor. Every signed checkpoint, in the order they were written.
   */
  ListCheckpoints(argument: _cohort_v1_ListCheckpointsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListCheckpointsResponse__Output>): grpc.ClientUnaryCall;
  ListCheckpoints(argument: _cohort_v1_ListCheckpointsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ListCheckpointsResponse__Output>): grpc.ClientUnaryCall;
  ListCheckpoints(argument: _cohort_v1_ListCheckpointsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListCheckpointsResponse__Output>): grpc.ClientUnaryCall;
  ListCheckpoints(argument: _cohort_v1_ListCheckpointsRequest, callback: grpc.requestCallback<_cohort_v1_ListCheckpointsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * auditor. Every signed checkpoint, in the order they were written.
   */
  listCheckpoints(argument: _cohort_v1_ListCheckpointsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListCheckpointsResponse__Output>): grpc.ClientUnaryCall;
  listCheckpoints(argument: _cohort_v1_ListCheckpointsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ListCheckpointsResponse__Output>): grpc.ClientUnaryCall;
  listCheckpoints(argument: _cohort_v1_ListCheckpointsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListCheckpointsResponse__Output>): grpc.ClientUnaryCall;
  listCheckpoints(argument: _cohort_v1_ListCheckpointsRequest, callback: grpc.requestCallback<_cohort_v1_ListCheckpointsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * auditor. The records from index since_index on, at most `limit` (0: 1000; at most 10000).
   */
  ListRecords(argument: _cohort_v1_ListRecordsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  ListRecords(argument: _cohort_v1_ListRecordsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  ListRecords(argument: _cohort_v1_ListRecordsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  ListRecords(argument: _cohort_v1_ListRecordsRequest, callback: grpc.requestCallback<_cohort_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * auditor. The records from index since_index on, at most `limit` (0: 1000; at most 10000).
   */
  listRecords(argument: _cohort_v1_ListRecordsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  listRecords(argument: _cohort_v1_ListRecordsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  listRecords(argument: _cohort_v1_ListRecordsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  listRecords(argument: _cohort_v1_ListRecordsRequest, callback: grpc.requestCallback<_cohort_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AuditServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * auditor. RFC 9162 2.1.4.1 PROOF(size1, D[0:size2]).
   */
  GetConsistencyProof: grpc.handleUnaryCall<_cohort_v1_ConsistencyProofRequest__Output, _cohort_v1_ConsistencyProof>;
  
  /**
   * auditor. RFC 9162 2.1.3.1 PATH(index, D[0:tree_size]) and the record's line.
   */
  GetInclusionProof: grpc.handleUnaryCall<_cohort_v1_InclusionProofRequest__Output, _cohort_v1_InclusionProof>;
  
  /**
   * auditor. The latest signed checkpoint (NOT_FOUND while none is signed).
   */
  GetLatestCheckpoint: grpc.handleUnaryCall<_cohort_v1_GetLatestCheckpointRequest__Output, _cohort_v1_AuditCheckpoint>;
  
  /**
   * auditor. Every signed checkpoint, in the order they were written.
   */
  ListCheckpoints: grpc.handleUnaryCall<_cohort_v1_ListCheckpointsRequest__Output, _cohort_v1_ListCheckpointsResponse>;
  
  /**
   * auditor. The records from index since_index on, at most `limit` (0: 1000; at most 10000).
   */
  ListRecords: grpc.handleUnaryCall<_cohort_v1_ListRecordsRequest__Output, _cohort_v1_ListRecordsResponse>;
  
}

export interface AuditServiceDefinition extends grpc.ServiceDefinition {
  GetConsistencyProof: MethodDefinition<_cohort_v1_ConsistencyProofRequest, _cohort_v1_ConsistencyProof, _cohort_v1_ConsistencyProofRequest__Output, _cohort_v1_ConsistencyProof__Output>
  GetInclusionProof: MethodDefinition<_cohort_v1_InclusionProofRequest, _cohort_v1_InclusionProof, _cohort_v1_InclusionProofRequest__Output, _cohort_v1_InclusionProof__Output>
  GetLatestCheckpoint: MethodDefinition<_cohort_v1_GetLatestCheckpointRequest, _cohort_v1_AuditCheckpoint, _cohort_v1_GetLatestCheckpointRequest__Output, _cohort_v1_AuditCheckpoint__Output>
  ListCheckpoints: MethodDefinition<_cohort_v1_ListCheckpointsRequest, _cohort_v1_ListCheckpointsResponse, _cohort_v1_ListCheckpointsRequest__Output, _cohort_v1_ListCheckpointsResponse__Output>
  ListRecords: MethodDefinition<_cohort_v1_ListRecordsRequest, _cohort_v1_ListRecordsResponse, _cohort_v1_ListRecordsRequest__Output, _cohort_v1_ListRecordsResponse__Output>
}
