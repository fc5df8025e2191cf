// Original file: protos/cohort/v1/admin.proto


export interface ListRunsRequest {
}

export interface ListRunsRequest__Output {
}
