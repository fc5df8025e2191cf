import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKeyFile } from '../../core/crypto/at-rest.ts';
import { RunStateStore } from '../../site-agent/run-state.ts';

describe('RunStateStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-run-state-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('returns nothing for a run it never saw, and exactly what was saved after a restart', () => {
    const key = loadKeyFile(join(dir, 'k'), { create: true });
    expect(new RunStateStore(dir, key).load('run-1')).toBeUndefined();
    new RunStateStore(dir, key).save('run-1', { round: 3, weights: Float32Array.from([0.5, -1.25, 3]), serverState: { m: Float32Array.from([0.1]) } });
    const back = new RunStateStore(dir, key).load('run-1');
    expect(back?.round).toBe(3);
    expect([...(back?.weights ?? [])]).toEqual([0.5, -1.25, 3]);
    expect([...(back?.serverState.m ?? [])]).toEqual([Math.fround(0.1)]);
  });

  it('refuses state saved under another run id (the run id is authenticated)', () => {
    const key = loadKeyFile(join(dir, 'k'), { create: true });
    const store = new RunStateStore(dir, key);
    store.save('run-a', { round: 1, weights: Float32Array.from([1]), serverState: {} });
    const other = new RunStateStore(join(dir, 'copy'), key);
    // Copying run-a's file into run-b's place must not be accepted as run-b's state.
    other.save('run-b', { round: 0, weights: Float32Array.from([0]), serverState: {} });
    copyFileSync(join(dir, 'runs', 'run-a', 'global.state'), join(dir, 'copy', 'runs', 'run-b', 'global.state'));
    expect(() => other.load('run-b')).toThrow(expect.objectContaining({ code: 'COHORT_E_SITE_STATE_CORRUPT' }));
  });
});
