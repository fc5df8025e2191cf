import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/**
 * Errors of the DICOM area: de-identification by PS3.15 Annex E (core/dicom) and
 * `cohort dicom deid`. The skip codes (NOT_DICOM to NO_PATIENT_ID, and DUPLICATE_INSTANCE) are reasons a file is
 * left out of a de-identified set, reported per file; the run goes on. Messages and
 * details name the file and the attribute tag, never an attribute's value.
 */
export const DicomErrors = defineErrors({
  NOT_DICOM: {
    code: 'COHORT_E_DICOM_NOT_DICOM',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'The file is not a DICOM Part 10 file: it has no 128-byte preamble followed by "DICM".',
    fix: 'Export the images as DICOM Part 10 files (with file meta information); other files in the input directory are skipped and can be left there.',
  },
  TRUNCATED: {
    code: 'COHORT_E_DICOM_TRUNCATED',
    grpc: status.DATA_LOSS,
    meaning: 'The DICOM file ends inside an attribute: an element, item or sequence declares more bytes than the file holds.',
    fix: 'The file was cut during a copy or transfer; export it again from the PACS.',
  },
  MALFORMED: {
    code: 'COHORT_E_DICOM_MALFORMED',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'The DICOM file cannot be parsed (bad file meta information, an unreadable element, or no SOP Instance UID).',
    fix: 'Check the file with a DICOM validator (dciodvfy, dcmdump); export it again from the PACS.',
  },
  TRANSFER_SYNTAX_UNSUPPORTED: {
    code: 'COHORT_E_DICOM_TRANSFER_SYNTAX_UNSUPPORTED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The file is encoded in a transfer syntax other than Implicit VR Little Endian or Explicit VR Little Endian (compressed, deflated or big endian).',
    fix: 'Transcode it to Explicit VR Little Endian first (e.g. dcmdjpeg, dcmdrle or gdcmconv --raw), then de-identify.',
  },
  BURNED_IN_ANNOTATION: {
    code: 'COHORT_E_DICOM_BURNED_IN_ANNOTATION',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The file declares Burned In Annotation (0028,0301) = YES: its pixels may show identifying text, which header de-identification cannot remove.',
    fix: 'Leave such images out, or clean their pixels with a reviewed tool and set Burned In Annotation to NO before de-identifying.',
  },
  SECONDARY_CAPTURE_UNDECLARED: {
    code: 'COHORT_E_DICOM_SECONDARY_CAPTURE_UNDECLARED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The file is a secondary capture (SOP Class 1.2.840.10008.5.1.4.1.1.7 or .7.x) without Burned In Annotation (0028,0301): a screenshot or scan may show identifying text.',
    fix: 'Check the image; if it carries no identifying text, set Burned In Annotation to NO and de-identify again.',
  },
  RECOGNIZABLE_VISUAL_FEATURES: {
    code: 'COHORT_E_DICOM_RECOGNIZABLE_VISUAL_FEATURES',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The file declares Recognizable Visual Features (0028,0302) = YES: its pixels may show the patient recognizably (a face, a photograph, a surface rendering), which header de-identification cannot remove.',
    fix: 'Leave such images out, or deface them with a reviewed tool and set Recognizable Visual Features to NO before de-identifying.',
  },
  NO_PATIENT_ID: {
    code: 'COHORT_E_DICOM_NO_PATIENT_ID',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The Retain Longitudinal Temporal Information option is on, but the file has no Patient ID (0010,0020), so no per-patient date shift can be derived.',
    fix: 'Export the file with its Patient ID, or de-identify without --retain-dates.',
  },
  SECRET_REQUIRED: {
    code: 'COHORT_E_DICOM_SECRET_REQUIRED',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'De-identification needs the site secret that keys the UID replacement and the date shift, and none was given: there is no default secret.',
    fix: 'Create one once per site (`openssl rand -hex 32 > dicom-secret`, readable only by the site service) and pass it with --secret-file.',
  },
  SECRET_INVALID: {
    code: 'COHORT_E_DICOM_SECRET_INVALID',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'The site secret file cannot be read, or holds fewer than 32 bytes.',
    fix: 'Pass a readable file of at least 32 bytes (e.g. `openssl rand -hex 32`); keep using the same file so UIDs and date shifts stay consistent.',
  },
  INPUT_UNREADABLE: {
    code: 'COHORT_E_DICOM_INPUT_UNREADABLE',
    grpc: status.NOT_FOUND,
    meaning: 'The input directory does not exist or is not a directory, or a file in it cannot be read.',
    fix: 'Pass an existing directory of DICOM files readable by the user running the command.',
  },
  OUTPUT_INSIDE_INPUT: {
    code: 'COHORT_E_DICOM_OUTPUT_INSIDE_INPUT',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'The output directory is the input directory, lies inside it, or contains it: de-identification never writes into the directory of the originals.',
    fix: 'Choose an output directory outside the input directory.',
  },
  DUPLICATE_INSTANCE: {
    code: 'COHORT_E_DICOM_DUPLICATE_INSTANCE',
    grpc: status.ALREADY_EXISTS,
    meaning: 'Another file of the same run has the same SOP Instance UID, so both would be written to the same output file.',
    fix: 'Remove the duplicate copy from the input directory; the first one read was written.',
  },
  PIXEL_DATA_UNSUPPORTED: {
    code: 'COHORT_E_DICOM_PIXEL_DATA_UNSUPPORTED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The pixel data cannot be decoded: it is missing, encapsulated, of a Bits Allocated other than 8, 16 or 32, or shorter than Rows x Columns x Samples x Frames says.',
    fix: 'Transcode the file to an uncompressed transfer syntax, or check its image pixel module attributes with a DICOM validator.',
  },
});
