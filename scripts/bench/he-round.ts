/**
 * Encrypted versus plaintext round for `bench:he`, in one process: K sites each encode
 * their weighted update, the coordinator receives every stream into a spool and commits
 * it into the running sums (CoordinatorHarness: RunEngine + SQLite store), and one site
 * reads the aggregate back, decodes it and divides by the summed weight. The same vectors
 * go through the bfv and the plain codec; repetitions alternate the codecs so that drift
 * on a shared machine hits both alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meanFromWeightedSum } from '../../core/strategies/aggregate.ts';
import type { CodecDescriptor, UpdateEncoder } from '../../core/update-codec/index.ts';
import { CoordinatorHarness } from './he-coordinator.ts';
import { maxAbsError, plainSum } from './he-fixtures.ts';
import { median, round1, round3, timed } from './he-stats.ts';

/** One codec as the round uses it. The encoder is the sites' (all sites share it in-process). */
export interface RoundCodec {
  readonly descriptor: CodecDescriptor;
  readonly encoder: UpdateEncoder;
}

/** Wall milliseconds of one round and of its parts. */
export interface RoundTiming {
  readonly totalMs: number;
  /** Sum over sites of encode (+ encrypt for bfv). */
  readonly siteEncodeMs: number;
  /** Slowest single site's encode: the sites' share of the round when they work in parallel. */
  readonly siteEncodeMaxMs: number;
  /** Coordinator: spooling the streams and committing them into the running sums. */
  readonly coordinatorMs: number;
  /** One site: reading the aggregate, decoding (+ decrypting) and dividing by the weight. */
  readonly decodeMs: number;
  readonly wireBytesPerSite: number;
  /** Largest |decoded sum - plaintext sum| over the update values. */
  readonly maxAbsErrorOfSum: number;
}

/** Runs one round of `vectors.length` sites through `codec` in a fresh coordinator state under `dir`. */
export async function runRound(codec: RoundCodec, vectors: readonly Float64Array[], dir: string): Promise<RoundTiming> {
  const harness = await CoordinatorHarness.open(dir, codec.descriptor, vectors.length);
  try {
    let siteEncodeMs = 0;
    let siteEncodeMaxMs = 0;
    let coordinatorMs = 0;
    let wireBytes = 0;
    const t0 = performance.now();
    harness.sites.forEach((site, i) => {
      const encoded = timed(() => [...codec.encoder.encode(vectors[i] as Float64Array)]);
      siteEncodeMs += encoded.ms;
      siteEncodeMaxMs = Math.max(siteEncodeMaxMs, encoded.ms);
      wireBytes = encoded.value.reduce((n, c) => n + c.byteLength, 0);
      const coordinator = timed(() => harness.commit(site, harness.receive(encoded.value)));
      coordinatorMs += coordinator.ms;
    });
    const decoded = timed(() => {
      const sum = codec.encoder.decode([...harness.aggregate()]);
      meanFromWeightedSum(sum);
      return sum;
    });
    const totalMs = performance.now() - t0;
    return {
      totalMs,
      siteEncodeMs,
      siteEncodeMaxMs,
      coordinatorMs,
      decodeMs: decoded.ms,
      wireBytesPerSite: wireBytes,
      maxAbsErrorOfSum: maxAbsError(decoded.value, plainSum(vectors)).values,
    };
  } finally {
    harness.close();
  }
}

/** Medians of a codec's rounds. */
export interface RoundSummary {
  readonly rounds: number;
  readonly totalMsMedian: number;
  readonly siteEncodeMsMedian: number;
  readonly siteEncodeMaxMsMedian: number;
  readonly coordinatorMsMedian: number;
  readonly decodeMsMedian: number;
  readonly wireBytesPerSite: number;
  readonly maxAbsErrorOfSum: number;
}

function summarize(rounds: readonly RoundTiming[]): RoundSummary {
  const m = (f: (r: RoundTiming) => number): number => round1(median(rounds.map(f)));
  const first = rounds[0] as RoundTiming;
  return {
    rounds: rounds.length,
    totalMsMedian: m((r) => r.totalMs),
    siteEncodeMsMedian: m((r) => r.siteEncodeMs),
    siteEncodeMaxMsMedian: m((r) => r.siteEncodeMaxMs),
    coordinatorMsMedian: m((r) => r.coordinatorMs),
    decodeMsMedian: m((r) => r.decodeMs),
    wireBytesPerSite: first.wireBytesPerSite,
    maxAbsErrorOfSum: Math.max(...rounds.map((r) => r.maxAbsErrorOfSum)),
  };
}

/** The encrypted/plaintext round comparison. */
export interface RoundComparison {
  readonly sites: number;
  readonly bfv: RoundSummary;
  readonly plain: RoundSummary;
  /** bfv.totalMsMedian / plain.totalMsMedian: every site's work done one after another. */
  readonly ratio: number;
  /**
   * The same with the sites' encoding counted once (the slowest site), as when sites
   * encode in parallel on their own machines: max encode + coordinator + one decode.
   */
  readonly parallelSitesRatio: number;
}

/** Runs `repetitions` rounds per codec over the same vectors, alternating codecs. */
export async function compareRounds(
  bfv: RoundCodec,
  plain: RoundCodec,
  vectors: readonly Float64Array[],
  repetitions: number,
  onRound?: (codec: string, r: number, t: RoundTiming) => void,
): Promise<RoundComparison> {
  const results: { bfv: RoundTiming[]; plain: RoundTiming[] } = { bfv: [], plain: [] };
  for (let r = 0; r < repetitions; r++) {
    for (const [name, codec] of [['plain', plain], ['bfv', bfv]] as const) {
      const dir = mkdtempSync(join(tmpdir(), `cohort-bench-round-${name}-`));
      try {
        const t = await runRound(codec, vectors, dir);
        results[name].push(t);
        onRound?.(name, r, t);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const b = summarize(results.bfv);
  const p = summarize(results.plain);
  const parallel = (s: RoundSummary): number => s.siteEncodeMaxMsMedian + s.coordinatorMsMedian + s.decodeMsMedian;
  return { sites: vectors.length, bfv: b, plain: p, ratio: round3(b.totalMsMedian / p.totalMsMedian), parallelSitesRatio: round3(parallel(b) / parallel(p)) };
}
