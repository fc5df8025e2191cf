/**
 * The part of dcmjs 0.52 that core/dicom uses; dcmjs ships no type declarations.
 * A dataset maps an 8-hex-digit tag ("00100010") to its element; sequence items are datasets.
 */
declare module 'dcmjs' {
  export interface DcmElement {
    vr: string;
    Value?: unknown[];
    _rawValue?: unknown;
  }
  export type DcmDataset = Record<string, DcmElement>;
  export class DicomDict {
    constructor(meta: DcmDataset);
    meta: DcmDataset;
    dict: DcmDataset;
    write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
  }
  export interface ReadOptions {
    ignoreErrors?: boolean;
    untilTag?: string | null;
    includeUntilTagValue?: boolean;
    noCopy?: boolean;
    forceStoreRaw?: boolean;
  }
  interface Logger {
    setLevel(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'): void;
  }
  interface Dcmjs {
    data: {
      DicomDict: typeof DicomDict;
      DicomMessage: { readFile(buffer: ArrayBuffer, options?: ReadOptions): DicomDict };
    };
    log: Logger & { getLogger(name: string): Logger };
  }
  const dcmjs: Dcmjs;
  export default dcmjs;
}
