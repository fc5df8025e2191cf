import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Ack as _cohort_v1_Ack, Ack__Output as _cohort_v1_Ack__Output } from './cohort/v1/Ack.ts';
import type { AggregateChunk as _cohort_v1_AggregateChunk, AggregateChunk__Output as _cohort_v1_AggregateChunk__Output } from './cohort/v1/AggregateChunk.ts';
import type { AggregateRequest as _cohort_v1_AggregateRequest, AggregateRequest__Output as _cohort_v1_AggregateRequest__Output } from './cohort/v1/AggregateRequest.ts';
import type { Chunk as _cohort_v1_Chunk, Chunk__Output as _cohort_v1_Chunk__Output } from './cohort/v1/Chunk.ts';
import type { EvaluationReport as _cohort_v1_EvaluationReport, EvaluationReport__Output as _cohort_v1_EvaluationReport__Output } from './cohort/v1/EvaluationReport.ts';
import type { FailureReport as _cohort_v1_FailureReport, FailureReport__Output as _cohort_v1_FailureReport__Output } from './cohort/v1/FailureReport.ts';
import type { HeartbeatRequest as _cohort_v1_HeartbeatRequest, HeartbeatRequest__Output as _cohort_v1_HeartbeatRequest__Output } from './cohort/v1/HeartbeatRequest.ts';
import type { HeartbeatResponse as _cohort_v1_HeartbeatResponse, HeartbeatResponse__Output as _cohort_v1_HeartbeatResponse__Output } from './cohort/v1/HeartbeatResponse.ts';
import type { RegisterRequest as _cohort_v1_RegisterRequest, RegisterRequest__Output as _cohort_v1_RegisterRequest__Output } from './cohort/v1/RegisterRequest.ts';
import type { RegisterResponse as _cohort_v1_RegisterResponse, RegisterResponse__Output as _cohort_v1_RegisterResponse__Output } from './cohort/v1/RegisterResponse.ts';
import type { RunResponse as _cohort_v1_RunResponse, RunResponse__Output as _cohort_v1_RunResponse__Output } from './cohort/v1/RunResponse.ts';
import type { SiteServiceClient as _cohort_v1_SiteServiceClient, SiteServiceDefinition as _cohort_v1_SiteServiceDefinition } from './cohort/v1/SiteService.ts';
import type { Task as _cohort_v1_Task, Task__Output as _cohort_v1_Task__Output } from './cohort/v1/Task.ts';
import type { UpdateChunk as _cohort_v1_UpdateChunk, UpdateChunk__Output as _cohort_v1_UpdateChunk__Output } from './cohort/v1/UpdateChunk.ts';
import type { UpdateHeader as _cohort_v1_UpdateHeader, UpdateHeader__Output as _cohort_v1_UpdateHeader__Output } from './cohort/v1/UpdateHeader.ts';
import type { UploadReceipt as _cohort_v1_UploadReceipt, UploadReceipt__Output as _cohort_v1_UploadReceipt__Output } from './cohort/v1/UploadReceipt.ts';
import type { WatchTasksRequest as _cohort_v1_WatchTasksRequest, WatchTasksRequest__Output as _cohort_v1_WatchTasksRequest__Output } from './cohort/v1/WatchTasksRequest.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  cohort: {
    v1: {
      Ack: MessageTypeDefinition<_cohort_v1_Ack, _cohort_v1_Ack__Output>
      AggregateChunk: MessageTypeDefinition<_cohort_v1_AggregateChunk, _cohort_v1_AggregateChunk__Output>
      AggregateRequest: MessageTypeDefinition<_cohort_v1_AggregateRequest, _cohort_v1_AggregateRequest__Output>
      Chunk: MessageTypeDefinition<_cohort_v1_Chunk, _cohort_v1_Chunk__Output>
      EvaluationReport: MessageTypeDefinition<_cohort_v1_EvaluationReport, _cohort_v1_EvaluationReport__Output>
      FailureReport: MessageTypeDefinition<_cohort_v1_FailureReport, _cohort_v1_FailureReport__Output>
      HeartbeatRequest: MessageTypeDefinition<_cohort_v1_HeartbeatRequest, _cohort_v1_HeartbeatRequest__Output>
      HeartbeatResponse: MessageTypeDefinition<_cohort_v1_HeartbeatResponse, _cohort_v1_HeartbeatResponse__Output>
      RegisterRequest: MessageTypeDefinition<_cohort_v1_RegisterRequest, _cohort_v1_RegisterRequest__Output>
      RegisterResponse: MessageTypeDefinition<_cohort_v1_RegisterResponse, _cohort_v1_RegisterResponse__Output>
      RunResponse: MessageTypeDefinition<_cohort_v1_RunResponse, _cohort_v1_RunResponse__Output>
      /**
       * Site agents call these. Every RPC requires the `site` role.
       */
      SiteService: SubtypeConstructor<typeof grpc.Client, _cohort_v1_SiteServiceClient> & { service: _cohort_v1_SiteServiceDefinition }
      Task: MessageTypeDefinition<_cohort_v1_Task, _cohort_v1_Task__Output>
      TaskKind: EnumTypeDefinition
      UpdateChunk: MessageTypeDefinition<_cohort_v1_UpdateChunk, _cohort_v1_UpdateChunk__Output>
      UpdateHeader: MessageTypeDefinition<_cohort_v1_UpdateHeader, _cohort_v1_UpdateHeader__Output>
      UploadReceipt: MessageTypeDefinition<_cohort_v1_UploadReceipt, _cohort_v1_UploadReceipt__Output>
      WatchTasksRequest: MessageTypeDefinition<_cohort_v1_WatchTasksRequest, _cohort_v1_WatchTasksRequest__Output>
    }
  }
}

