// Original file: protos/cohort/v1/audit.proto


export interface ListCheckpointsRequest {
}

export interface ListCheckpointsRequest__Output {
}
