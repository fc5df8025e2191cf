/** The times governance commands take: calendar dates that do not exist are refused, not rolled over. */
import { describe, expect, it } from 'vitest';
import { parseTime } from '../../core/governance/time.ts';
import { caughtSync } from '../support/caught.ts';

describe('parseTime', () => {
  it('reads dates, date-times with a zone and durations back from now', () => {
    expect(parseTime('2026-02-28', '--since').toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(parseTime('2028-02-29T12:30:00+02:00', '--since').toISOString()).toBe('2028-02-29T10:30:00.000Z');
    expect(parseTime('7d', '--since', new Date('2026-03-08T00:00:00Z')).toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });

  it.each(['2026-02-30', '2026-02-29', '2026-04-31', '2026-13-01', '2026-02-30T00:00:00Z', '2026-01-00'])('refuses %s, a day no calendar has', (text) => {
    expect(caughtSync(() => parseTime(text, '--since'))).toMatchObject({ code: 'COHORT_E_GOVERNANCE_TIME_INVALID', details: { option: '--since' } });
  });
});
