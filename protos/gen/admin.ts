import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminServiceClient as _cohort_v1_AdminServiceClient, AdminServiceDefinition as _cohort_v1_AdminServiceDefinition } from './cohort/v1/AdminService.ts';
import type { CancelRunRequest as _cohort_v1_CancelRunRequest, CancelRunRequest__Output as _cohort_v1_CancelRunRequest__Output } from './cohort/v1/CancelRunRequest.ts';
import type { GetModelRequest as _cohort_v1_GetModelRequest, GetModelRequest__Output as _cohort_v1_GetModelRequest__Output } from './cohort/v1/GetModelRequest.ts';
import type { GetRunRequest as _cohort_v1_GetRunRequest, GetRunRequest__Output as _cohort_v1_GetRunRequest__Output } from './cohort/v1/GetRunRequest.ts';
import type { ListModelsRequest as _cohort_v1_ListModelsRequest, ListModelsRequest__Output as _cohort_v1_ListModelsRequest__Output } from './cohort/v1/ListModelsRequest.ts';
import type { ListModelsResponse as _cohort_v1_ListModelsResponse, ListModelsResponse__Output as _cohort_v1_ListModelsResponse__Output } from './cohort/v1/ListModelsResponse.ts';
import type { ListRunsRequest as _cohort_v1_ListRunsRequest, ListRunsRequest__Output as _cohort_v1_ListRunsRequest__Output } from './cohort/v1/ListRunsRequest.ts';
import type { ListRunsResponse as _cohort_v1_ListRunsResponse, ListRunsResponse__Output as _cohort_v1_ListRunsResponse__Output } from './cohort/v1/ListRunsResponse.ts';
import type { ListSitesRequest as _cohort_v1_ListSitesRequest, ListSitesRequest__Output as _cohort_v1_ListSitesRequest__Output } from './cohort/v1/ListSitesRequest.ts';
import type { ListSitesResponse as _cohort_v1_ListSitesResponse, ListSitesResponse__Output as _cohort_v1_ListSitesResponse__Output } from './cohort/v1/ListSitesResponse.ts';
import type { Metrics as _cohort_v1_Metrics, Metrics__Output as _cohort_v1_Metrics__Output } from './cohort/v1/Metrics.ts';
import type { ModelBlob as _cohort_v1_ModelBlob, ModelBlob__Output as _cohort_v1_ModelBlob__Output } from './cohort/v1/ModelBlob.ts';
import type { ModelEntry as _cohort_v1_ModelEntry, ModelEntry__Output as _cohort_v1_ModelEntry__Output } from './cohort/v1/ModelEntry.ts';
import type { RoundStatus as _cohort_v1_RoundStatus, RoundStatus__Output as _cohort_v1_RoundStatus__Output } from './cohort/v1/RoundStatus.ts';
import type { RunStatus as _cohort_v1_RunStatus, RunStatus__Output as _cohort_v1_RunStatus__Output } from './cohort/v1/RunStatus.ts';
import type { RunSummary as _cohort_v1_RunSummary, RunSummary__Output as _cohort_v1_RunSummary__Output } from './cohort/v1/RunSummary.ts';
import type { SiteInfo as _cohort_v1_SiteInfo, SiteInfo__Output as _cohort_v1_SiteInfo__Output } from './cohort/v1/SiteInfo.ts';
import type { SiteParticipation as _cohort_v1_SiteParticipation, SiteParticipation__Output as _cohort_v1_SiteParticipation__Output } from './cohort/v1/SiteParticipation.ts';
import type { SiteRoundStatus as _cohort_v1_SiteRoundStatus, SiteRoundStatus__Output as _cohort_v1_SiteRoundStatus__Output } from './cohort/v1/SiteRoundStatus.ts';
import type { SubmitRunRequest as _cohort_v1_SubmitRunRequest, SubmitRunRequest__Output as _cohort_v1_SubmitRunRequest__Output } from './cohort/v1/SubmitRunRequest.ts';
import type { SubmitRunResponse as _cohort_v1_SubmitRunResponse, SubmitRunResponse__Output as _cohort_v1_SubmitRunResponse__Output } from './cohort/v1/SubmitRunResponse.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  cohort: {
    v1: {
      AdminService: SubtypeConstructor<typeof grpc.Client, _cohort_v1_AdminServiceClient> & { service: _cohort_v1_AdminServiceDefinition }
      CancelRunRequest: MessageTypeDefinition<_cohort_v1_CancelRunRequest, _cohort_v1_CancelRunRequest__Output>
      GetModelRequest: MessageTypeDefinition<_cohort_v1_GetModelRequest, _cohort_v1_GetModelRequest__Output>
      GetRunRequest: MessageTypeDefinition<_cohort_v1_GetRunRequest, _cohort_v1_GetRunRequest__Output>
      ListModelsRequest: MessageTypeDefinition<_cohort_v1_ListModelsRequest, _cohort_v1_ListModelsRequest__Output>
      ListModelsResponse: MessageTypeDefinition<_cohort_v1_ListModelsResponse, _cohort_v1_ListModelsResponse__Output>
      ListRunsRequest: MessageTypeDefinition<_cohort_v1_ListRunsRequest, _cohort_v1_ListRunsRequest__Output>
      ListRunsResponse: MessageTypeDefinition<_cohort_v1_ListRunsResponse, _cohort_v1_ListRunsResponse__Output>
      ListSitesRequest: MessageTypeDefinition<_cohort_v1_ListSitesRequest, _cohort_v1_ListSitesRequest__Output>
      ListSitesResponse: MessageTypeDefinition<_cohort_v1_ListSitesResponse, _cohort_v1_ListSitesResponse__Output>
      Metrics: MessageTypeDefinition<_cohort_v1_Metrics, _cohort_v1_Metrics__Output>
      ModelBlob: MessageTypeDefinition<_cohort_v1_ModelBlob, _cohort_v1_ModelBlob__Output>
      ModelEntry: MessageTypeDefinition<_cohort_v1_ModelEntry, _cohort_v1_ModelEntry__Output>
      RoundStatus: MessageTypeDefinition<_cohort_v1_RoundStatus, _cohort_v1_RoundStatus__Output>
      RunStatus: MessageTypeDefinition<_cohort_v1_RunStatus, _cohort_v1_RunStatus__Output>
      RunSummary: MessageTypeDefinition<_cohort_v1_RunSummary, _cohort_v1_RunSummary__Output>
      SiteInfo: MessageTypeDefinition<_cohort_v1_SiteInfo, _cohort_v1_SiteInfo__Output>
      SiteParticipation: MessageTypeDefinition<_cohort_v1_SiteParticipation, _cohort_v1_SiteParticipation__Output>
      SiteRoundStatus: MessageTypeDefinition<_cohort_v1_SiteRoundStatus, _cohort_v1_SiteRoundStatus__Output>
      SubmitRunRequest: MessageTypeDefinition<_cohort_v1_SubmitRunRequest, _cohort_v1_SubmitRunRequest__Output>
      SubmitRunResponse: MessageTypeDefinition<_cohort_v1_SubmitRunResponse, _cohort_v1_SubmitRunResponse__Output>
    }
  }
}

