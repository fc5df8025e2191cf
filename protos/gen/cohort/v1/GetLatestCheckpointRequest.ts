// Original file: protos/cohort/v1/audit.proto


export interface GetLatestCheckpointRequest {
}

export interface GetLatestCheckpointRequest__Output {
}
