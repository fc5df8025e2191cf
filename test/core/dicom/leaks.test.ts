/**
 * The leaks of the fourth privacy review, each planted for real: the value is shown in
 * the input bytes, then absent from the output bytes and from what dicom-parser reads back.
 * A wrong file meta group length; attributes Table E.1-1 does not list, by VR; group 0002,
 * 0004 and 0000 elements inside the data set; overlays in the pixel data's unused bits and
 * in group 60xx; Recognizable Visual Features; dcmjs's error text; padded UIDs.
 */
import { createRequire } from 'node:module';
import dcmjs from 'dcmjs';
import { describe, expect, it, vi } from 'vitest';
import { defaultActionTable } from '../../../core/dicom/action-table.ts';
import { DICOM_UID_ROOT, KEPT_TEXT_ATTRIBUTES, deidentifyDicom, type DeidOptions } from '../../../core/dicom/deidentify.ts';
import { deidKeys } from '../../../core/dicom/keyed-derivation.ts';
import { decodePixelData } from '../../../core/dicom/pixel-data.ts';
import { DicomErrors } from '../../../core/errors/index.ts';
import { CT_IMAGE, EXPLICIT, IMPLICIT, SECRET, bytesContain, dataset, makeFile, planted, writePart10 } from './fixture.ts';
import { item, parse, presence, x } from './second-parser.ts';
import { caughtSync } from '../../support/caught.ts';

const keys = deidKeys(SECRET);
const deid = (bytes: Uint8Array, opts: Partial<DeidOptions> = {}): Uint8Array => deidentifyDicom(bytes, { keys, ...opts }, 'case.dcm').bytes;
const s = (vr: string, ...values: unknown[]): { vr: string; Value: unknown[] } => ({ vr, Value: values });
const pn = (name: string): { vr: string; Value: unknown[] } => ({ vr: 'PN', Value: [{ Alphabetic: name }] });
const dictionary = (createRequire(import.meta.url)('dcmjs') as { data: { DicomMetaDictionary: { dictionary: Record<string, { vr: string } | undefined> } } }).data
  .DicomMetaDictionary.dictionary;
const vrOf = (tag: string): string | undefined => dictionary[`(${tag.slice(0, 4)},${tag.slice(4)})`]?.vr;

/** Offset of the (0002,0000) element and of the first data set element. */
function metaBounds(f: Buffer): { groupLengthAt: number; end: number } {
  const view = new DataView(f.buffer, f.byteOffset, f.byteLength);
  let pos = 132;
  while (view.getUint16(pos, true) === 2) {
    const vr = f.toString('latin1', pos + 4, pos + 6);
    const long = ['OB', 'OW', 'SQ', 'UN', 'UT', 'UC', 'UR'].includes(vr);
    pos += (long ? 12 : 8) + (long ? view.getUint32(pos + 8, true) : view.getUint16(pos + 6, true));
  }
  return { groupLengthAt: 132, end: pos };
}

