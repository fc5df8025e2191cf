import { describe, expect, it } from 'vitest';
import { waitForState, WaitTimeout } from '../../../cli/demo/wait-for-state.ts';

/** A state source that yields `states` in turn, then repeats the last. */
function source<T>(states: readonly T[]): () => Promise<T> {
  let i = 0;
  return () => Promise.resolve(states[Math.min(i++, states.length - 1)] as T);
}

async function failure(p: Promise<unknown>): Promise<WaitTimeout> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WaitTimeout) return e;
    throw e;
  }
  throw new Error('expected the wait to give up');
}

describe('waitForState', () => {
  it('returns the first state that is done', async () => {
    const got = await waitForState({ what: 'three', read: source([1, 2, 3, 4]), done: (n) => n === 3, describe: String, intervalMs: 1 });
    expect(got).toBe(3);
  });

  it('keeps waiting past the stall limit while the state keeps changing', async () => {
    let reads = 0;
    const got = await waitForState({
      what: 'the 40th state',
      read: () => Promise.resolve(++reads),
      done: (n) => n === 40,
      describe: String,
      stallMs: 5,
      intervalMs: 2,
    });
    expect([got, reads]).toEqual([40, 40]);
  });

  it('gives up once the state stops changing, naming what it awaited and what it last saw', async () => {
    const e = await failure(waitForState({ what: 'run-1 to complete', read: source(['RUNNING round 1', 'RUNNING round 2']), done: () => false, describe: (s: string) => s, stallMs: 20, intervalMs: 2 }));
    expect(e.message).toBe('timed out waiting for run-1 to complete: last saw RUNNING round 2 (unchanged for 20 ms)');
    expect(e.lastSeen).toBe('RUNNING round 2');
  });

  it('reports a read that keeps failing as the state last seen', async () => {
    const e = await failure(waitForState({ what: 'sites', read: () => Promise.reject(new Error('14 UNAVAILABLE: No connection established')), done: () => true, describe: String, stallMs: 10, intervalMs: 2 }));
    expect(e.message).toBe('timed out waiting for sites: last saw read failed: 14 UNAVAILABLE: No connection established (unchanged for 10 ms)');
  });

  it('stops at once on a state that can no longer become done', async () => {
    const e = await failure(
      waitForState({ what: 'round 2', read: source(['RUNNING', 'FAILED']), done: (s: string) => s === 'ROUND 2', describe: (s: string) => s, hopeless: (s: string) => s === 'FAILED', stallMs: 60_000, intervalMs: 1 }),
    );
    expect(e.message).toBe('gave up waiting for round 2: it can no longer happen; last saw FAILED');
  });
});
