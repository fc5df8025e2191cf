import { describe, expect, it } from 'vitest';
import { DataErrors } from '../../../core/errors/index.ts';
import { guardMapping, scanColumn, scanColumnName, scanValues } from '../../../site-agent/data/phi-guard.ts';
import type { ModelSpec } from '../../../models/spec-schema.ts';
import { caught } from './helpers.ts';

describe('scanColumnName', () => {
  it.each([
    ['PATIENT_NAME', ['A']],
    ['lastName', ['A']],
    ['ZIP', ['B']],
    ['home_address', ['B']],
    ['DOB', ['C']],
    ['DateOfBirth', ['C']],
    ['ADMIT_DT', ['C']],
    ['phone_number', ['D']],
    ['FAX', ['E']],
    ['EMAIL_ADDRESS', ['F']],
    ['SSN', ['G']],
    ['MRN', ['H']],
    ['medical_record_no', ['H']],
    ['HealthPlanMemberNo', ['I']],
    ['ACCOUNT_NUMBER', ['J']],
    ['drivers_license', ['K']],
    ['VEHICLE_PLATE', ['L']],
    ['device_serial', ['M']],
    ['homepage_url', ['N']],
    ['client_ip', ['O']],
    ['fingerprint', ['P']],
    ['face_photo', ['Q']],
    ['encounter_id', ['R']],
    ['patient_id', ['H', 'R']],
  ])('flags %s as %j', (name, expected) => {
    expect(scanColumnName(name)).toEqual(expected);
  });

  it.each(['age', 'AGE_YRS', 'sex', 'chol', 'CHOLESTEROL', 'trestbps', 'thalach', 'oldpeak', 'cp', 'restecg', 'MAX_HR', 'ship_count', 'update_flag', 'death', 'wbc_cell_count', 'MR_GRADE', 'year_of_diagnosis'])(
    'passes the clinical column %s',
    (name) => {
      expect(scanColumnName(name)).toEqual([]);
    },
  );
});

describe('scanValues', () => {
  it.each([
    ['a "Last, First" name', ['Testperson, Alex', 'Mockridge, Sam Q.'], ['A']],
    ['5-digit ZIP codes', ['00012', '00098', '00071'], ['B']],
    ['ZIP+4', ['00012-3456'], ['B']],
    ['ISO dates', ['1970-12-04'], ['C']],
    ['US dates', ['12/04/1970'], ['C']],
    ['day-month-name dates', ['04-Dec-1970'], ['C']],
    ['US phone numbers', ['(555) 010-0123', '555-010-0199'], ['D']],
    ['international phone numbers', ['+44 20 7946 0958'], ['D']],
    ['email addresses', ['alex@example.org'], ['F']],
    ['SSNs', ['000-12-3456'], ['G']],
    ['MRNs with a prefix', ['SYN0001234'], ['H']],
    ['long digit runs', ['00012345', '99887766'], ['H']],
    ['URLs', ['https://example.org/patient/1', 'www.example.org'], ['N']],
    ['IPv4 addresses', ['192.0.2.17'], ['O']],
    ['IPv6 addresses', ['2001:db8::1'], ['O']],
  ])('finds %s', (_kind, values, expected) => {
    expect(scanValues(values)).toEqual(expected);
  });

  it('passes ordinary clinical values, categories and missing markers', () => {
    const clinical = ['63', '233', '2.3', '0', '1', '-0.5', '145.0', '?', '', 'NA', 'typical angina', 'male', '1e3', '4.0'];

    expect(scanValues(clinical)).toEqual([]);
  });

  it('flags weak shapes only when they are the norm of the sample', () => {
    expect(scanValues(['12345', '233', '250', '199'])).toEqual([]);
    expect(scanValues(['12345', '23301', '250'])).toEqual(['B']);
  });

  it('rejects impossible dates and IPs', () => {
    expect(scanValues(['2020-13-45', '300.1.1.1'])).toEqual([]);
  });
});

