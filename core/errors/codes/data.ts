import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/**
 * Errors of the data area: reading a site's local extract, encoding it against a spec, and
 * the PHI guard. Messages and details name the file, the column and the 1-based line,
 * never a cell's value: a value can be patient data.
 */
export const DataErrors = defineErrors({
  MAPPING_INCOMPLETE: {
    code: 'COHORT_E_DATA_MAPPING_INCOMPLETE',
    grpc: status.INVALID_ARGUMENT,
    meaning: "The site's dataset mapping gives no local column for a feature or the label the spec needs.",
    fix: 'Add each listed spec name to `dataset.columns` in the site config, mapped to the local column that holds it.',
  },
  COLUMN_MISSING: {
    code: 'COHORT_E_DATA_COLUMN_MISSING',
    grpc: status.FAILED_PRECONDITION,
    meaning: "A local column named in the site's dataset mapping is not in the CSV file's header.",
    fix: 'Correct the mapping (names are matched exactly, after trimming spaces) or re-export the extract with the listed columns.',
  },
  COLUMN_AMBIGUOUS: {
    code: 'COHORT_E_DATA_COLUMN_AMBIGUOUS',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'A mapped local column appears more than once in the CSV header, so the agent cannot tell which one to read.',
    fix: 'Rename or remove the duplicate header in the extract.',
  },
  NOT_NUMERIC: {
    code: 'COHORT_E_DATA_NOT_NUMERIC',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'A cell of a numeric feature is not a decimal number (the value itself is not reported: it may be patient data).',
    fix: 'Fix the cell at the reported line and column, or map the feature to a numeric column; missing values may be left empty or written ? or NA.',
  },
  UNKNOWN_CATEGORY: {
    code: 'COHORT_E_DATA_UNKNOWN_CATEGORY',
    grpc: status.FAILED_PRECONDITION,
    meaning: "A cell of a categorical feature holds a level that is not in the spec's category list.",
    fix: "Recode the column to the spec's levels (listed in the error) before the run; the value is not reported because it may be patient data.",
  },
  SPLIT_VALUE_UNKNOWN: {
    code: 'COHORT_E_DATA_SPLIT_VALUE_UNKNOWN',
    grpc: status.FAILED_PRECONDITION,
    meaning: "A cell of the mapping's split column is neither its train value nor its test value.",
    fix: 'Set every cell of the split column to one of the two configured values, or drop `dataset.split` to use the seeded split.',
  },
  CSV_MALFORMED: {
    code: 'COHORT_E_DATA_CSV_MALFORMED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The extract is not well-formed CSV (unbalanced quotes, a line with the wrong number of fields, ...).',
    fix: 'Fix the file at the reported line; the reason names the CSV rule that was broken.',
  },
  FILE_UNREADABLE: {
    code: 'COHORT_E_DATA_FILE_UNREADABLE',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The extract exists but cannot be read (permissions, a directory, an I/O error).',
    fix: 'Give the site agent user read access to the file and check the path points at a file.',
  },
  NOT_CSV: {
    code: 'COHORT_E_DATA_NOT_CSV',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The file is not CSV text: its start holds NUL bytes or is not UTF-8 (an image, a spreadsheet, a PDF, a compressed file).',
    fix: 'Export the extract as comma-separated UTF-8 text with a header line (from a spreadsheet: "Save as CSV UTF-8").',
  },
  HEADER_IS_DATA: {
    code: 'COHORT_E_DATA_HEADER_IS_DATA',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The first line of the extract looks like a patient row, not a header: a cell of it is a number, a date or another identifier shape. Column names are shown and logged as they are, so the line is refused and only its column positions are named.',
    fix: 'Export the extract with a header line naming the columns (the first line of the file).',
  },
  EMPTY: {
    code: 'COHORT_E_DATA_EMPTY',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The extract, or its training or test split, holds no usable row after rows with missing values were dropped.',
    fix: 'Check the extract and its missing values; a split needs at least one row on each side.',
  },
  PHI_COLUMN: {
    code: 'COHORT_E_DATA_PHI_COLUMN',
    grpc: status.PERMISSION_DENIED,
    meaning: 'A column mapped to a spec feature or label looks like a HIPAA Safe Harbor identifier, by its name or by its content.',
    fix: "Map the feature to a de-identified column, or, if the column is not an identifier, name it in the site policy's PHI allow-list.",
  },
  IMAGE_IN_TABLE: {
    code: 'COHORT_E_DATA_IMAGE_IN_TABLE',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The spec has an image feature (the cnn family) but the site maps its dataset to a table: a CSV cell cannot hold an image.',
    fix: 'Map the dataset to an imaging extract, or use a spec with numeric and categorical features for a table.',
  },
  IMAGE_SHAPE: {
    code: 'COHORT_E_DATA_IMAGE_SHAPE',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'A DICOM image of an imaging dataset is not of the spec\'s height, width and channels (or has several frames), so it is left out; or the spec reading an imaging dataset has no image feature.',
    fix: 'Resample the studies to the spec\'s size before they join, or change the image feature\'s height, width and channels.',
  },
  IMAGE_UNLABELED: {
    code: 'COHORT_E_DATA_IMAGE_UNLABELED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'A DICOM file\'s study (or series) has no row in the dataset\'s labels file, so it is left out of training.',
    fix: 'Add its Study (or Series) Instance UID and label to the labels CSV, or leave it out on purpose.',
  },
  IMAGE_UNREADABLE: {
    code: 'COHORT_E_DATA_IMAGE_UNREADABLE',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'A file of an imaging dataset, or its sealed cache entry, cannot be read or written (the operating system\'s error code is given, never the path: file names can carry patient names), so it is left out; or the dataset directory cannot be listed.',
    fix: 'Check the dataset directory, its files\' permissions and size (at most 2 GiB), and the site\'s imaging-cache directory.',
  },
});
