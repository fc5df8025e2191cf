// Original file: protos/cohort/v1/site.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Ack as _cohort_v1_Ack, Ack__Output as _cohort_v1_Ack__Output } from '../../cohort/v1/Ack.ts';
import type { AggregateChunk as _cohort_v1_AggregateChunk, AggregateChunk__Output as _cohort_v1_AggregateChunk__Output } from '../../cohort/v1/AggregateChunk.ts';
import type { AggregateRequest as _cohort_v1_AggregateRequest, AggregateRequest__Output as _cohort_v1_AggregateRequest__Output } from '../../cohort/v1/AggregateRequest.ts';
import type { ConsortiumMetricsReport as _cohort_v1_ConsortiumMetricsReport, ConsortiumMetricsReport__Output as _cohort_v1_ConsortiumMetricsReport__Output } from '../../cohort/v1/ConsortiumMetricsReport.ts';
import type { Cosignature as _cohort_v1_Cosignature, Cosignature__Output as _cohort_v1_Cosignature__Output } from '../../cohort/v1/Cosignature.ts';
import type { CrlResponse as _cohort_v1_CrlResponse, CrlResponse__Output as _cohort_v1_CrlResponse__Output } from '../../cohort/v1/CrlResponse.ts';
import type { EvaluationReport as _cohort_v1_EvaluationReport, EvaluationReport__Output as _cohort_v1_EvaluationReport__Output } from '../../cohort/v1/EvaluationReport.ts';
import type { ExchangeKeyRequest as _cohort_v1_ExchangeKeyRequest, ExchangeKeyRequest__Output as _cohort_v1_ExchangeKeyRequest__Output } from '../../cohort/v1/ExchangeKeyRequest.ts';
import type { FailureReport as _cohort_v1_FailureReport, FailureReport__Output as _cohort_v1_FailureReport__Output } from '../../cohort/v1/FailureReport.ts';
import type { FinishAck as _cohort_v1_FinishAck, FinishAck__Output as _cohort_v1_FinishAck__Output } from '../../cohort/v1/FinishAck.ts';
import type { GetCrlRequest as _cohort_v1_GetCrlRequest, GetCrlRequest__Output as _cohort_v1_GetCrlRequest__Output } from '../../cohort/v1/GetCrlRequest.ts';
import type { GetSealedKeyRequest as _cohort_v1_GetSealedKeyRequest, GetSealedKeyRequest__Output as _cohort_v1_GetSealedKeyRequest__Output } from '../../cohort/v1/GetSealedKeyRequest.ts';
import type { HeartbeatRequest as _cohort_v1_HeartbeatRequest, HeartbeatRequest__Output as _cohort_v1_HeartbeatRequest__Output } from '../../cohort/v1/HeartbeatRequest.ts';
import type { HeartbeatResponse as _cohort_v1_HeartbeatResponse, HeartbeatResponse__Output as _cohort_v1_HeartbeatResponse__Output } from '../../cohort/v1/HeartbeatResponse.ts';
import type { KeyCeremonyRequest as _cohort_v1_KeyCeremonyRequest, KeyCeremonyRequest__Output as _cohort_v1_KeyCeremonyRequest__Output } from '../../cohort/v1/KeyCeremonyRequest.ts';
import type { KeyCeremonyStatus as _cohort_v1_KeyCeremonyStatus, KeyCeremonyStatus__Output as _cohort_v1_KeyCeremonyStatus__Output } from '../../cohort/v1/KeyCeremonyStatus.ts';
import type { MaskMessage as _cohort_v1_MaskMessage, MaskMessage__Output as _cohort_v1_MaskMessage__Output } from '../../cohort/v1/MaskMessage.ts';
import type { PublishSealedKeysRequest as _cohort_v1_PublishSealedKeysRequest, PublishSealedKeysRequest__Output as _cohort_v1_PublishSealedKeysRequest__Output } from '../../cohort/v1/PublishSealedKeysRequest.ts';
import type { RegisterRequest as _cohort_v1_RegisterRequest, RegisterRequest__Output as _cohort_v1_RegisterRequest__Output } from '../../cohort/v1/RegisterRequest.ts';
import type { RegisterResponse as _cohort_v1_RegisterResponse, RegisterResponse__Output as _cohort_v1_RegisterResponse__Output } from '../../cohort/v1/RegisterResponse.ts';
import type { ReleaseModelRequest as _cohort_v1_ReleaseModelRequest, ReleaseModelRequest__Output as _cohort_v1_ReleaseModelRequest__Output } from '../../cohort/v1/ReleaseModelRequest.ts';
import type { ReleaseReceipt as _cohort_v1_ReleaseReceipt, ReleaseReceipt__Output as _cohort_v1_ReleaseReceipt__Output } from '../../cohort/v1/ReleaseReceipt.ts';
import type { RunResponse as _cohort_v1_RunResponse, RunResponse__Output as _cohort_v1_RunResponse__Output } from '../../cohort/v1/RunResponse.ts';
import type { SealedKeyResponse as _cohort_v1_SealedKeyResponse, SealedKeyResponse__Output as _cohort_v1_SealedKeyResponse__Output } from '../../cohort/v1/SealedKeyResponse.ts';
import type { Task as _cohort_v1_Task, Task__Output as _cohort_v1_Task__Output } from '../../cohort/v1/Task.ts';
import type { UpdateChunk as _cohort_v1_UpdateChunk, UpdateChunk__Output as _cohort_v1_UpdateChunk__Output } from '../../cohort/v1/UpdateChunk.ts';
import type { UploadReceipt as _cohort_v1_UploadReceipt, UploadReceipt__Output as _cohort_v1_UploadReceipt__Output } from '../../cohort/v1/UploadReceipt.ts';
import type { WatchTasksRequest as _cohort_v1_WatchTasksRequest, WatchTasksRequest__Output as _cohort_v1_WatchTasksRequest__Output } from '../../cohort/v1/WatchTasksRequest.ts';

