// Original file: protos/cohort/v1/site.proto


export interface GetCrlRequest {
}

export interface GetCrlRequest__Output {
}
