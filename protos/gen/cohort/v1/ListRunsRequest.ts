// Original file: /work/main/protos/cohort/v1/admin.proto


export interface ListRunsRequest {
}

export interface ListRunsRequest__Output {
}