/**
 * Site agents call these. Every RPC requires the `site` role.
 */
export interface SiteServiceClient extends grpc.Client {
  /**
   * The site has handled a run's end (FINISH): the task is no longer sent on reconnect.
   */
  AcknowledgeFinish(argument: _cohort_v1_FinishAck, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  AcknowledgeFinish(argument: _cohort_v1_FinishAck, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  AcknowledgeFinish(argument: _cohort_v1_FinishAck, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  AcknowledgeFinish(argument: _cohort_v1_FinishAck, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  /**
   * The site has handled a run's end (FINISH): the task is no longer sent on reconnect.
   */
  acknowledgeFinish(argument: _cohort_v1_FinishAck, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  acknowledgeFinish(argument: _cohort_v1_FinishAck, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  acknowledgeFinish(argument: _cohort_v1_FinishAck, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  acknowledgeFinish(argument: _cohort_v1_FinishAck, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  
  /**
   * Witnessing (docs/audit-log.md): the site's cosignature over the coordinator's audit
   * checkpoint a task carried, or its refusal of that checkpoint (coded).
   */
  CosignCheckpoint(argument: _cohort_v1_Cosignature, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  CosignCheckpoint(argument: _cohort_v1_Cosignature, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  CosignCheckpoint(argument: _cohort_v1_Cosignature, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  CosignCheckpoint(argument: _cohort_v1_Cosignature, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  /**
   * Witnessing (docs/audit-log.md): the site's cosignature over the coordinator's audit
   * checkpoint a task carried, or its refusal of that checkpoint (coded).
   */
  cosignCheckpoint(argument: _cohort_v1_Cosignature, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  cosignCheckpoint(argument: _cohort_v1_Cosignature, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  cosignCheckpoint(argument: _cohort_v1_Cosignature, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  cosignCheckpoint(argument: _cohort_v1_Cosignature, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  
  /**
   * Streams the aggregate (running sums) of a closed round back to the site.
   */
  DownloadAggregate(argument: _cohort_v1_AggregateRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_AggregateChunk__Output>;
  DownloadAggregate(argument: _cohort_v1_AggregateRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_AggregateChunk__Output>;
  /**
   * Streams the aggregate (running sums) of a closed round back to the site.
   */
  downloadAggregate(argument: _cohort_v1_AggregateRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_AggregateChunk__Output>;
  downloadAggregate(argument: _cohort_v1_AggregateRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_AggregateChunk__Output>;
  
  /**
   * Streams the sum of a round's evaluation vectors, once every evaluation is in.
   */
  DownloadEvaluation(argument: _cohort_v1_AggregateRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_AggregateChunk__Output>;
  DownloadEvaluation(argument: _cohort_v1_AggregateRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_AggregateChunk__Output>;
  /**
   * Streams the sum of a round's evaluation vectors, once every evaluation is in.
   */
  downloadEvaluation(argument: _cohort_v1_AggregateRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_AggregateChunk__Output>;
  downloadEvaluation(argument: _cohort_v1_AggregateRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_AggregateChunk__Output>;
  
  /**
   * The consortium CRL the coordinator enforces now (its kit's crl.pem, as last reloaded).
   * The key holder verifies it against its own CA certificate before sealing.
   */
  GetCrl(argument: _cohort_v1_GetCrlRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_CrlResponse__Output>): grpc.ClientUnaryCall;
  GetCrl(argument: _cohort_v1_GetCrlRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_CrlResponse__Output>): grpc.ClientUnaryCall;
  GetCrl(argument: _cohort_v1_GetCrlRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_CrlResponse__Output>): grpc.ClientUnaryCall;
  GetCrl(argument: _cohort_v1_GetCrlRequest, callback: grpc.requestCallback<_cohort_v1_CrlResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The consortium CRL the coordinator enforces now (its kit's crl.pem, as last reloaded).
   * The key holder verifies it against its own CA certificate before sealing.
   */
  getCrl(argument: _cohort_v1_GetCrlRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_CrlResponse__Output>): grpc.ClientUnaryCall;
  getCrl(argument: _cohort_v1_GetCrlRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_CrlResponse__Output>): grpc.ClientUnaryCall;
  getCrl(argument: _cohort_v1_GetCrlRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_CrlResponse__Output>): grpc.ClientUnaryCall;
  getCrl(argument: _cohort_v1_GetCrlRequest, callback: grpc.requestCallback<_cohort_v1_CrlResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The consortium HE key's public parameters (if any) and every site's exchange key, with
   * whether the site already has a sealed copy of the key.
   */
  GetKeyCeremony(argument: _cohort_v1_KeyCeremonyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_KeyCeremonyStatus__Output>): grpc.ClientUnaryCall;
  GetKeyCeremony(argument: _cohort_v1_KeyCeremonyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_KeyCeremonyStatus__Output>): grpc.ClientUnaryCall;
  GetKeyCeremony(argument: _cohort_v1_KeyCeremonyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_KeyCeremonyStatus__Output>): grpc.ClientUnaryCall;
  GetKeyCeremony(argument: _cohort_v1_KeyCeremonyRequest, callback: grpc.requestCallback<_cohort_v1_KeyCeremonyStatus__Output>): grpc.ClientUnaryCall;
  /**
   * The consortium HE key's public parameters (if any) and every site's exchange key, with
   * whether the site already has a sealed copy of the key.
   */
  getKeyCeremony(argument: _cohort_v1_KeyCeremonyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_KeyCeremonyStatus__Output>): grpc.ClientUnaryCall;
  getKeyCeremony(argument: _cohort_v1_KeyCeremonyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_KeyCeremonyStatus__Output>): grpc.ClientUnaryCall;
  getKeyCeremony(argument: _cohort_v1_KeyCeremonyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_KeyCeremonyStatus__Output>): grpc.ClientUnaryCall;
  getKeyCeremony(argument: _cohort_v1_KeyCeremonyRequest, callback: grpc.requestCallback<_cohort_v1_KeyCeremonyStatus__Output>): grpc.ClientUnaryCall;
  
  /**
   * This site's sealed copy of the HE key.
   */
  GetSealedKey(argument: _cohort_v1_GetSealedKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_SealedKeyResponse__Output>): grpc.ClientUnaryCall;
  GetSealedKey(argument: _cohort_v1_GetSealedKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_SealedKeyResponse__Output>): grpc.ClientUnaryCall;
  GetSealedKey(argument: _cohort_v1_GetSealedKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_SealedKeyResponse__Output>): grpc.ClientUnaryCall;
  GetSealedKey(argument: _cohort_v1_GetSealedKeyRequest, callback: grpc.requestCallback<_cohort_v1_SealedKeyResponse__Output>): grpc.ClientUnaryCall;
  /**
   * This site's sealed copy of the HE key.
   */
  getSealedKey(argument: _cohort_v1_GetSealedKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_SealedKeyResponse__Output>): grpc.ClientUnaryCall;
  getSealedKey(argument: _cohort_v1_GetSealedKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_SealedKeyResponse__Output>): grpc.ClientUnaryCall;
  getSealedKey(argument: _cohort_v1_GetSealedKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_SealedKeyResponse__Output>): grpc.ClientUnaryCall;
  getSealedKey(argument: _cohort_v1_GetSealedKeyRequest, callback: grpc.requestCallback<_cohort_v1_SealedKeyResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Liveness; the coordinator records the last heartbeat per site.
   */
  Heartbeat(argument: _cohort_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _cohort_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _cohort_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _cohort_v1_HeartbeatRequest, callback: grpc.requestCallback<_cohort_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Liveness; the coordinator records the last heartbeat per site.
   */
  heartbeat(argument: _cohort_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _cohort_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _cohort_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _cohort_v1_HeartbeatRequest, callback: grpc.requestCallback<_cohort_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Key ceremony (docs/secure-aggregation.md). The coordinator relays and stores; it holds
   * no HE secret key and cannot open a sealed one.
   * Publishes this site's X25519 key-agreement key, signed with its certificate key.
   */
  PublishExchangeKey(argument: _cohort_v1_ExchangeKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  PublishExchangeKey(argument: _cohort_v1_ExchangeKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  PublishExchangeKey(argument: _cohort_v1_ExchangeKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  PublishExchangeKey(argument: _cohort_v1_ExchangeKeyRequest, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  /**
   * Key ceremony (docs/secure-aggregation.md). The coordinator relays and stores; it holds
   * no HE secret key and cannot open a sealed one.
   * Publishes this site's X25519 key-agreement key, signed with its certificate key.
   */
  publishExchangeKey(argument: _cohort_v1_ExchangeKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  publishExchangeKey(argument: _cohort_v1_ExchangeKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  publishExchangeKey(argument: _cohort_v1_ExchangeKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  publishExchangeKey(argument: _cohort_v1_ExchangeKeyRequest, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  
  /**
   * Key holder only: the key's public parameters and the secret key sealed to sites.
   */
  PublishSealedKeys(argument: _cohort_v1_PublishSealedKeysRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  PublishSealedKeys(argument: _cohort_v1_PublishSealedKeysRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  PublishSealedKeys(argument: _cohort_v1_PublishSealedKeysRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  PublishSealedKeys(argument: _cohort_v1_PublishSealedKeysRequest, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  /**
   * Key holder only: the key's public parameters and the secret key sealed to sites.
   */
  publishSealedKeys(argument: _cohort_v1_PublishSealedKeysRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  publishSealedKeys(argument: _cohort_v1_PublishSealedKeysRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  publishSealedKeys(argument: _cohort_v1_PublishSealedKeysRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  publishSealedKeys(argument: _cohort_v1_PublishSealedKeysRequest, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  
  /**
   * Announces the agent (version, backends). Idempotent.
   */
  Register(argument: _cohort_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _cohort_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _cohort_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _cohort_v1_RegisterRequest, callback: grpc.requestCallback<_cohort_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Announces the agent (version, backends). Idempotent.
   */
  register(argument: _cohort_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _cohort_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _cohort_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _cohort_v1_RegisterRequest, callback: grpc.requestCallback<_cohort_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * After the last round: one site uploads the final weights; the coordinator accepts them
   * into the model registry only if their SHA-256 is the one every site reported.
   */
  ReleaseModel(argument: _cohort_v1_ReleaseModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ReleaseReceipt__Output>): grpc.ClientUnaryCall;
  ReleaseModel(argument: _cohort_v1_ReleaseModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ReleaseReceipt__Output>): grpc.ClientUnaryCall;
  ReleaseModel(argument: _cohort_v1_ReleaseModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ReleaseReceipt__Output>): grpc.ClientUnaryCall;
  ReleaseModel(argument: _cohort_v1_ReleaseModelRequest, callback: grpc.requestCallback<_cohort_v1_ReleaseReceipt__Output>): grpc.ClientUnaryCall;
  /**
   * After the last round: one site uploads the final weights; the coordinator accepts them
   * into the model registry only if their SHA-256 is the one every site reported.
   */
  releaseModel(argument: _cohort_v1_ReleaseModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ReleaseReceipt__Output>): grpc.ClientUnaryCall;
  releaseModel(argument: _cohort_v1_ReleaseModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ReleaseReceipt__Output>): grpc.ClientUnaryCall;
  releaseModel(argument: _cohort_v1_ReleaseModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ReleaseReceipt__Output>): grpc.ClientUnaryCall;
  releaseModel(argument: _cohort_v1_ReleaseModelRequest, callback: grpc.requestCallback<_cohort_v1_ReleaseReceipt__Output>): grpc.ClientUnaryCall;
  
  /**
   * The consortium metrics the site decrypted from that sum; every site must report the same.
   */
  ReportConsortiumMetrics(argument: _cohort_v1_ConsortiumMetricsReport, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  ReportConsortiumMetrics(argument: _cohort_v1_ConsortiumMetricsReport, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  ReportConsortiumMetrics(argument: _cohort_v1_ConsortiumMetricsReport, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  ReportConsortiumMetrics(argument: _cohort_v1_ConsortiumMetricsReport, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  /**
   * The consortium metrics the site decrypted from that sum; every site must report the same.
   */
  reportConsortiumMetrics(argument: _cohort_v1_ConsortiumMetricsReport, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  reportConsortiumMetrics(argument: _cohort_v1_ConsortiumMetricsReport, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  reportConsortiumMetrics(argument: _cohort_v1_ConsortiumMetricsReport, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  reportConsortiumMetrics(argument: _cohort_v1_ConsortiumMetricsReport, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  
  /**
   * After applying the aggregate: the hash of the new global weights and the site's
   * evaluation vector, encrypted like its update (core/evaluation/summed-metrics.ts).
   */
  ReportEvaluation(argument: _cohort_v1_EvaluationReport, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  ReportEvaluation(argument: _cohort_v1_EvaluationReport, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  ReportEvaluation(argument: _cohort_v1_EvaluationReport, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  ReportEvaluation(argument: _cohort_v1_EvaluationReport, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  /**
   * After applying the aggregate: the hash of the new global weights and the site's
   * evaluation vector, encrypted like its update (core/evaluation/summed-metrics.ts).
   */
  reportEvaluation(argument: _cohort_v1_EvaluationReport, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  reportEvaluation(argument: _cohort_v1_EvaluationReport, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  reportEvaluation(argument: _cohort_v1_EvaluationReport, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  reportEvaluation(argument: _cohort_v1_EvaluationReport, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  
  /**
   * A site that cannot complete a task says so; recorded as a failure, not a crash.
   */
  ReportFailure(argument: _cohort_v1_FailureReport, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  ReportFailure(argument: _cohort_v1_FailureReport, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  ReportFailure(argument: _cohort_v1_FailureReport, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  ReportFailure(argument: _cohort_v1_FailureReport, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  /**
   * A site that cannot complete a task says so; recorded as a failure, not a crash.
   */
  reportFailure(argument: _cohort_v1_FailureReport, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  reportFailure(argument: _cohort_v1_FailureReport, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  reportFailure(argument: _cohort_v1_FailureReport, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  reportFailure(argument: _cohort_v1_FailureReport, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  
  /**
   * The site's decision on a run offer.
   */
  RespondToRun(argument: _cohort_v1_RunResponse, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  RespondToRun(argument: _cohort_v1_RunResponse, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  RespondToRun(argument: _cohort_v1_RunResponse, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  RespondToRun(argument: _cohort_v1_RunResponse, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  /**
   * The site's decision on a run offer.
   */
  respondToRun(argument: _cohort_v1_RunResponse, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  respondToRun(argument: _cohort_v1_RunResponse, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  respondToRun(argument: _cohort_v1_RunResponse, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  respondToRun(argument: _cohort_v1_RunResponse, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  
  /**
   * Pairwise masking of a masked round (docs/secure-aggregation.md): the site's signed round
   * keys (MASK_KEYS), its sealed shares for the cohort (MASK_SHARES) or its released shares
   * (UNMASK). The coordinator stores and relays them; it cannot open a sealed share.
   */
  SubmitMaskMessage(argument: _cohort_v1_MaskMessage, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  SubmitMaskMessage(argument: _cohort_v1_MaskMessage, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  SubmitMaskMessage(argument: _cohort_v1_MaskMessage, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  SubmitMaskMessage(argument: _cohort_v1_MaskMessage, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  /**
   * Pairwise masking of a masked round (docs/secure-aggregation.md): the site's signed round
   * keys (MASK_KEYS), its sealed shares for the cohort (MASK_SHARES) or its released shares
   * (UNMASK). The coordinator stores and relays them; it cannot open a sealed share.
   */
  submitMaskMessage(argument: _cohort_v1_MaskMessage, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  submitMaskMessage(argument: _cohort_v1_MaskMessage, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  submitMaskMessage(argument: _cohort_v1_MaskMessage, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  submitMaskMessage(argument: _cohort_v1_MaskMessage, callback: grpc.requestCallback<_cohort_v1_Ack__Output>): grpc.ClientUnaryCall;
  
  /**
   * Streams one round's encoded update: a header message first, then chunks in order.
   */
  UploadUpdate(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_UploadReceipt__Output>): grpc.ClientWritableStream<_cohort_v1_UpdateChunk>;
  UploadUpdate(metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_UploadReceipt__Output>): grpc.ClientWritableStream<_cohort_v1_UpdateChunk>;
  UploadUpdate(options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_UploadReceipt__Output>): grpc.ClientWritableStream<_cohort_v1_UpdateChunk>;
  UploadUpdate(callback: grpc.requestCallback<_cohort_v1_UploadReceipt__Output>): grpc.ClientWritableStream<_cohort_v1_UpdateChunk>;
  /**
   * Streams one round's encoded update: a header message first, then chunks in order.
   */
  uploadUpdate(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_UploadReceipt__Output>): grpc.ClientWritableStream<_cohort_v1_UpdateChunk>;
  uploadUpdate(metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_UploadReceipt__Output>): grpc.ClientWritableStream<_cohort_v1_UpdateChunk>;
  uploadUpdate(options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_UploadReceipt__Output>): grpc.ClientWritableStream<_cohort_v1_UpdateChunk>;
  uploadUpdate(callback: grpc.requestCallback<_cohort_v1_UploadReceipt__Output>): grpc.ClientWritableStream<_cohort_v1_UpdateChunk>;
  
  /**
   * Long-lived stream of tasks for this site. On (re)connect the coordinator first
   * sends every task still pending for the site, then new ones as state changes.
   */
  WatchTasks(argument: _cohort_v1_WatchTasksRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_Task__Output>;
  WatchTasks(argument: _cohort_v1_WatchTasksRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_Task__Output>;
  /**
   * Long-lived stream of tasks for this site. On (re)connect the coordinator first
   * sends every task still pending for the site, then new ones as state changes.
   */
  watchTasks(argument: _cohort_v1_WatchTasksRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_Task__Output>;
  watchTasks(argument: _cohort_v1_WatchTasksRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_Task__Output>;
  
}

/**
 * Site agents call these. Every RPC requires the `site` role.
 */
export interface SiteServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The site has handled a run's end (FINISH): the task is no longer sent on reconnect.
   */
  AcknowledgeFinish: grpc.handleUnaryCall<_cohort_v1_FinishAck__Output, _cohort_v1_Ack>;
  
  /**
   * Witnessing (docs/audit-log.md): the site's cosignature over the coordinator's audit
   * checkpoint a task carried, or its refusal of that checkpoint (coded).
   */
  CosignCheckpoint: grpc.handleUnaryCall<_cohort_v1_Cosignature__Output, _cohort_v1_Ack>;
  
  /**
   * Streams the aggregate (running sums) of a closed round back to the site.
   */
  DownloadAggregate: grpc.handleServerStreamingCall<_cohort_v1_AggregateRequest__Output, _cohort_v1_AggregateChunk>;
  
  /**
   * Streams the sum of a round's evaluation vectors, once every evaluation is in.
   */
  DownloadEvaluation: grpc.handleServerStreamingCall<_cohort_v1_AggregateRequest__Output, _cohort_v1_AggregateChunk>;
  
  /**
   * The consortium CRL the coordinator enforces now (its kit's crl.pem, as last reloaded).
   * The key holder verifies it against its own CA certificate before sealing.
   */
  GetCrl: grpc.handleUnaryCall<_cohort_v1_GetCrlRequest__Output, _cohort_v1_CrlResponse>;
  
  /**
   * The consortium HE key's public parameters (if any) and every site's exchange key, with
   * whether the site already has a sealed copy of the key.
   */
  GetKeyCeremony: grpc.handleUnaryCall<_cohort_v1_KeyCeremonyRequest__Output, _cohort_v1_KeyCeremonyStatus>;
  
  /**
   * This site's sealed copy of the HE key.
   */
  GetSealedKey: grpc.handleUnaryCall<_cohort_v1_GetSealedKeyRequest__Output, _cohort_v1_SealedKeyResponse>;
  
  /**
   * Liveness; the coordinator records the last heartbeat per site.
   */
  Heartbeat: grpc.handleUnaryCall<_cohort_v1_HeartbeatRequest__Output, _cohort_v1_HeartbeatResponse>;
  
  /**
   * Key ceremony (docs/secure-aggregation.md). The coordinator relays and stores; it holds
   * no HE secret key and cannot open a sealed one.
   * Publishes this site's X25519 key-agreement key, signed with its certificate key.
   */
  PublishExchangeKey: grpc.handleUnaryCall<_cohort_v1_ExchangeKeyRequest__Output, _cohort_v1_Ack>;
  
  /**
   * Key holder only: the key's public parameters and the secret key sealed to sites.
   */
  PublishSealedKeys: grpc.handleUnaryCall<_cohort_v1_PublishSealedKeysRequest__Output, _cohort_v1_Ack>;
  
  /**
   * Announces the agent (version, backends). Idempotent.
   */
  Register: grpc.handleUnaryCall<_cohort_v1_RegisterRequest__Output, _cohort_v1_RegisterResponse>;
  
  /**
   * After the last round: one site uploads the final weights; the coordinator accepts them
   * into the model registry only if their SHA-256 is the one every site reported.
   */
  ReleaseModel: grpc.handleUnaryCall<_cohort_v1_ReleaseModelRequest__Output, _cohort_v1_ReleaseReceipt>;
  
  /**
   * The consortium metrics the site decrypted from that sum; every site must report the same.
   */
  ReportConsortiumMetrics: grpc.handleUnaryCall<_cohort_v1_ConsortiumMetricsReport__Output, _cohort_v1_Ack>;
  
  /**
   * After applying the aggregate: the hash of the new global weights and the site's
   * evaluation vector, encrypted like its update (core/evaluation/summed-metrics.ts).
   */
  ReportEvaluation: grpc.handleUnaryCall<_cohort_v1_EvaluationReport__Output, _cohort_v1_Ack>;
  
  /**
   * A site that cannot complete a task says so; recorded as a failure, not a crash.
   */
  ReportFailure: grpc.handleUnaryCall<_cohort_v1_FailureReport__Output, _cohort_v1_Ack>;
  
  /**
   * The site's decision on a run offer.
   */
  RespondToRun: grpc.handleUnaryCall<_cohort_v1_RunResponse__Output, _cohort_v1_Ack>;
  
  /**
   * Pairwise masking of a masked round (docs/secure-aggregation.md): the site's signed round
   * keys (MASK_KEYS), its sealed shares for the cohort (MASK_SHARES) or its released shares
   * (UNMASK). The coordinator stores and relays them; it cannot open a sealed share.
   */
  SubmitMaskMessage: grpc.handleUnaryCall<_cohort_v1_MaskMessage__Output, _cohort_v1_Ack>;
  
  /**
   * Streams one round's encoded update: a header message first, then chunks in order.
   */
  UploadUpdate: grpc.handleClientStreamingCall<_cohort_v1_UpdateChunk__Output, _cohort_v1_UploadReceipt>;
  
  /**
   * Long-lived stream of tasks for this site. On (re)connect the coordinator first
   * sends every task still pending for the site, then new ones as state changes.
   */
  WatchTasks: grpc.handleServerStreamingCall<_cohort_v1_WatchTasksRequest__Output, _cohort_v1_Task>;
  
}

export interface SiteServiceDefinition extends grpc.ServiceDefinition {
  AcknowledgeFinish: MethodDefinition<_cohort_v1_FinishAck, _cohort_v1_Ack, _cohort_v1_FinishAck__Output, _cohort_v1_Ack__Output>
  CosignCheckpoint: MethodDefinition<_cohort_v1_Cosignature, _cohort_v1_Ack, _cohort_v1_Cosignature__Output, _cohort_v1_Ack__Output>
  DownloadAggregate: MethodDefinition<_cohort_v1_AggregateRequest, _cohort_v1_AggregateChunk, _cohort_v1_AggregateRequest__Output, _cohort_v1_AggregateChunk__Output>
  DownloadEvaluation: MethodDefinition<_cohort_v1_AggregateRequest, _cohort_v1_AggregateChunk, _cohort_v1_AggregateRequest__Output, _cohort_v1_AggregateChunk__Output>
  GetCrl: MethodDefinition<_cohort_v1_GetCrlRequest, _cohort_v1_CrlResponse, _cohort_v1_GetCrlRequest__Output, _cohort_v1_CrlResponse__Output>
  GetKeyCeremony: MethodDefinition<_cohort_v1_KeyCeremonyRequest, _cohort_v1_KeyCeremonyStatus, _cohort_v1_KeyCeremonyRequest__Output, _cohort_v1_KeyCeremonyStatus__Output>
  GetSealedKey: MethodDefinition<_cohort_v1_GetSealedKeyRequest, _cohort_v1_SealedKeyResponse, _cohort_v1_GetSealedKeyRequest__Output, _cohort_v1_SealedKeyResponse__Output>
  Heartbeat: MethodDefinition<_cohort_v1_HeartbeatRequest, _cohort_v1_HeartbeatResponse, _cohort_v1_HeartbeatRequest__Output, _cohort_v1_HeartbeatResponse__Output>
  PublishExchangeKey: MethodDefinition<_cohort_v1_ExchangeKeyRequest, _cohort_v1_Ack, _cohort_v1_ExchangeKeyRequest__Output, _cohort_v1_Ack__Output>
  PublishSealedKeys: MethodDefinition<_cohort_v1_PublishSealedKeysRequest, _cohort_v1_Ack, _cohort_v1_PublishSealedKeysRequest__Output, _cohort_v1_Ack__Output>
  Register: MethodDefinition<_cohort_v1_RegisterRequest, _cohort_v1_RegisterResponse, _cohort_v1_RegisterRequest__Output, _cohort_v1_RegisterResponse__Output>
  ReleaseModel: MethodDefinition<_cohort_v1_ReleaseModelRequest, _cohort_v1_ReleaseReceipt, _cohort_v1_ReleaseModelRequest__Output, _cohort_v1_ReleaseReceipt__Output>
  ReportConsortiumMetrics: MethodDefinition<_cohort_v1_ConsortiumMetricsReport, _cohort_v1_Ack, _cohort_v1_ConsortiumMetricsReport__Output, _cohort_v1_Ack__Output>
  ReportEvaluation: MethodDefinition<_cohort_v1_EvaluationReport, _cohort_v1_Ack, _cohort_v1_EvaluationReport__Output, _cohort_v1_Ack__Output>
  ReportFailure: MethodDefinition<_cohort_v1_FailureReport, _cohort_v1_Ack, _cohort_v1_FailureReport__Output, _cohort_v1_Ack__Output>
  RespondToRun: MethodDefinition<_cohort_v1_RunResponse, _cohort_v1_Ack, _cohort_v1_RunResponse__Output, _cohort_v1_Ack__Output>
  SubmitMaskMessage: MethodDefinition<_cohort_v1_MaskMessage, _cohort_v1_Ack, _cohort_v1_MaskMessage__Output, _cohort_v1_Ack__Output>
  UploadUpdate: MethodDefinition<_cohort_v1_UpdateChunk, _cohort_v1_UploadReceipt, _cohort_v1_UpdateChunk__Output, _cohort_v1_UploadReceipt__Output>
  WatchTasks: MethodDefinition<_cohort_v1_WatchTasksRequest, _cohort_v1_Task, _cohort_v1_WatchTasksRequest__Output, _cohort_v1_Task__Output>
}