describe('guardMapping', () => {
  const spec: Pick<ModelSpec, 'features' | 'label'> = {
    features: [
      { name: 'age', type: 'numeric', preprocess: 'standardize' },
      { name: 'visits', type: 'numeric', preprocess: 'none' },
    ],
    label: { name: 'disease', type: 'binary', positive: [1] },
  };
  const header = ['MRN', 'PATIENT_NAME', 'AGE_YRS', 'VISITS', 'DX', 'DOB'];
  const sample = { AGE_YRS: ['63', '41'], VISITS: ['2', '5'], DX: ['1', '0'], DOB: ['1961-03-02', '1983-11-30'] };
  const mapping = { path: 'site.csv', columns: { age: 'AGE_YRS', visits: 'VISITS', disease: 'DX' } };

  it('passes clinical columns and reports the identifier columns it will not read', () => {
    const report = guardMapping(spec, mapping, { header, sample }, []);

    expect(report.columns.map((c) => [c.feature, c.column, c.byName, c.byContent, c.allowed])).toEqual([
      ['age', 'AGE_YRS', [], [], false],
      ['visits', 'VISITS', [], [], false],
      ['disease', 'DX', [], [], false],
    ]);
    expect(report.unreadIdentifierColumns).toEqual(['MRN', 'PATIENT_NAME', 'DOB']);
  });

  it('refuses a feature mapped to an identifier column, by name and by content', async () => {
    const wrong = { ...mapping, columns: { ...mapping.columns, age: 'DOB' } };

    const error = await caught(() => guardMapping(spec, wrong, { header, sample }, []));

    expect(error.code).toBe(DataErrors.PHI_COLUMN.code);
    expect(error.details).toEqual({ file: 'site.csv', columns: [{ feature: 'age', column: 'DOB', byName: ['C'], byContent: ['C'] }] });
    expect(error.message).not.toContain('1961');
  });

  it('refuses a spec that asks for an identifier by its own name', async () => {
    const asksForZip = { ...spec, features: [...spec.features, { name: 'zip', type: 'numeric' as const, preprocess: 'none' as const }] };
    const mapped = { ...mapping, columns: { ...mapping.columns, zip: 'AREA' } };

    const error = await caught(() => guardMapping(asksForZip, mapped, { header, sample: { ...sample, AREA: ['1', '2'] } }, []));

    expect(error.details['columns']).toEqual([{ feature: 'zip', column: 'AREA', byName: ['B'], byContent: [] }]);
  });

  it('allows a flagged column that the site policy names', () => {
    const byId = { ...mapping, columns: { ...mapping.columns, visits: 'VISIT_ID' } };

    const report = guardMapping(spec, byId, { header, sample: { ...sample, VISIT_ID: ['2', '5'] } }, ['VISIT_ID']);

    expect(report.columns[1]).toEqual({
      feature: 'visits',
      column: 'VISIT_ID',
      byName: ['R'],
      byContent: [],
      reasons: [{ kind: 'R', by: 'name', rule: 'column-name', why: 'the column name has the identifier word "id"' }],
      allowed: true,
    });
  });

  it('a bare allow-list entry never silences a strong shape: an allow-listed column holding an SSN is refused, unless COLUMN:G allows kind G', async () => {
    // The attack: a site allow-lists CHARGES (flagged for 5-digit amounts, B); an SSN in it would then reach training.
    const charges = { ...mapping, columns: { ...mapping.columns, visits: 'CHARGES' } };
    const cells = { ...sample, CHARGES: ['12000', '15000', '900-12-3456'] };

    const bareAmounts = guardMapping(spec, charges, { header, sample: { ...sample, CHARGES: ['12000', '15000', '31000'] } }, ['CHARGES']);
    const error = await caught(() => guardMapping(spec, charges, { header, sample: cells }, ['CHARGES']));
    const onlyB = await caught(() => guardMapping(spec, charges, { header, sample: cells }, ['CHARGES:B']));
    const byKind = guardMapping(spec, charges, { header, sample: cells }, ['CHARGES:B,G']);

    expect(bareAmounts.columns[1]!.allowed).toBe(true);
    expect(error.details['columns']).toEqual([{ feature: 'visits', column: 'CHARGES', byName: [], byContent: ['B', 'G'] }]);
    expect(onlyB.code).toBe(DataErrors.PHI_COLUMN.code);
    expect(byKind.columns[1]!.allowed).toBe(true);
  });

  it('checks the split column too', async () => {
    const withSplit = { ...mapping, split: { column: 'SPLIT_DATE', train: 'a', test: 'b' } };

    const error = await caught(() => guardMapping(spec, withSplit, { header, sample: { ...sample, SPLIT_DATE: ['a'] } }, []));

    expect(error.details['columns']).toEqual([{ feature: 'split', column: 'SPLIT_DATE', byName: ['C'], byContent: [] }]);
  });
});

