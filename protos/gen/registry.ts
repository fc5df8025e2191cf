import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ApproveModelVersionRequest as _cohort_v1_ApproveModelVersionRequest, ApproveModelVersionRequest__Output as _cohort_v1_ApproveModelVersionRequest__Output } from './cohort/v1/ApproveModelVersionRequest.ts';
import type { ExportModelVersionRequest as _cohort_v1_ExportModelVersionRequest, ExportModelVersionRequest__Output as _cohort_v1_ExportModelVersionRequest__Output } from './cohort/v1/ExportModelVersionRequest.ts';
import type { ListModelVersionsRequest as _cohort_v1_ListModelVersionsRequest, ListModelVersionsRequest__Output as _cohort_v1_ListModelVersionsRequest__Output } from './cohort/v1/ListModelVersionsRequest.ts';
import type { ListModelVersionsResponse as _cohort_v1_ListModelVersionsResponse, ListModelVersionsResponse__Output as _cohort_v1_ListModelVersionsResponse__Output } from './cohort/v1/ListModelVersionsResponse.ts';
import type { ModelAlias as _cohort_v1_ModelAlias, ModelAlias__Output as _cohort_v1_ModelAlias__Output } from './cohort/v1/ModelAlias.ts';
import type { ModelApproval as _cohort_v1_ModelApproval, ModelApproval__Output as _cohort_v1_ModelApproval__Output } from './cohort/v1/ModelApproval.ts';
import type { ModelVersion as _cohort_v1_ModelVersion, ModelVersion__Output as _cohort_v1_ModelVersion__Output } from './cohort/v1/ModelVersion.ts';
import type { ModelVersionExport as _cohort_v1_ModelVersionExport, ModelVersionExport__Output as _cohort_v1_ModelVersionExport__Output } from './cohort/v1/ModelVersionExport.ts';
import type { ModelVersionRef as _cohort_v1_ModelVersionRef, ModelVersionRef__Output as _cohort_v1_ModelVersionRef__Output } from './cohort/v1/ModelVersionRef.ts';
import type { RegistryServiceClient as _cohort_v1_RegistryServiceClient, RegistryServiceDefinition as _cohort_v1_RegistryServiceDefinition } from './cohort/v1/RegistryService.ts';
import type { RollbackModelRequest as _cohort_v1_RollbackModelRequest, RollbackModelRequest__Output as _cohort_v1_RollbackModelRequest__Output } from './cohort/v1/RollbackModelRequest.ts';
import type { SetModelAliasRequest as _cohort_v1_SetModelAliasRequest, SetModelAliasRequest__Output as _cohort_v1_SetModelAliasRequest__Output } from './cohort/v1/SetModelAliasRequest.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  cohort: {
    v1: {
      ApproveModelVersionRequest: MessageTypeDefinition<_cohort_v1_ApproveModelVersionRequest, _cohort_v1_ApproveModelVersionRequest__Output>
      ExportModelVersionRequest: MessageTypeDefinition<_cohort_v1_ExportModelVersionRequest, _cohort_v1_ExportModelVersionRequest__Output>
      ListModelVersionsRequest: MessageTypeDefinition<_cohort_v1_ListModelVersionsRequest, _cohort_v1_ListModelVersionsRequest__Output>
      ListModelVersionsResponse: MessageTypeDefinition<_cohort_v1_ListModelVersionsResponse, _cohort_v1_ListModelVersionsResponse__Output>
      ModelAlias: MessageTypeDefinition<_cohort_v1_ModelAlias, _cohort_v1_ModelAlias__Output>
      ModelApproval: MessageTypeDefinition<_cohort_v1_ModelApproval, _cohort_v1_ModelApproval__Output>
      ModelVersion: MessageTypeDefinition<_cohort_v1_ModelVersion, _cohort_v1_ModelVersion__Output>
      ModelVersionExport: MessageTypeDefinition<_cohort_v1_ModelVersionExport, _cohort_v1_ModelVersionExport__Output>
      ModelVersionRef: MessageTypeDefinition<_cohort_v1_ModelVersionRef, _cohort_v1_ModelVersionRef__Output>
      RegistryService: SubtypeConstructor<typeof grpc.Client, _cohort_v1_RegistryServiceClient> & { service: _cohort_v1_RegistryServiceDefinition }
      RollbackModelRequest: MessageTypeDefinition<_cohort_v1_RollbackModelRequest, _cohort_v1_RollbackModelRequest__Output>
      SetModelAliasRequest: MessageTypeDefinition<_cohort_v1_SetModelAliasRequest, _cohort_v1_SetModelAliasRequest__Output>
    }
  }
}

