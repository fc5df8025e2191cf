// Original file: protos/cohort/v1/admin.proto


export interface ListSitesRequest {
}

export interface ListSitesRequest__Output {
}