describe('scanValues: every Safe Harbor kind, in whole cells and inside free text', () => {
  it.each([
    ['A', 'a whole-cell "First Last" from the dictionaries', ['Maria Lopez'], ['A']],
    ['A', 'the same in capitals', ['MARIA LOPEZ'], ['A']],
    ['A', 'a whole-cell name whose first name is an everyday word', ['Mark Johnson'], ['A']],
    ['A', 'a title and a surname no dictionary holds', ['Seen by Dr. Okonkwo-Vale today.'], ['A']],
    ['A', 'a relative named in a note', ['Accompanied by her daughter Zyllia, who drove.'], ['A']],
    ['A', 'a person introduced by "named"', ['Lives with a friend named Quorra.'], ['A']],
    ['A', 'a person given by "name:"', ['Contact name: Ilse'], ['A']],
    ['A', 'a person named without context', ['Spoke with James Miller about discharge.'], ['A']],
    ['B', 'a street address in text', ['Lives at 4410 Cedar Avenue, apt 2.'], ['B']],
    ['B', 'a city, state and ZIP line', ['Springfield, IL 62704'], ['B']],
    ['B', 'a labelled ZIP in text', ['moved, zip 02139 now'], ['B']],
    ['C', 'an admission date-time', ['2024-03-05 14:22'], ['C']],
    ['C', 'a day.month.year date', ['05.03.2024'], ['C']],
    ['C', 'a month and year', ['March 2021'], ['C']],
    ['C', 'a month and day in text', ['Admitted on March 3, stable since.'], ['C']],
    ['C', 'an age over 89 in text', ['A 92-year-old man with falls.'], ['C']],
    ['D', 'a phone number in text', ['Call back at 555-010-0123 after 5.'], ['D']],
    ['E', 'a fax number in text', ['Records sent to fax (555) 010-0144.'], ['E']],
    ['F', 'an email address in text', ['Results sent to ana.k@example.org today.'], ['F']],
    ['G', 'an SSN in text', ['SSN 900-12-3456 on file.'], ['G']],
    ['H', 'an MRN in text', ['Old chart under MRN 12345678.'], ['H']],
    ['I', "CMS's published MBI example", ['1EG4-TE5-MK73'], ['I']],
    ['I', 'a member ID in text', ['Insurance member ID XQZ123456789 verified.'], ['I']],
    ['J', 'the Visa test card number', ['4111 1111 1111 1111'], ['J']],
    ['J', 'the IBAN example of ISO 13616', ['GB82WEST12345698765432'], ['J']],
    ['J', 'an account number in text', ['Billing account #123456789 closed.'], ['J']],
    ['K', 'a licence number in text', ["Driver's license D1234567 copied."], ['K']],
    ['K', 'a DEA number in text', ['Prescriber AB1234563 signed.'], ['K']],
    ['L', 'the VIN example 1M8GDM9AXKP042788', ['1M8GDM9AXKP042788'], ['L']],
    ['L', 'a plate in text', ['Car with license plate TST-1234 in the lot.'], ['L']],
    ['M', 'a GS1 UDI', ['(01)00643169007222(17)160128(21)BLC200461H'], ['M']],
    ['M', 'a MAC address in text', ['Pump 00:1A:2B:3C:4D:5E offline.'], ['M']],
    ['M', 'a serial number in text', ['Pacemaker serial no. PMX123456 checked.'], ['M']],
    ['N', 'a URL in text', ['Photos at https://share.example.org/a1 uploaded.'], ['N']],
    ['O', 'an IP address in text', ['Telehealth from 192.0.2.44 today.'], ['O']],
    ['P', 'a voice-print file', ['voice_000123.wav'], ['P']],
    ['Q', 'a photo file', ['IMG_0012.jpg'], ['Q']],
    ['R', 'a UUID', ['3f2504e0-4f89-41d3-9a0c-0305e82c3301'], ['R']],
    ['R', 'a SHA-256 pseudonym', ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'], ['R']],
  ])('%s: %s', (_kind, _what, values, expected) => {
    expect(scanValues(values)).toEqual(expected);
  });

  it.each([
    ['a DEA column (its shape is also an MRN shape)', ['AB1234563', 'BJ6125341'], ['H', 'K']],
    ['an NPI column, with CMS\'s example 1234567893', ['1234567893', '1245319599'], ['H', 'K']],
    ['an IMEI column, with the example 490154203237518', ['490154203237518'], ['H', 'J', 'M']],
  ])('flags %s', (_what, values, expected) => {
    expect(scanValues(values)).toEqual(expected);
  });

  it('needs the check digit: a card, IBAN and VIN one digit off pass', () => {
    expect(scanValues(['4111 1111 1111 1112'])).toEqual([]);
    expect(scanValues(['GB82WEST12345698765433'])).toEqual([]);
    expect(scanValues(['1M8GDM9AXKP042789'])).toEqual([]);
  });

  it('flags a column of single first names or census surnames only with enough different names', () => {
    const firsts = ['Mary', 'John', 'Linda', 'James', 'Susan', 'Robert', 'Karen', 'David', 'Nancy', 'Paul'];
    expect(scanValues(firsts)).toEqual(['A']);
    expect(scanValues(firsts.slice(0, 9))).toEqual([]);
    const surnames = ['Smith', 'Johnson', 'Williams', 'Jones', 'Brown', 'Davis', 'Miller', 'Wilson', 'Moore', 'Taylor'];
    expect(scanValues([...surnames, 'Anderson', 'Thomas', 'Jackson', 'Martin', 'Lee', 'Thompson', 'Garcia', 'Martinez', 'Robinson', 'Clark'])).toEqual(['A']);
  });

  it('passes clean clinical columns: lab values, ICD-10 codes, years, pressures, categories, body sites, notes', () => {
    const clean = [
      ['104', '98', '131', '250'],
      ['0.82', '1.10', '2.45'],
      ['E11.9', 'I10', 'J45.909', 'Z79.4', 'E119', 'J45909'],
      ['1999', '2014', '2023'],
      ['138/85', '120/80', '145/92'],
      ['White', 'Black', 'Asian', 'Other'],
      ['Knee', 'Shoulder', 'Back', 'Hip', 'Neck', 'Ankle', 'Wrist', 'Foot', 'Hand', 'Spine', 'Eye', 'Chest'],
      ['Metformin', 'Lisinopril', 'Warfarin', 'Aspirin'],
      ['2345-7', '718-7', '4548-4'],
      [
        'Patient reports chest pain on exertion. BP 138/85, HR 72. Continue metformin 500 mg twice daily.',
        'Will Monitor renal function after contrast. Hope to taper prednisone over 2 weeks.',
        'Echo shows EF 55-60%, mild MR. Follow up in 3 months. Mother deceased, father with hx of MI.',
        'Temp Check at 14:30, 37.2 C. A1C 7.2%, LDL 131 mg/dL. Knee pain improving, may need 2 more sessions.',
      ],
    ];
    for (const column of clean) expect([column[0], scanValues(column)]).toEqual([column[0], []]);
  });
});

describe('scanColumn', () => {
  it('flags an age column holding ages of 90 or more, and only then', () => {
    expect(scanColumn('AGE_YRS', ['45', '91', '', '63'])).toEqual({
      suspected: ['C'],
      reasons: [{ kind: 'C', by: 'content', rule: 'age-over-89', why: 'an age column with ages of 90 or more (Safe Harbor allows them only as one category, 90 or older)', cells: 1 }],
    });
    expect(scanColumn('AGE_YRS', ['45', '89', '63'])).toEqual({ suspected: [], reasons: [] });
    // The same values under another name are lab values, not ages; ages in months are not years.
    expect(scanColumn('SODIUM', ['135', '91', '140'])).toEqual({ suspected: [], reasons: [] });
    expect(scanColumn('AGE_MONTHS', ['14', '120', '96'])).toEqual({ suspected: [], reasons: [] });
    expect(scanColumn('PatientAge', ['95'])).toEqual(scanColumn('AGE_YRS', ['95']));
  });

  it('applies the 3-digit ZIP rule: allowed prefixes pass, a restricted one is flagged, 5 digits always', () => {
    expect(scanColumn('ZIP3', ['303', '441', '100'])).toEqual({ suspected: [], reasons: [] });
    expect(scanColumn('ZIP3', ['303', '036', '893'])).toEqual({
      suspected: ['B'],
      reasons: [{ kind: 'B', by: 'content', rule: 'zip3-restricted', why: '3-digit ZIP prefixes of areas of 20,000 people or fewer, which Safe Harbor requires to be 000', cells: 2 }],
    });
    expect(scanColumn('ZIP', ['02139', '60614']).reasons.map((r) => [r.kind, r.by, r.rule])).toEqual([
      ['B', 'name', 'column-name'],
      ['B', 'content', 'zip-5'],
    ]);
  });

  it('judges a column named for a clinical code system by strong shapes only: CPT and SNOMED CT codes pass there, not elsewhere', () => {
    const cpt = ['99213', '99214', '93000', '71046'];
    const snomed = ['22298006', '38341003', '44054006', '195967001'];

    expect(scanColumn('CPT_CODE', cpt)).toEqual({ suspected: [], reasons: [] });
    expect(scanColumn('SNOMED_ID', snomed)).toEqual({ suspected: [], reasons: [] });
    expect(scanColumn('proc', cpt).suspected).toEqual(['B']);
    expect(scanColumn('concept', snomed).suspected).toEqual(['H']);
    // A strong shape still counts under a code name.
    expect(scanColumn('CPT_CODE', [...cpt, '900-12-3456']).suspected).toEqual(['G']);
  });

  it('flags a column where every cell is a different letters-and-digits code', () => {
    const codes = Array.from({ length: 20 }, (_, i) => `QX${String(i).padStart(4, '0')}Z`);
    expect(scanColumn('ref', codes).suspected).toEqual(['R']);
    expect(scanColumn('ref', codes.slice(0, 19)).suspected).toEqual([]);
    expect(scanColumn('ref', [...codes.slice(0, 19), codes[0]!]).suspected).toEqual([]);
  });

  it('says which kind and why, and never a value', () => {
    const cells = ['Her husband, Tomasz, called from 555-010-0177.', 'Born 1931-02-03 per her daughter Ewa.', 'BP 120/80.'];

    const verdict = scanColumn('comments', cells);

    expect(verdict.suspected).toEqual(['A', 'C', 'D']);
    expect(verdict.reasons.map((r) => [r.kind, r.rule, r.cells])).toEqual([
      ['A', 'relative-name', 2],
      ['C', 'date', 1],
      ['D', 'phone', 1],
    ]);
    const text = JSON.stringify(verdict);
    for (const secret of ['Tomasz', 'Ewa', '555', '1931', '0177']) expect(text).not.toContain(secret);
  });
});

describe('guardMapping on free text', () => {
  it('refuses a feature mapped to a notes column that names relatives, without quoting them', async () => {
    const spec: Pick<ModelSpec, 'features' | 'label'> = {
      features: [{ name: 'history', type: 'categorical', categories: ['x'], preprocess: 'one-hot', dropFirst: false }],
      label: { name: 'disease', type: 'binary', positive: [1] },
    };
    const sample = { NOTES: ['Stable. Her son Dariusz visits.', 'No change.'], DX: ['1', '0'] };

    const error = await caught(() => guardMapping(spec, { path: 'site.csv', columns: { history: 'NOTES', disease: 'DX' } }, { header: ['NOTES', 'DX'], sample }, []));

    expect(error.code).toBe(DataErrors.PHI_COLUMN.code);
    expect(error.details['columns']).toEqual([{ feature: 'history', column: 'NOTES', byName: [], byContent: ['A'] }]);
    expect(JSON.stringify(error.details) + error.message).not.toContain('Dariusz');
  });
});

describe('names the guard once let through', () => {
  const rules = (name: string, cells: string[]): string[] => scanColumn(name, cells).reasons.map((r) => r.rule);

  it.each([
    ['john smith', ['name-column']],
    ['Smith^John', ['name-column']],
    ['SMITH,JOHN', ['last-comma-first']],
    ['Anna Smith-Jones', ['first-last']],
    ['PT JOHN SMITH SEEN TODAY', ['name-in-text']],
    ['DAUGHTER MARIA VISITED', ['relative-name']],
    ['SEEN BY DR. OKAFOR', ['title-name']],
    ['NOK: JANE DOE', ['name-in-text']],
    ['LIVES AT 12 MAIN ST', ['street-address']],
    ['MR. SMITH seen', ['name-column', 'title-name']],
    ['seen by Mr.Smith', ['title-name']],
  ])('case, HL7 and hyphens: %s', (cell, expected) => {
    expect(rules('contact', [cell])).toEqual(expected);
  });

  it.each([['José García'], ["Sean O'Brien"], ['Ronald McDonald'], ['DeShawn Jackson'], ['Jean-Pierre Dupont'], ['Mohammed Al-Rashid']])(
    'accents, apostrophes, inner capitals and hyphens: %s, whole and in text',
    (name) => {
      expect(rules('who', [name])).toEqual(['first-last']);
      expect(rules('note', [`Pt seen with ${name} today`])).toEqual(['name-in-text']);
    },
  );

  it('a column of lower-case names, as most cells, with a clean one among them', () => {
    expect(scanColumn('contact', ['john smith', 'mary jones', 'chest pain', 'wei chen']).suspected).toEqual(['A']);
  });

  it('passes all-capitals clinical text, "MS" (multiple sclerosis), "MR." (mitral regurgitation) and family history', () => {
    for (const cell of ['HX OF MS FLARE', 'MOTHER HAS DIABETES', 'MOTHER: BREAST CANCER', 'PT WITH CHEST PAIN, HX OF CAD', 'Mother: Breast cancer', 'mild MR. Follow up in 3 months']) {
      expect([cell, rules('note', [cell])]).toEqual([cell, []]);
    }
    expect(rules('dx', ['chest pain', 'no change', 'left arm'])).toEqual([]);
  });
});

describe('dates, SSNs, URLs, IPv6 and ages the guard once let through', () => {
  const rules = (name: string, cells: string[]): string[] => scanColumn(name, cells).reasons.map((r) => r.rule);

  it.each([
    ['DOB:03/04/1950', 'date'],
    ['04MAR2021', 'date'],
    ['adm 20210304 dc', 'date'],
    ['seen 4 March', 'month-day-or-year'],
    ['on the 4th of March', 'month-day-or-year'],
    ['seen march 4th', 'month-day-or-year'],
    ['Mar-04', 'month-day-or-year'],
    ['123 45 6789', 'ssn'],
    ['SSN: 123 45 6789', 'ssn'],
    ['see example.com/jdoe', 'url'],
    ['host fe80::1ff:fe23:4567:890a down', 'ipv6'],
    ['ip 2001:db8::1', 'ipv6'],
  ])('%s: %s', (cell, rule) => {
    expect(rules('note', [cell])).toEqual([rule]);
  });

  it('passes doses, times, blood pressures and month words that are not dates', () => {
    for (const cell of ['lisinopril 5/10/20 mg', 'BP 120 80 HR 72', 'Temp Check at 14:30, 37.2 C', 'march 4 mg', 'Mar 2 units', 'ratio 4:30/5:45']) {
      expect([cell, rules('note', [cell])]).toEqual([cell, []]);
    }
  });

  it('reads ages in the column unit, DICOM age strings, ranges and bounds; "90+" (the Safe Harbor category) passes', () => {
    expect(rules('AGE_MONTHS', ['14', '1100'])).toEqual(['age-over-89']); // 1,100 months is 91.7 years
    expect(rules('AGE_MONTHS', ['14', '1000'])).toEqual([]);
    expect(rules('age_days', ['400', '33000', '12'])).toEqual(['age-over-89']);
    expect(rules('age_weeks', ['52', '4600'])).toEqual([]);
    expect(rules('PatientAge', ['045Y', '092Y'])).toEqual(['age-over-89']);
    expect(rules('age_band', ['80-84', '90-94'])).toEqual(['age-over-89']);
    expect(rules('age_band', ['80-84', '95+'])).toEqual(['age-over-89']);
    expect(rules('age_band', ['80-84', '85-89', '90+', '>=90', '≥90'])).toEqual([]);
  });
});

describe('email addresses', () => {
  it('finds addresses in any script and still reads a 50,000-character token with an "@" (bounded local part)', () => {
    expect(scanColumn('note', ['write to josé@example.com']).suspected).toEqual(['F']);
    expect(scanColumn('note', ['用户@例子.广告']).suspected).toEqual(['F']);
    expect(scanColumn('note', [`${'a'.repeat(50_000)}@`]).suspected).toEqual([]);
  });
});

describe('code-system column names', () => {
  it('exempt only the cells with that system\'s code shape: ICD_ENCOUNTER_ID holding record numbers is flagged, ICD codes pass', () => {
    const records = Array.from({ length: 20 }, (_, i) => String(40_000_000 + i * 7919));
    expect(scanColumn('ICD_ENCOUNTER_ID', records).suspected).toEqual(['H', 'R']);
    expect(scanColumn('ICD10_CODE', ['E11.9', 'I10', 'J45.909', 'Z79.4']).suspected).toEqual([]);
    expect(scanColumn('CPT_CODE', ['99213', '99214', '71046', '99215', '12345678', '23456789']).suspected).toEqual([]); // 2 of 6: under the share
    expect(scanColumn('CPT_CODE', ['99213', '12345678', '23456789', '34567890']).suspected).toEqual(['H']);
  });
});

describe('titles in capitals', () => {
  it('"MR." before a capitalised census word is mitral regurgitation; before a name in capitals it is a title', () => {
    expect(scanColumn('note', ['Echo shows EF 55-60%, mild MR. Seen in clinic.']).suspected).toEqual([]);
    expect(scanColumn('note', ['mild MR. Knee pain improving.']).suspected).toEqual([]);
    expect(scanColumn('note', ['MR. SMITH seen']).suspected).toEqual(['A']);
  });
});

describe('sine encodings', () => {
  it('"hour_sin" holding numbers from -1 to 1 passes; a SIN column of 9-digit numbers is still flagged by name', () => {
    expect(scanColumn('hour_sin', ['0.5', '-0.2', '0.9', '1']).suspected).toEqual([]);
    expect(scanColumn('patient_sin', ['046454286', '123456782']).reasons.map((r) => r.rule)).toContain('column-name');
  });
});
