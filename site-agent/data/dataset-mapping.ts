/**
 * The `dataset` section of a site config: where the site's extract is and which local
 * column holds each spec name. The site config loader embeds this schema; it lives here
 * because the data area is the one that interprets it.
 */
import { z } from 'zod';

const SplitColumnSchema = z
  .object({
    /** Local column holding each row's split. */
    column: z.string().min(1),
    /** Cell value marking a training row. */
    train: z.string().min(1),
    /** Cell value marking a test row. */
    test: z.string().min(1),
  })
  .strict()
  .refine((s) => s.train !== s.test, { message: 'expected different values for "train" and "test"' });

/** A `dicom` dataset's labels: a CSV mapping the hospital's Study (or Series) Instance UID to the label. */
const ImagingLabelsSchema = z
  .object({
    /** Path of the labels CSV (resolved against the config file). */
    path: z.string().min(1),
    /** Whether a row names a study or a series. */
    key: z.enum(['study', 'series']).default('study'),
    uidColumn: z.string().min(1).default('uid'),
    labelColumn: z.string().min(1).default('label'),
  })
  .strict();

/** De-identification options of a `dicom` dataset (PS3.15 Basic Profile options; docs/dicom-deid.md). */
const ImagingDeidSchema = z
  .object({
    /** Retain Longitudinal Temporal Information with Modified Dates. */
    retainDates: z.boolean().default(false),
    /** Retain Patient Characteristics. */
    retainPatientCharacteristics: z.boolean().default(false),
  })
  .strict();

export const DatasetMappingSchema = z
  .object({
    /** `csv` (when absent): a table; `dicom`: a directory of DICOM files, de-identified at the site before training (imaging-dataset.ts). */
    kind: z.enum(['csv', 'dicom']).optional(),
    /** Path of the CSV extract, or of the DICOM directory (the config loader resolves it against the config file). */
    path: z.string().min(1),
    /** Spec name -> local column name. Only the entries a spec needs are ever read. */
    columns: z.record(z.string().min(1), z.string().min(1)).default({}),
    /** An explicit train/test split column; without it the split is seeded from the spec. */
    split: SplitColumnSchema.optional(),
    /** `dicom` only, and required there. */
    labels: ImagingLabelsSchema.optional(),
    /** `dicom` only. */
    deid: ImagingDeidSchema.optional(),
  })
  .strict()
  .refine((m) => m.kind === 'dicom' || (m.labels === undefined && m.deid === undefined), { message: '"labels" and "deid" belong to a dataset of kind "dicom"' })
  .refine((m) => m.kind !== 'dicom' || (m.labels !== undefined && m.split === undefined), { message: 'a dataset of kind "dicom" needs "labels" (and takes no "split")' });

export type DatasetMapping = z.output<typeof DatasetMappingSchema>;
export type SplitColumn = z.output<typeof SplitColumnSchema>;