describe('finding 1: the file meta group length', () => {
  const META_VALUES = ['SRCAE-SMITH', 'PRIVINFO-MRN-12345', '1.2.3.4.5.6789', '1.2.826.0.1.3680043.2.1125.9.99'];
  const withMeta = (): Buffer =>
    writePart10(dataset(planted()), EXPLICIT, {
      '00020016': s('AE', 'SRCAE-SMITH'),
      '00020100': s('UI', '1.2.3.4.5.6789'),
      '00020102': s('OB', new Uint8Array(Buffer.from('PRIVINFO-MRN-12345')).buffer),
    });

  it('writes none of the meta values when the group length is right', () => {
    const f = withMeta();
    for (const v of META_VALUES) expect(bytesContain(f, v)).toBe(true);
    const out = deid(f);
    for (const v of META_VALUES) expect(bytesContain(out, v)).toBe(false);
    const ds = parse(out);
    expect(Object.keys(ds.elements).filter((t) => t.startsWith('x0002')).sort()).toEqual(['x00020000', 'x00020001', 'x00020002', 'x00020003', 'x00020010', 'x00020012', 'x00020013']);
  });

  it.each([
    ['too short (dcmjs would read Source AE Title and Private Information as the data set)', (real: number, end: number) => real - (end - 132 - 12 - real) - 60],
    ['too long (dcmjs would read data set elements as meta)', (real: number) => real + 10],
    ['off by one', (real: number) => real - 1],
  ])('refuses the file as MALFORMED when it is %s', (_what, wrong) => {
    const f = withMeta();
    const { groupLengthAt, end } = metaBounds(f);
    const real = f.readUInt32LE(groupLengthAt + 8);
    expect(real).toBe(end - groupLengthAt - 12);
    const bad = Math.max(1, wrong(real, end));
    f.writeUInt32LE(bad, groupLengthAt + 8);
    const e = caughtSync(() => deid(f));
    expect(e.code).toBe(DicomErrors.MALFORMED.code);
    expect(e.message).toBe(`case.dcm: the file meta group length (0002,0000) says ${bad} bytes, group 0002 holds ${real}`);
  });

  it('refuses the 120-instead-of-228 case the review reproduced', () => {
    const f = withMeta();
    const { groupLengthAt } = metaBounds(f);
    const real = f.readUInt32LE(groupLengthAt + 8);
    // (0002,0012) onwards outside the declared group: what dcmjs read as the data set.
    f.writeUInt32LE(real - 108, groupLengthAt + 8);
    expect(caughtSync(() => deid(f)).code).toBe(DicomErrors.MALFORMED.code);
  });

  it('removes command (0000), file meta (0002) and directory (0004) elements from the data set and its items', () => {
    const p = planted();
    const ds = dataset(p);
    ds['00001000'] = s('UI', '1.2.826.0.1.3680043.2.1125.9.777');
    ds['00041500'] = s('CS', 'SMITHJ', 'IMG1');
    const proc = ds['00081032']!.Value![0] as Record<string, unknown>;
    proc['00020016'] = s('AE', 'ITEMAE-SMITH');
    proc['00020100'] = s('UI', '1.2.826.0.1.3680043.2.1125.9.778');
    proc['00041130'] = s('CS', 'FILESETSMITH');
    const f = writePart10(ds);
    const planted0 = ['1.2.826.0.1.3680043.2.1125.9.777', 'SMITHJ', 'ITEMAE-SMITH', '1.2.826.0.1.3680043.2.1125.9.778', 'FILESETSMITH'];
    for (const v of planted0) expect(bytesContain(f, v)).toBe(true);
    const inParsed = parse(f);
    expect(presence(inParsed, '00041500')).not.toBe('absent');
    expect(presence(item(inParsed, '00081032'), '00020016')).not.toBe('absent');
    const out = deid(f);
    for (const v of planted0) expect(bytesContain(out, v)).toBe(false);
    const o = parse(out);
    for (const tag of ['00001000', '00041500']) expect(presence(o, tag)).toBe('absent');
    for (const tag of ['00020016', '00020100', '00041130']) expect(presence(item(o, '00081032'), tag)).toBe('absent');
  });
});

