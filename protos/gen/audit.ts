import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AuditCheckpoint as _cohort_v1_AuditCheckpoint, AuditCheckpoint__Output as _cohort_v1_AuditCheckpoint__Output } from './cohort/v1/AuditCheckpoint.ts';
import type { AuditServiceClient as _cohort_v1_AuditServiceClient, AuditServiceDefinition as _cohort_v1_AuditServiceDefinition } from './cohort/v1/AuditService.ts';
import type { ConsistencyProof as _cohort_v1_ConsistencyProof, ConsistencyProof__Output as _cohort_v1_ConsistencyProof__Output } from './cohort/v1/ConsistencyProof.ts';
import type { ConsistencyProofRequest as _cohort_v1_ConsistencyProofRequest, ConsistencyProofRequest__Output as _cohort_v1_ConsistencyProofRequest__Output } from './cohort/v1/ConsistencyProofRequest.ts';
import type { GetLatestCheckpointRequest as _cohort_v1_GetLatestCheckpointRequest, GetLatestCheckpointRequest__Output as _cohort_v1_GetLatestCheckpointRequest__Output } from './cohort/v1/GetLatestCheckpointRequest.ts';
import type { InclusionProof as _cohort_v1_InclusionProof, InclusionProof__Output as _cohort_v1_InclusionProof__Output } from './cohort/v1/InclusionProof.ts';
import type { InclusionProofRequest as _cohort_v1_InclusionProofRequest, InclusionProofRequest__Output as _cohort_v1_InclusionProofRequest__Output } from './cohort/v1/InclusionProofRequest.ts';
import type { ListCheckpointsRequest as _cohort_v1_ListCheckpointsRequest, ListCheckpointsRequest__Output as _cohort_v1_ListCheckpointsRequest__Output } from './cohort/v1/ListCheckpointsRequest.ts';
import type { ListCheckpointsResponse as _cohort_v1_ListCheckpointsResponse, ListCheckpointsResponse__Output as _cohort_v1_ListCheckpointsResponse__Output } from './cohort/v1/ListCheckpointsResponse.ts';
import type { ListRecordsRequest as _cohort_v1_ListRecordsRequest, ListRecordsRequest__Output as _cohort_v1_ListRecordsRequest__Output } from './cohort/v1/ListRecordsRequest.ts';
import type { ListRecordsResponse as _cohort_v1_ListRecordsResponse, ListRecordsResponse__Output as _cohort_v1_ListRecordsResponse__Output } from './cohort/v1/ListRecordsResponse.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  cohort: {
    v1: {
      AuditCheckpoint: MessageTypeDefinition<_cohort_v1_AuditCheckpoint, _cohort_v1_AuditCheckpoint__Output>
      AuditService: SubtypeConstructor<typeof grpc.Client, _cohort_v1_AuditServiceClient> & { service: _cohort_v1_AuditServiceDefinition }
      ConsistencyProof: MessageTypeDefinition<_cohort_v1_ConsistencyProof, _cohort_v1_ConsistencyProof__Output>
      ConsistencyProofRequest: MessageTypeDefinition<_cohort_v1_ConsistencyProofRequest, _cohort_v1_ConsistencyProofRequest__Output>
      GetLatestCheckpointRequest: MessageTypeDefinition<_cohort_v1_GetLatestCheckpointRequest, _cohort_v1_GetLatestCheckpointRequest__Output>
      InclusionProof: MessageTypeDefinition<_cohort_v1_InclusionProof, _cohort_v1_InclusionProof__Output>
      InclusionProofRequest: MessageTypeDefinition<_cohort_v1_InclusionProofRequest, _cohort_v1_InclusionProofRequest__Output>
      ListCheckpointsRequest: MessageTypeDefinition<_cohort_v1_ListCheckpointsRequest, _cohort_v1_ListCheckpointsRequest__Output>
      ListCheckpointsResponse: MessageTypeDefinition<_cohort_v1_ListCheckpointsResponse, _cohort_v1_ListCheckpointsResponse__Output>
      ListRecordsRequest: MessageTypeDefinition<_cohort_v1_ListRecordsRequest, _cohort_v1_ListRecordsRequest__Output>
      ListRecordsResponse: MessageTypeDefinition<_cohort_v1_ListRecordsResponse, _cohort_v1_ListRecordsResponse__Output>
    }
  }
}

