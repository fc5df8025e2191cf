// Original file: protos/cohort/v1/admin.proto

import type { SiteInfo as _cohort_v1_SiteInfo, SiteInfo__Output as _cohort_v1_SiteInfo__Output } from '../../cohort/v1/SiteInfo.ts';

export interface ListSitesResponse {
  'sites'?: (_cohort_v1_SiteInfo)[];
}

export interface ListSitesResponse__Output {
  'sites': (_cohort_v1_SiteInfo__Output)[];
}
