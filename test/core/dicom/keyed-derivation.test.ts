/**
 * The keyed derivations: replacement UIDs as PS3.5 B.2 `2.25.` UIDs from HMAC-SHA256
 * under an HKDF subkey of the site secret, pinned to exact values (they must never change,
 * or a site's UIDs would stop matching across runs), and per-patient whole-day date shifts.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DATE_SHIFT_MAX_DAYS, deidKeys, shiftDate, shiftDateTime } from '../../../core/dicom/keyed-derivation.ts';
import { OTHER_SECRET, SECRET } from './fixture.ts';

const keys = deidKeys(SECRET);
/** Computed once with Cohort's test secret; a change here breaks every site's UID and date continuity. */
const PINNED_1_2_3 = '2.25.167278720550275170942719797226520276015';
const PINNED_SHIFT_MRN7 = -2472;

describe('replacement UIDs', () => {
  it('is 2.25 followed by the decimal of the first 128 bits of HMAC-SHA256(HKDF(secret, "uid"), uid)', () => {
    const subkey = Buffer.from(hkdfSync('sha256', SECRET, Buffer.from('cohort/dicom-deid/v1'), 'uid', 32));
    const mac = createHmac('sha256', subkey).update('1.2.840.113619.2.55.3.1').digest();
    expect(keys.uid('1.2.840.113619.2.55.3.1')).toBe(`2.25.${BigInt(`0x${mac.subarray(0, 16).toString('hex')}`)}`);
  });

  it('gives the same UID in every run: pinned values', () => {
    expect(deidKeys(SECRET).uid('1.2.840.113619.2.55.3.1')).toBe(keys.uid('1.2.840.113619.2.55.3.1'));
    expect(keys.uid('1.2.3')).toBe(PINNED_1_2_3);
  });

  it('gives other UIDs under another secret, and distinct UIDs for distinct inputs', () => {
    const other = deidKeys(OTHER_SECRET);
    const inputs = Array.from({ length: 2000 }, (_, i) => `1.2.826.0.1.3680043.8.498.${i}`);
    const mine = inputs.map((u) => keys.uid(u));
    expect(new Set(mine).size).toBe(2000);
    expect(inputs.filter((u) => other.uid(u) === keys.uid(u))).toEqual([]);
    for (const u of mine) {
      expect(u).toMatch(/^2\.25\.(0|[1-9]\d*)$/);
      expect(BigInt(u.slice(5)) < 2n ** 128n).toBe(true);
      expect(u.length).toBeLessThanOrEqual(64);
    }
    expect(mine.some((u) => u.length === 44)).toBe(true); // 39 digits: the full 128-bit range is used
  });

  it('refuses a secret shorter than 32 bytes', () => {
    expect(() => deidKeys(Buffer.alloc(31, 1))).toThrow('the site secret must hold at least 32 bytes, got 31');
  });
});

describe('date shifts', () => {
  it('is a whole number of days in [-3650, -1], the same for one patient, spread over the range', () => {
    const shifts = Array.from({ length: 3000 }, (_, i) => keys.dateShiftDays(`MRN${i}`));
    for (const s of shifts) {
      expect(Number.isInteger(s)).toBe(true);
      expect(s).toBeGreaterThanOrEqual(-DATE_SHIFT_MAX_DAYS);
      expect(s).toBeLessThanOrEqual(-1);
    }
    expect(Math.min(...shifts)).toBeLessThan(-3600);
    expect(Math.max(...shifts)).toBeGreaterThan(-50);
    expect(deidKeys(SECRET).dateShiftDays('MRN7')).toBe(shifts[7]);
    expect(keys.dateShiftDays('MRN7')).toBe(PINNED_SHIFT_MRN7);
    const other = deidKeys(OTHER_SECRET);
    expect(shifts.filter((s, i) => other.dateShiftDays(`MRN${i}`) === s).length).toBeLessThan(10);
  });

  it('shifts DA values across month, leap-day and year ends', () => {
    expect(shiftDate('20240301', -1)).toBe('20240229');
    expect(shiftDate('20230301', -1)).toBe('20230228');
    expect(shiftDate('20240229', -366)).toBe('20230228');
    expect(shiftDate('20000101', -1)).toBe('19991231');
    expect(shiftDate('19000101', -3650)).toBe('18900103');
  });

  it('refuses what is not a full real date', () => {
    for (const bad of ['20230230', '20231301', '2023', '202304', '2023-04-18', '', '20230418-20230419']) expect(shiftDate(bad, -1)).toBeUndefined();
  });

  it('shifts DT values, keeping the time of day and dropping the UTC offset', () => {
    expect(shiftDateTime('20230418103015.123456+0100', -1)).toBe('20230417103015.123456');
    expect(shiftDateTime('20230418', -10)).toBe('20230408');
    expect(shiftDateTime('2023041810', -1)).toBe('2023041710');
    expect(shiftDateTime('2023', -1)).toBeUndefined();
    expect(shiftDateTime('202304181', -1)).toBeUndefined();
  });
});
