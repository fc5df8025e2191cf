/**
 * The two keyed derivations of de-identification, both from one site secret:
 * replacement UIDs (the same original UID gives the same new UID in every file and
 * every run of the site) and per-patient date shifts. Without the secret neither can
 * be recomputed, so nobody outside the site can test a guessed original UID or date
 * against the output.
 */
import { createHmac, hkdfSync } from 'node:crypto';

/** Offsets are whole days in [-DATE_SHIFT_MAX_DAYS, -1]: always into the past, never zero. */
export const DATE_SHIFT_MAX_DAYS = 3650;
/** Secrets shorter than this are refused: 32 bytes is 256 bits from `openssl rand`, or 128 from its hex. */
export const MIN_SECRET_BYTES = 32;

const SALT = Buffer.from('cohort/dicom-deid/v1');

export interface DeidKeys {
  /** `2.25.` followed by the decimal HMAC-SHA256 of the UID (padding stripped, uidText), truncated to 128 bits (PS3.5 B.2). */
  uid(original: string): string;
  /** Whole days to add to every date of the patient with this Patient ID. */
  dateShiftDays(patientId: string): number;
}

/**
 * A UID value as it is hashed and compared: without the NUL or space padding a writer may
 * put at either end (PS3.5 pads UI with a trailing NUL; dcmjs and other parsers differ on
 * what they strip). Every path that derives a new UID or reads a UID goes through this, so
 * a padded and an unpadded copy of one UID map to the same new UID.
 */
export function uidText(value: string): string {
  return value.replace(/^[\0 ]+|[\0 ]+$/g, '');
}

function subkey(secret: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, info, 32));
}

/** Derives the UID and date-shift keys from the site secret (HKDF-SHA256, one subkey each). */
export function deidKeys(secret: Uint8Array): DeidKeys {
  if (secret.length < MIN_SECRET_BYTES) throw new RangeError(`the site secret must hold at least ${MIN_SECRET_BYTES} bytes, got ${secret.length}`);
  const uidKey = subkey(secret, 'uid');
  const dateKey = subkey(secret, 'date-shift');
  const uids = new Map<string, string>();
  return {
    uid(value: string): string {
      const original = uidText(value);
      let out = uids.get(original);
      if (out === undefined) {
        const mac = createHmac('sha256', uidKey).update(original, 'ascii').digest();
        out = `2.25.${BigInt(`0x${mac.subarray(0, 16).toString('hex')}`).toString(10)}`;
        uids.set(original, out);
      }
      return out;
    },
    dateShiftDays(patientId: string): number {
      const mac = createHmac('sha256', dateKey).update(patientId, 'utf8').digest();
      return -(1 + Number(mac.readBigUInt64BE(0) % BigInt(DATE_SHIFT_MAX_DAYS)));
    },
  };
}

const DAY_MS = 86_400_000;

/** Shifts a DA value (YYYYMMDD) by whole days; undefined when it is not a full, real date. */
export function shiftDate(da: string, days: number): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da);
  if (m === null) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  const s = new Date(t + days * DAY_MS);
  const year = s.getUTCFullYear();
  if (year < 1 || year > 9999) return undefined;
  return `${String(year).padStart(4, '0')}${String(s.getUTCMonth() + 1).padStart(2, '0')}${String(s.getUTCDate()).padStart(2, '0')}`;
}

/**
 * Shifts a DT value (YYYYMMDD[HHMMSS[.FFFFFF]][&ZZXX]) by whole days, keeping the time of
 * day and dropping the UTC offset (the Basic Profile removes Timezone Offset From UTC too);
 * undefined when it carries less than a full date.
 */
export function shiftDateTime(dt: string, days: number): string | undefined {
  const m = /^(\d{8})(\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,6})?)?)?)?(?:[+-]\d{4})?$/.exec(dt);
  if (m === null) return undefined;
  const date = shiftDate(m[1]!, days);
  return date === undefined ? undefined : `${date}${m[2] ?? ''}`;
}
