import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Ack as _cohort_v1_Ack, Ack__Output as _cohort_v1_Ack__Output } from './cohort/v1/Ack.ts';
import type { AggregateChunk as _cohort_v1_AggregateChunk, AggregateChunk__Output as _cohort_v1_AggregateChunk__Output } from './cohort/v1/AggregateChunk.ts';
import type { AggregateRequest as _cohort_v1_AggregateRequest, AggregateRequest__Output as _cohort_v1_AggregateRequest__Output } from './cohort/v1/AggregateRequest.ts';
import type { Chunk as _cohort_v1_Chunk, Chunk__Output as _cohort_v1_Chunk__Output } from './cohort/v1/Chunk.ts';
import type { ConsortiumMetricsReport as _cohort_v1_ConsortiumMetricsReport, ConsortiumMetricsReport__Output as _cohort_v1_ConsortiumMetricsReport__Output } from './cohort/v1/ConsortiumMetricsReport.ts';
import type { Cosignature as _cohort_v1_Cosignature, Cosignature__Output as _cohort_v1_Cosignature__Output } from './cohort/v1/Cosignature.ts';
import type { CrlResponse as _cohort_v1_CrlResponse, CrlResponse__Output as _cohort_v1_CrlResponse__Output } from './cohort/v1/CrlResponse.ts';
import type { EvaluationReport as _cohort_v1_EvaluationReport, EvaluationReport__Output as _cohort_v1_EvaluationReport__Output } from './cohort/v1/EvaluationReport.ts';
import type { ExchangeKeyRequest as _cohort_v1_ExchangeKeyRequest, ExchangeKeyRequest__Output as _cohort_v1_ExchangeKeyRequest__Output } from './cohort/v1/ExchangeKeyRequest.ts';
import type { FailureReport as _cohort_v1_FailureReport, FailureReport__Output as _cohort_v1_FailureReport__Output } from './cohort/v1/FailureReport.ts';
import type { FinishAck as _cohort_v1_FinishAck, FinishAck__Output as _cohort_v1_FinishAck__Output } from './cohort/v1/FinishAck.ts';
import type { GetCrlRequest as _cohort_v1_GetCrlRequest, GetCrlRequest__Output as _cohort_v1_GetCrlRequest__Output } from './cohort/v1/GetCrlRequest.ts';
import type { GetSealedKeyRequest as _cohort_v1_GetSealedKeyRequest, GetSealedKeyRequest__Output as _cohort_v1_GetSealedKeyRequest__Output } from './cohort/v1/GetSealedKeyRequest.ts';
import type { HeartbeatRequest as _cohort_v1_HeartbeatRequest, HeartbeatRequest__Output as _cohort_v1_HeartbeatRequest__Output } from './cohort/v1/HeartbeatRequest.ts';
import type { HeartbeatResponse as _cohort_v1_HeartbeatResponse, HeartbeatResponse__Output as _cohort_v1_HeartbeatResponse__Output } from './cohort/v1/HeartbeatResponse.ts';
import type { KeyCeremonyRequest as _cohort_v1_KeyCeremonyRequest, KeyCeremonyRequest__Output as _cohort_v1_KeyCeremonyRequest__Output } from './cohort/v1/KeyCeremonyRequest.ts';
import type { KeyCeremonyStatus as _cohort_v1_KeyCeremonyStatus, KeyCeremonyStatus__Output as _cohort_v1_KeyCeremonyStatus__Output } from './cohort/v1/KeyCeremonyStatus.ts';
import type { KeyRecipient as _cohort_v1_KeyRecipient, KeyRecipient__Output as _cohort_v1_KeyRecipient__Output } from './cohort/v1/KeyRecipient.ts';
import type { MaskMessage as _cohort_v1_MaskMessage, MaskMessage__Output as _cohort_v1_MaskMessage__Output } from './cohort/v1/MaskMessage.ts';
import type { PrivacySpend as _cohort_v1_PrivacySpend, PrivacySpend__Output as _cohort_v1_PrivacySpend__Output } from './cohort/v1/PrivacySpend.ts';
import type { PublishSealedKeysRequest as _cohort_v1_PublishSealedKeysRequest, PublishSealedKeysRequest__Output as _cohort_v1_PublishSealedKeysRequest__Output } from './cohort/v1/PublishSealedKeysRequest.ts';
import type { RegisterRequest as _cohort_v1_RegisterRequest, RegisterRequest__Output as _cohort_v1_RegisterRequest__Output } from './cohort/v1/RegisterRequest.ts';
import type { RegisterResponse as _cohort_v1_RegisterResponse, RegisterResponse__Output as _cohort_v1_RegisterResponse__Output } from './cohort/v1/RegisterResponse.ts';
import type { ReleaseModelRequest as _cohort_v1_ReleaseModelRequest, ReleaseModelRequest__Output as _cohort_v1_ReleaseModelRequest__Output } from './cohort/v1/ReleaseModelRequest.ts';
import type { ReleaseReceipt as _cohort_v1_ReleaseReceipt, ReleaseReceipt__Output as _cohort_v1_ReleaseReceipt__Output } from './cohort/v1/ReleaseReceipt.ts';
import type { RunResponse as _cohort_v1_RunResponse, RunResponse__Output as _cohort_v1_RunResponse__Output } from './cohort/v1/RunResponse.ts';
import type { SealedKeyEntry as _cohort_v1_SealedKeyEntry, SealedKeyEntry__Output as _cohort_v1_SealedKeyEntry__Output } from './cohort/v1/SealedKeyEntry.ts';
import type { SealedKeyResponse as _cohort_v1_SealedKeyResponse, SealedKeyResponse__Output as _cohort_v1_SealedKeyResponse__Output } from './cohort/v1/SealedKeyResponse.ts';
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
      ConsortiumMetricsReport: MessageTypeDefinition<_cohort_v1_ConsortiumMetricsReport, _cohort_v1_ConsortiumMetricsReport__Output>
      Cosignature: MessageTypeDefinition<_cohort_v1_Cosignature, _cohort_v1_Cosignature__Output>
      CrlResponse: MessageTypeDefinition<_cohort_v1_CrlResponse, _cohort_v1_CrlResponse__Output>
      EvaluationReport: MessageTypeDefinition<_cohort_v1_EvaluationReport, _cohort_v1_EvaluationReport__Output>
      ExchangeKeyRequest: MessageTypeDefinition<_cohort_v1_ExchangeKeyRequest, _cohort_v1_ExchangeKeyRequest__Output>
      FailureReport: MessageTypeDefinition<_cohort_v1_FailureReport, _cohort_v1_FailureReport__Output>
      FinishAck: MessageTypeDefinition<_cohort_v1_FinishAck, _cohort_v1_FinishAck__Output>
      GetCrlRequest: MessageTypeDefinition<_cohort_v1_GetCrlRequest, _cohort_v1_GetCrlRequest__Output>
      GetSealedKeyRequest: MessageTypeDefinition<_cohort_v1_GetSealedKeyRequest, _cohort_v1_GetSealedKeyRequest__Output>
      HeartbeatRequest: MessageTypeDefinition<_cohort_v1_HeartbeatRequest, _cohort_v1_HeartbeatRequest__Output>
      HeartbeatResponse: MessageTypeDefinition<_cohort_v1_HeartbeatResponse, _cohort_v1_HeartbeatResponse__Output>
      KeyCeremonyRequest: MessageTypeDefinition<_cohort_v1_KeyCeremonyRequest, _cohort_v1_KeyCeremonyRequest__Output>
      KeyCeremonyStatus: MessageTypeDefinition<_cohort_v1_KeyCeremonyStatus, _cohort_v1_KeyCeremonyStatus__Output>
      KeyRecipient: MessageTypeDefinition<_cohort_v1_KeyRecipient, _cohort_v1_KeyRecipient__Output>
      MaskMessage: MessageTypeDefinition<_cohort_v1_MaskMessage, _cohort_v1_MaskMessage__Output>
      PrivacySpend: MessageTypeDefinition<_cohort_v1_PrivacySpend, _cohort_v1_PrivacySpend__Output>
      PublishSealedKeysRequest: MessageTypeDefinition<_cohort_v1_PublishSealedKeysRequest, _cohort_v1_PublishSealedKeysRequest__Output>
      RegisterRequest: MessageTypeDefinition<_cohort_v1_RegisterRequest, _cohort_v1_RegisterRequest__Output>
      RegisterResponse: MessageTypeDefinition<_cohort_v1_RegisterResponse, _cohort_v1_RegisterResponse__Output>
      ReleaseModelRequest: MessageTypeDefinition<_cohort_v1_ReleaseModelRequest, _cohort_v1_ReleaseModelRequest__Output>
      ReleaseReceipt: MessageTypeDefinition<_cohort_v1_ReleaseReceipt, _cohort_v1_ReleaseReceipt__Output>
      RunResponse: MessageTypeDefinition<_cohort_v1_RunResponse, _cohort_v1_RunResponse__Output>
      SealedKeyEntry: MessageTypeDefinition<_cohort_v1_SealedKeyEntry, _cohort_v1_SealedKeyEntry__Output>
      SealedKeyResponse: MessageTypeDefinition<_cohort_v1_SealedKeyResponse, _cohort_v1_SealedKeyResponse__Output>
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

