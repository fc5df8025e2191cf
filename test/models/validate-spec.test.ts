import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CohortError } from '../../core/errors/index.ts';
import { inputDimOf, designColumns } from '../../models/features.ts';
import { loadSpecFile, parseSpec, type SpecIssue } from '../../models/validate-spec.ts';
import { caught, EXAMPLES, numericSpec } from './helpers.ts';

const issuesOf = (e: CohortError): SpecIssue[] => e.details.issues as SpecIssue[];

describe('parseSpec', () => {
  it('applies the schema defaults to a minimal spec and freezes the result', () => {
    const spec = parseSpec(numericSpec(2));

    expect(spec.strategy).toEqual({ name: 'fedavg' });
    expect(spec.seed).toBe(42);
    expect(spec.testFraction).toBe(0.3);
    expect(Object.isFrozen(spec)).toBe(true);
    expect(Object.isFrozen(spec.features[0])).toBe(true);
  });

  it('names an unknown top-level field by its path', () => {
    const input = { ...numericSpec(2), trainingg: { epochs: 1 } };

    const e = caught(() => parseSpec(input, 'heart.yaml'));

    expect(e.code).toBe('COHORT_E_SPEC_INVALID');
    expect(e.grpc).toBe(3); // INVALID_ARGUMENT
    expect(issuesOf(e)).toEqual([{ path: 'spec.trainingg', message: 'unknown field' }]);
    expect(e.message).toBe('model spec heart.yaml is invalid (1 problem):\n  spec.trainingg: unknown field');
  });

  it.each([
    ['names a wrong feature type with the allowed values', { type: 'text' }, { path: 'spec.features[2].type', message: 'expected "numeric" | "categorical" | "image"' }],
    ['refuses a duplicate feature name at the second occurrence', { name: 'x0' }, { path: 'spec.features[2].name', message: 'duplicate feature "x0"' }],
  ])('%s', (_scenario, change, issue) => {
    const input = numericSpec(3);
    Object.assign(input.features[2]!, change);

    const e = caught(() => parseSpec(input));

    expect(issuesOf(e)).toEqual([issue]);
  });

  it('names a value of the wrong JSON type and what it received', () => {
    const e = caught(() => parseSpec({ ...numericSpec(2), rounds: 'ten' }));

    expect(issuesOf(e)).toEqual([{ path: 'spec.rounds', message: 'expected number, received string' }]);
  });

  it('refuses a spec that sets both epochs and steps', () => {
    const input = numericSpec(2, { training: { epochs: 2, steps: 10 } });

    const e = caught(() => parseSpec(input));

    expect(issuesOf(e)).toEqual([{ path: 'spec.training', message: 'expected exactly one of "epochs" or "steps"' }]);
  });

  it('lists every problem at once, the duplicate name included', () => {
    const input = {
      ...numericSpec(3, { training: { epochs: 1, optimizer: 'adagrad' as 'sgd' }, model: { family: 'mlp', hidden: [0] } }),
      extra: true,
    };
    (input.features[1] as { name: string }).name = 'x0';
    delete (input as { rounds?: number }).rounds;

    const e = caught(() => parseSpec(input));

    expect(issuesOf(e)).toEqual([
      { path: 'spec.model.hidden[0]', message: 'expected number to be >0' },
      { path: 'spec.training.optimizer', message: 'expected "sgd" | "adam"' },
      { path: 'spec.rounds', message: 'required; expected number' },
      { path: 'spec.extra', message: 'unknown field' },
      { path: 'spec.features[1].name', message: 'duplicate feature "x0"' },
    ]);
    expect(e.message.split('\n')).toHaveLength(6);
  });

  it('refuses a label that is also a feature', () => {
    const e = caught(() => parseSpec(numericSpec(2, { label: { name: 'x1', type: 'binary' } })));

    expect(issuesOf(e)).toEqual([{ path: 'spec.label.name', message: 'the label cannot also be a feature' }]);
  });

  it('refuses input that is not an object', () => {
    const e = caught(() => parseSpec(7));

    expect(issuesOf(e)).toEqual([{ path: 'spec', message: 'expected object, received number' }]);
  });
});

describe('loadSpecFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-spec-'));

  it.each(readdirSync(EXAMPLES).filter((f) => /\.(ya?ml|json)$/.test(f)))('parses the example %s', (file) => {
    const spec = loadSpecFile(join(EXAMPLES, file));

    // The heart-disease examples' 13 design columns, the TCGA-BRCA Cox example's 39 covariates, or the imaging example's 16x16 pixels.
    expect(inputDimOf(spec)).toBe(file.startsWith('tcga-brca') ? 39 : file.startsWith('imaging-') ? 256 : 13);
  });

  it('reads the heart-disease example as FLamby\'s 13 design columns', () => {
    const spec = loadSpecFile(join(EXAMPLES, 'heart-logistic.yaml'));

    expect(designColumns(spec)).toEqual([
      'age', 'sex', 'cp=2', 'cp=3', 'cp=4', 'trestbps', 'chol', 'fbs', 'restecg=1', 'restecg=2', 'thalach', 'exang', 'oldpeak',
    ]);
    expect(spec.model).toEqual({ family: 'logistic-regression' });
    expect(spec.label).toEqual({ name: 'disease', type: 'binary', positive: [1] });
  });

  it('reports a JSON syntax error with its line and column', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"name": "x",\n "rounds": 3,,\n}');

    const e = caught(() => loadSpecFile(path));

    expect(e.code).toBe('COHORT_E_SPEC_SYNTAX');
    expect(e.message).toBe(`model spec file ${path} is not valid YAML or JSON:\n  line 2, column 14: Unexpected , in flow map`);
  });

  it('reports a duplicate YAML key as a syntax error', () => {
    const path = join(dir, 'dup.yaml');
    writeFileSync(path, 'name: a\nname: b\n');

    expect(caught(() => loadSpecFile(path)).code).toBe('COHORT_E_SPEC_SYNTAX');
  });

  it('names the file in schema errors', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ ...numericSpec(1), seed: -1 }));

    const e = caught(() => loadSpecFile(path));

    expect(e.code).toBe('COHORT_E_SPEC_INVALID');
    expect(e.details.source).toBe(path);
    expect(issuesOf(e)).toEqual([{ path: 'spec.seed', message: 'expected number to be >=0' }]);
  });

  it('refuses a missing file with the general file-not-found code', () => {
    const e = caught(() => loadSpecFile(join(dir, 'absent.yaml')));

    expect(e.code).toBe('COHORT_E_GENERAL_FILE_NOT_FOUND');
    expect(e.message).toBe(`model spec file ${join(dir, 'absent.yaml')} cannot be read (ENOENT)`);
  });
});
