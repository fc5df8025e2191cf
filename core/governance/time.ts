/** Times and durations that governance commands take on their command line. */
import { CohortError, GovernanceErrors } from '../errors/index.ts';

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * An ISO 8601 date (`2026-01-01`, read as UTC midnight) or date-time with a zone
 * (`2026-01-01T12:00:00Z`), or a duration back from `now` (`7d`, `12h`, `30m`).
 * COHORT_E_GOVERNANCE_TIME_INVALID otherwise.
 */
export function parseTime(text: string, option: string, now: Date = new Date()): Date {
  const rel = /^(\d{1,6})([dhm])$/.exec(text);
  if (rel) {
    const ms = Number(rel[1]) * ({ d: 86_400_000, h: 3_600_000, m: 60_000 } as const)[rel[2] as 'd' | 'h' | 'm'];
    return new Date(now.getTime() - ms);
  }
  // The calendar day must exist: Date.parse rolls 2026-02-30 over into March, so the day is built and read back.
  const day = ISO.test(text) ? text.slice(0, 10) : '';
  const real = day !== '' && new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)))).toISOString().slice(0, 10) === day;
  const ms = real ? Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new CohortError(GovernanceErrors.TIME_INVALID, `${option} "${text}" is not an ISO 8601 date or date-time with a zone, nor a duration like 7d, 12h or 30m`, { details: { option } });
  }
  return new Date(ms);
}

/** A whole number of days for an option (0 to 36500). */
export function parseDays(text: string, option: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 36_500) {
    throw new CohortError(GovernanceErrors.TIME_INVALID, `${option} "${text}" is not a whole number of days (0 to 36500)`, { details: { option } });
  }
  return Number(text);
}
