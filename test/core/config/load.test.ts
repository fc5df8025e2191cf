import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatIssuePath, formatZodIssues, parseConfig } from '../../../core/config/load.ts';

describe('config loading helpers', () => {
  it('renders issue paths as a reader writes them', () => {
    expect(formatIssuePath([])).toBe('(root)');
    expect(formatIssuePath(['sites', 1, 'name'])).toBe('sites[1].name');
    expect(formatIssuePath([0, 'a'])).toBe('[0].a');
  });

  it('renders one line per unknown key at the key path', () => {
    const r = z.object({ a: z.number() }).strict().safeParse({ a: 'x', b: 1, c: 2 });
    expect(r.success).toBe(false);
    if (!r.success) expect(formatZodIssues(r.error)).toEqual(['a: Invalid input: expected number, received string', 'b: unknown field', 'c: unknown field']);
  });

  it('names the file and counts the problems in the message', () => {
    expect(() => parseConfig({}, z.object({ a: z.number(), b: z.string() }).strict(), 'site config', 'site.yaml')).toThrow(
      'site config site.yaml is invalid (2 problems):\n  a: Invalid input: expected number, received undefined\n  b: Invalid input: expected string, received undefined',
    );
  });
});
