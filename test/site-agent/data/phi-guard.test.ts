import { describe, expect, it } from 'vitest';
import { DataErrors } from '../../../core/errors/index.ts';
import { guardMapping, scanColumnName, scanValues } from '../../../site-agent/data/phi-guard.ts';
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

  it('checks the split column too', async () => {
    const withSplit = { ...mapping, split: { column: 'SPLIT_DATE', train: 'a', test: 'b' } };

    const error = await caught(() => guardMapping(spec, withSplit, { header, sample: { ...sample, SPLIT_DATE: ['a'] } }, []));

    expect(error.details['columns']).toEqual([{ feature: 'split', column: 'SPLIT_DATE', byName: ['C'], byContent: [] }]);
  });
});