describe('finding 2: attributes Table E.1-1 does not list get a default by VR', () => {
  const p = planted();
  const UNLISTED_UID = `${p.sopUid}.77`;
  const RETRIEVE_URL = `https://pacs.sainthyp.org/wado/studies/${p.studyUid}?patient=${p.patientId}`;
  /** tag, VR in the dictionary, planted element, searchable text, what the rule gives without and with --retain-dates. */
  const CASES: [string, string, { vr: string; Value: unknown[] }, string, string, string][] = [
    ['00200242', 'UI', s('UI', UNLISTED_UID), UNLISTED_UID, 'uid', 'uid'], // SOP Instance UID of Concatenation Source
    ['00081167', 'UI', s('UI', '1.2.826.0.1.3680043.2.1125.9.65.41'), '1.2.826.0.1.3680043.2.1125.9.65.41', 'uid', 'uid'], // Multi-frame Source SOP Instance UID
    ['00081190', 'UR', s('UR', RETRIEVE_URL), 'pacs.sainthyp.org', 'absent', 'absent'], // Retrieve URL
    ['00140104', 'PN', pn('REVIEWER^SECONDARY'), 'REVIEWER^SECONDARY', 'absent', 'absent'], // Secondary Reviewer Name
    ['0008041F', 'DT', s('DT', '20230415120000'), '20230415120000', 'absent', 'shifted'], // Study Update DateTime
    ['00140102', 'DA', s('DA', '20230419'), '20230419', 'absent', 'shifted'], // Secondary Review Date
    ['00140103', 'TM', s('TM', '134501'), '134501', 'absent', 'kept'], // Secondary Review Time
    ['00420010', 'ST', s('ST', 'Report for ZEBRAFISH QUENTIN'), 'Report for ZEBRAFISH', 'absent', 'absent'], // Document Title
    ['00400556', 'ST', s('ST', 'Patient Mrs Brightwater sedated'), 'Mrs Brightwater', 'absent', 'absent'], // Acquisition Context Description
    ['00620020', 'UT', s('UT', 'TRACK-MRN-77319A'), 'TRACK-MRN-77319A', 'absent', 'absent'], // Tracking ID
    ['0040A160', 'UT', s('UT', 'Seen by Dr Brightwater on Tuesday'), 'Seen by Dr', 'absent', 'absent'], // Text Value, outside a Content Sequence
    ['00180022', 'CS', s('CS', 'HELICAL_CT'), 'HELICAL_CT', 'kept', 'kept'], // Scan Options: a code string, kept
    ['00080108', 'LT', s('LT', 'Extended meaning naming Brightwater'), 'Extended meaning', 'absent', 'absent'], // Extended Code Meaning
    ['00100212', 'UC', s('UC', 'Strain of Brightwater Farm'), 'Strain of Brightwater', 'absent', 'absent'], // Strain Description
    ['00080401', 'LT', s('LT', 'Inventory for ward 7 Smith'), 'ward 7 Smith', 'absent', 'absent'], // Inventory Purpose
    ['00181210', 'SH', s('SH', 'BONEPLUS'), 'BONEPLUS', 'kept', 'kept'], // Convolution Kernel: on the kept list
    ['00081090', 'LO', s('LO', 'Scanomatic 9000'), 'Scanomatic 9000', 'kept', 'kept'], // Manufacturer's Model Name: on the kept list
  ];
  const extra: Record<string, { vr: string; Value: unknown[] }> = Object.fromEntries(CASES.map(([tag, , el]) => [tag, el]));
  // A sequence the table does not list, whose item holds a URL and a name the table does not list either.
  extra['00081115'] = { vr: 'SQ', Value: [{ '0020000E': s('UI', p.seriesUid), '00081190': s('UR', `https://pacs.sainthyp.org/x/${p.seriesUid}`), '00140104': pn('NESTED^REVIEWER') }] };
  const input = makeFile({ p, extra });

  it('plants only attributes the table does not list, each with its dictionary VR, and finds each value in the input', () => {
    for (const [tag, vr, , text] of CASES) {
      expect(defaultActionTable().lookup(tag), tag).toBeUndefined();
      expect(vrOf(tag), tag).toBe(vr);
      expect(bytesContain(input, text), tag).toBe(true);
    }
    expect(defaultActionTable().lookup('00081115')).toBeUndefined();
    expect(bytesContain(input, 'NESTED^REVIEWER')).toBe(true);
  });

  for (const ts of [EXPLICIT, IMPLICIT]) {
    for (const retainDates of [false, true]) {
      it(`applies the rule of each VR (${ts}, retainDates ${retainDates})`, () => {
        const f = makeFile({ p, extra, transferSyntax: ts });
        const out = deid(f, { retainDates });
        const ds = parse(out);
        const shift = keys.dateShiftDays(p.patientId);
        for (const [tag, , el, text, basic, dates] of CASES) {
          const rule = retainDates ? dates : basic;
          const got = ds.string(x(tag));
          if (rule === 'absent') expect(presence(ds, tag), tag).toBe('absent');
          if (rule === 'uid') expect(got, tag).toBe(keys.uid(String(el.Value[0])));
          if (rule === 'kept') expect(got, tag).toBe(String(el.Value[0]));
          if (rule === 'shifted') {
            const v = String(el.Value[0]);
            const d = new Date(Date.UTC(+v.slice(0, 4), +v.slice(4, 6) - 1, +v.slice(6, 8)) + shift * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
            expect(got, tag).toBe(d + v.slice(8));
          }
          if (rule !== 'kept') expect(bytesContain(out, text), tag).toBe(false);
        }
        for (const v of ['pacs.sainthyp.org', p.patientId, p.studyUid, p.seriesUid, 'NESTED^REVIEWER']) expect(bytesContain(out, v), v).toBe(false);
        const nested = item(ds, '00081115');
        expect(nested.string(x('0020000E'))).toBe(keys.uid(p.seriesUid));
        expect(presence(nested, '00081190')).toBe('absent');
        expect(presence(nested, '00140104')).toBe('absent');
      });
    }
  }

  it('keeps UIDs under the DICOM root (SOP classes, coding schemes) and replaces others, in the data set and the meta', () => {
    const privateClass = '1.2.840.113619.4.2';
    const f = makeFile({ p, sopClass: privateClass, extra: { '00080016': s('UI', privateClass), '00081150': s('UI', CT_IMAGE), '0008010C': s('UI', '1.2.840.10008.2.16.4') } });
    expect(bytesContain(f, privateClass)).toBe(true);
    const out = deid(f);
    const ds = parse(out);
    expect(bytesContain(out, privateClass)).toBe(false);
    expect(ds.string(x('00080016'))).toBe(keys.uid(privateClass));
    expect(ds.string(x('00020002'))).toBe(keys.uid(privateClass));
    expect(ds.string(x('00081150'))).toBe(CT_IMAGE);
    expect(ds.string(x('0008010C'))).toBe('1.2.840.10008.2.16.4'); // Coding Scheme UID of DCM
    const ct = parse(deid(makeFile({ p })));
    expect(ct.string(x('00080016'))).toBe(CT_IMAGE);
    expect(ct.string(x('00020002'))).toBe(CT_IMAGE);
    expect(CT_IMAGE.startsWith(DICOM_UID_ROOT)).toBe(true);
  });

  it('keeps only text attributes on the short list, none of which the table lists, each of a text VR', () => {
    for (const tag of KEPT_TEXT_ATTRIBUTES.keys()) {
      expect(defaultActionTable().lookup(tag), tag).toBeUndefined();
      expect(['LO', 'SH', 'ST', 'LT', 'UT', 'UC'], tag).toContain(vrOf(tag));
    }
    expect([...KEPT_TEXT_ATTRIBUTES.keys()]).toHaveLength(8);
  });
});

describe('finding 5: overlays', () => {
  it('zeroes the bits above High Bit and below the lowest stored bit of every pixel, leaving the stored values', () => {
    // 12 bits stored at High Bit 13: bits 0-1 and 14-15 are unused and carry overlay planes here.
    const stored = [5, 4095, 0, 1234, 77, 2048, 9, 3000, 1, 2, 3, 4];
    const words = Uint16Array.from(stored, (v, i) => (v << 2) | (i % 2 === 0 ? 0xc003 : 0x4001));
    const f = makeFile({ extra: { '00280103': s('US', 0), '00280102': s('US', 13), '7FE00010': { vr: 'OW', Value: [words.buffer] } } });
    const inPx = parse(f).elements[x('7FE00010')]!;
    const inWords = new Uint16Array(Uint8Array.from(f.subarray(inPx.dataOffset, inPx.dataOffset + 24)).buffer);
    expect([...inWords].every((w) => (w & 0xc003) !== 0)).toBe(true);
    const out = deid(f);
    const outPx = parse(out).elements[x('7FE00010')]!;
    const outWords = new Uint16Array(Uint8Array.from(out.subarray(outPx.dataOffset, outPx.dataOffset + 24)).buffer);
    expect([...outWords].filter((w) => (w & 0xc003) !== 0)).toEqual([]);
    expect([...outWords].map((w) => w >> 2)).toEqual(stored);
    expect([...decodePixelData(out).data]).toEqual(stored);
  });

  it('zeroes the high bits of 8-bit and 32-bit pixels too', () => {
    const eight = makeFile({ extra: { '00280100': s('US', 8), '00280101': s('US', 6), '00280102': s('US', 5), '00280103': s('US', 0), '7FE00010': { vr: 'OW', Value: [Uint8Array.from({ length: 12 }, (_, i) => 0xc0 | i).buffer] } } });
    const e = parse(deid(eight));
    const ep = e.elements[x('7FE00010')]!;
    expect([...e.byteArray.subarray(ep.dataOffset, ep.dataOffset + 12)]).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const big = makeFile({ extra: { '00280100': s('US', 32), '00280101': s('US', 20), '00280102': s('US', 19), '00280103': s('US', 0), '7FE00010': { vr: 'OW', Value: [Uint32Array.from({ length: 12 }, (_, i) => 0xfff00000 + i).buffer] } } });
    expect([...decodePixelData(deid(big)).data]).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const bigOut = deid(big);
    const raw = parse(bigOut).elements[x('7FE00010')]!;
    expect(bytesContain(big, '\xf0\xff')).toBe(true);
    expect([...new Uint32Array(Uint8Array.from(bigOut.subarray(raw.dataOffset, raw.dataOffset + 48)).buffer)]).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('removes the whole of group 60xx: position, description, label, bit position, data', () => {
    const extra = {
      '60000010': s('US', 3),
      '60000011': s('US', 4),
      '60000022': s('LO', 'OVERLAY-DESC-SMITH'),
      '60001500': s('LO', 'OVERLAY-LABEL-SMITH'),
      '60000102': s('US', 12),
      '60020050': s('SS', 1, 1),
      '60023000': { vr: 'OW', Value: [new Uint8Array(Buffer.from('OVERLAYBITS2')).buffer] },
    };
    const f = makeFile({ extra });
    for (const v of ['OVERLAY-DESC-SMITH', 'OVERLAY-LABEL-SMITH', 'OVERLAYBITS2']) expect(bytesContain(f, v)).toBe(true);
    expect(presence(parse(f), '60000102')).not.toBe('absent');
    const out = deid(f);
    for (const v of ['OVERLAY-DESC-SMITH', 'OVERLAY-LABEL-SMITH', 'OVERLAYBITS2']) expect(bytesContain(out, v)).toBe(false);
    expect(Object.keys(parse(out).elements).filter((t) => t.startsWith('x60'))).toEqual([]);
  });

  it('refuses as MALFORMED a High Bit that does not fit, since it cannot tell which bits are overlays', () => {
    expect(caughtSync(() => deid(makeFile({ extra: { '00280102': s('US', 16) } }))).code).toBe(DicomErrors.MALFORMED.code);
  });
});

describe('finding 6: Recognizable Visual Features', () => {
  it('skips a file with Recognizable Visual Features (0028,0302) YES, in any case and padding, and writes NO', () => {
    for (const v of ['YES', 'yes ']) {
      const e = caughtSync(() => deid(makeFile({ extra: { '00280302': s('CS', v) } })));
      expect(e.code).toBe(DicomErrors.RECOGNIZABLE_VISUAL_FEATURES.code);
      expect(e.message).toBe('case.dcm: Recognizable Visual Features (0028,0302) is YES');
    }
    expect(parse(deid(makeFile({ extra: { '00280302': s('CS', 'NO') } }))).string(x('00280302'))).toBe('NO');
  });
});

describe('finding 7: no dcmjs text in a reason', () => {
  it('gives a fixed reason when dcmjs cannot parse a file the structural check accepts, keeping dcmjs’s text in the cause only', () => {
    // dcmjs's messages can quote what it read; make it throw one that does.
    const spy = vi.spyOn(dcmjs.data.DicomMessage, 'readFile').mockImplementation(() => {
      throw new Error('Invalid value ZEBRAFISH^QUENTINA');
    });
    try {
      const e = caughtSync(() => deid(makeFile()));
      expect(e.code).toBe(DicomErrors.MALFORMED.code);
      expect(e.message).toBe('case.dcm: the file cannot be parsed');
      expect(JSON.stringify(e.details)).not.toContain('ZEBRAFISH');
      expect((e.cause as Error).message).toContain('ZEBRAFISH');
    } finally {
      spy.mockRestore();
    }
  });
});

describe('finding 8: padded UIDs', () => {
  const p = planted();
  it('hashes a UID with or without NUL or space padding, at either end, to the same new UID', () => {
    const u = p.studyUid;
    for (const v of [`${u}\0`, `${u} `, ` ${u}`, `\0${u}\0`]) expect(keys.uid(v)).toBe(keys.uid(u));
  });

  it('gives the same new UID in the U path, the dummy path, the unlisted path and the output name, padded or not', () => {
    const u = p.studyUid;
    const plain = deidentifyDicom(makeFile({ p, extra: { '006A0003': s('UI', u), '00200242': s('UI', u) } }), { keys });
    const padded = deidentifyDicom(makeFile({ p, extra: { '0020000D': s('UI', ` ${u}`), '006A0003': s('UI', ` ${u}`), '00200242': s('UI', ` ${u}`) } }), { keys });
    expect(bytesContain(padded.bytes, u)).toBe(false);
    const a = parse(plain.bytes);
    const b = parse(padded.bytes);
    expect(defaultActionTable().lookup('0020000D')?.basic).toBe('U');
    expect(defaultActionTable().lookup('006A0003')?.basic).toBe('D');
    for (const tag of ['0020000D', '006A0003', '00200242']) {
      expect(a.string(x(tag)), tag).toBe(keys.uid(u));
      expect(b.string(x(tag)), tag).toBe(keys.uid(u));
    }
    expect(padded.studyInstanceUid).toBe(keys.uid(u));
    expect(plain.studyInstanceUid).toBe(keys.uid(u));
  });
});
