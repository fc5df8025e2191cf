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

export const DatasetMappingSchema = z
  .object({
    /** Path of the CSV extract (the config loader resolves it against the config file). */
    path: z.string().min(1),
    /** Spec name -> local column name. Only the entries a spec needs are ever read. */
    columns: z.record(z.string().min(1), z.string().min(1)),
    /** An explicit train/test split column; without it the split is seeded from the spec. */
    split: SplitColumnSchema.optional(),
  })
  .strict();

export type DatasetMapping = z.output<typeof DatasetMappingSchema>;
export type SplitColumn = z.output<typeof SplitColumnSchema>;
