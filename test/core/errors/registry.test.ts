import { status } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allErrorDefinitions } from '../../../core/errors/index.ts';

describe('the error registry', () => {
  const defs = allErrorDefinitions();

  it('gives every error a unique COHORT_E_<AREA>_<WHAT> code', () => {
    const codes = defs.map((d) => d.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^COHORT_E_[A-Z]+(_[A-Z0-9]+)+$/);
  });

  it('maps no error to OK or UNKNOWN on the wire', () => {
    for (const d of defs) expect([status.OK, status.UNKNOWN]).not.toContain(d.grpc);
  });

  it('documents every code in docs/errors.md with its meaning and fix', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    for (const d of defs) {
      expect(doc).toContain(`\`${d.code}\``);
      expect(d.meaning.length).toBeGreaterThan(10);
      expect(d.fix.length).toBeGreaterThan(3);
    }
  });
});
