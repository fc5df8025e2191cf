// Original file: protos/cohort/v1/site.proto


export interface KeyRecipient {
  'site'?: (string);
  'announcementJson'?: (string);
  /**
   * Whether a sealed copy of the current key exists for this site.
   */
  'sealed'?: (boolean);
}

export interface KeyRecipient__Output {
  'site': (string);
  'announcementJson': (string);
  /**
   * Whether a sealed copy of the current key exists for this site.
   */
  'sealed': (boolean);
}
