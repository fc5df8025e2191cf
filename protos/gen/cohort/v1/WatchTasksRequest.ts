// Original file: protos/cohort/v1/site.proto


export interface WatchTasksRequest {
}

export interface WatchTasksRequest__Output {
}
