/**
 * The site's test hooks (COHORT_TEST_SITE_EXIT_AT, COHORT_TEST_RECORD_UPDATES) follow the
 * coordinator's COHORT_TEST_CRASH_AT: an agent refuses to start with one set outside NODE_ENV=test.
 */
import { describe, expect, it } from 'vitest';
import { GeneralErrors } from '../../core/errors/index.ts';
import { assertSiteTestHooksAllowed } from '../../site-agent/test-hooks.ts';

describe('site test hooks', () => {
  it('are refused outside NODE_ENV=test, naming the variables', () => {
    expect(() => assertSiteTestHooksAllowed({ NODE_ENV: 'production', COHORT_TEST_RECORD_UPDATES: '/tmp/x' })).toThrow(
      expect.objectContaining({ code: GeneralErrors.USAGE.code, message: expect.stringContaining('COHORT_TEST_RECORD_UPDATES') as unknown }),
    );
    expect(() => assertSiteTestHooksAllowed({ COHORT_TEST_SITE_EXIT_AT: 'before-upload@1' })).toThrow(expect.objectContaining({ code: GeneralErrors.USAGE.code }));
  });

  it('are allowed under NODE_ENV=test, and nothing is refused when none is set', () => {
    expect(() => assertSiteTestHooksAllowed({ NODE_ENV: 'test', COHORT_TEST_SITE_EXIT_AT: 'after-upload@2', COHORT_TEST_RECORD_UPDATES: '/tmp/x' })).not.toThrow();
    expect(() => assertSiteTestHooksAllowed({ NODE_ENV: 'production', COHORT_TEST_RECORD_UPDATES: '' })).not.toThrow();
  });
});
