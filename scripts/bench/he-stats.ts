/** Timing and summary helpers shared by the `bench:he` scripts. */

/** Wall and CPU milliseconds of one step. */
export interface Timing {
  readonly ms: number;
  readonly cpuMs: number;
}

/** Runs a synchronous step and returns its value with its wall and CPU (user + system) time. */
export function timed<T>(step: () => T): Timing & { value: T } {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const value = step();
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { value, ms, cpuMs: (used.user + used.system) / 1000 };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Rounds to one decimal (milliseconds, megabytes). */
export const round1 = (x: number): number => Math.round(x * 10) / 10;
/** Rounds to three decimals (ratios). */
export const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Writes one progress line to stderr, so `--json` keeps stdout to the result alone. */
export function progress(message: string): void {
  process.stderr.write(`[bench:he ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
