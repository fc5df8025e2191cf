/**
 * Waiting on a state, not on a clock tuned on an idle machine: poll until `done`, and give up
 * only when what is observed has stopped changing for `stallMs` (a loaded machine is slower,
 * not stuck). The failure says what was awaited and the state last seen. Used by the demo,
 * the networked benchmark and the integration tests.
 */

export interface WaitForStateOptions<T> {
  /** What is awaited, for the message: "run-1 to complete". */
  readonly what: string;
  /** Reads the current state; a rejection counts as "not yet" (e.g. a restarting coordinator). */
  readonly read: () => Promise<T>;
  readonly done: (state: T) => boolean;
  /** A one-line summary of a state; a new summary is progress and restarts the stall clock. */
  readonly describe: (state: T) => string;
  /** Stop waiting once a state is seen that can no longer become `done` (e.g. the run ended). */
  readonly hopeless?: (state: T) => boolean;
  /** Give up after this long without a new summary. Default 120 s. */
  readonly stallMs?: number;
  /** Default 100 ms. */
  readonly intervalMs?: number;
}

/** Thrown when the wait gives up; `lastSeen` is the last summary (or read error). */
export class WaitTimeout extends Error {
  constructor(
    message: string,
    readonly lastSeen: string,
  ) {
    super(message);
    this.name = 'WaitTimeout';
  }
}

export async function waitForState<T>(options: WaitForStateOptions<T>): Promise<T> {
  const stallMs = options.stallMs ?? 120_000;
  const intervalMs = options.intervalMs ?? 100;
  let lastSeen = 'nothing yet (no read has succeeded)';
  let changedAt = Date.now();
  for (;;) {
    let seen: string;
    try {
      const state = await options.read();
      if (options.done(state)) return state;
      seen = options.describe(state);
      if (options.hopeless?.(state)) throw new WaitTimeout(`gave up waiting for ${options.what}: it can no longer happen; last saw ${seen}`, seen);
    } catch (e) {
      if (e instanceof WaitTimeout) throw e;
      seen = `read failed: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (seen !== lastSeen) {
      lastSeen = seen;
      changedAt = Date.now();
    } else if (Date.now() - changedAt > stallMs) {
      throw new WaitTimeout(`timed out waiting for ${options.what}: last saw ${lastSeen} (unchanged for ${stallMs} ms)`, lastSeen);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
