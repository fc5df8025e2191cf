// Original file: protos/cohort/v1/site.proto


export interface KeyCeremonyRequest {
}

export interface KeyCeremonyRequest__Output {
}
