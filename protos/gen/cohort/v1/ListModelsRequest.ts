// Original file: protos/cohort/v1/admin.proto


export interface ListModelsRequest {
}

export interface ListModelsRequest__Output {
}
