/**
 * `npm run bench:he [-- --json] [-- --networked]`: the issue's encrypted-aggregation figures
 * for a 1,000,000-parameter update, measured side by side in one run:
 *
 * - wireBytesRatio: bytes a site puts on the wire (its encoded chunks) / float32 bytes;
 * - encryptMsPerSite: median encode + encrypt time of one site's update;
 * - aggregateMsTenSites: the coordinator committing 10 sites' uploads through its real path
 *   (RunEngine.commitUpdate over spooled uploads, sums in SQLite, BfvChunkAdder);
 * - peakRssRatio50vs10: coordinator maxRSS aggregating 50 sites / 10 sites, one child
 *   process per site count, over uploads encrypted here and written to disk;
 * - encryptedVsPlainRoundRatio: an in-process round (K sites encode, the coordinator
 *   commits, one site decodes) with bfv / with plain, same vectors, medians;
 * - maskingEncodeRatio3/10/50: pairwise masking (issue 9), a site's encode + mask + encrypt
 *   over encode + encrypt for cohorts of 3, 10 and 50 sites, side by side (he-masking.ts),
 *   with the masking round's extra bytes per site and the coordinator's unmasking time.
 *
 * Writes bench-results/he.json and the `he` section of docs/benchmarks.md; with --json
 * prints the same object on stdout (progress goes to stderr). --networked adds a round
 * timed over real processes (LocalConsortium), bfv vs plain; see he-networked.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPlainEncoder } from '../../core/update-codec/index.ts';
import { updateBenchmarkSection } from './benchmarks-doc.ts';
import { encryptUploads, measureAdderOnly, prepareBfvCodec, uploadBytes } from './he-codec.ts';
import { measureMasking } from './he-masking.ts';
import { syntheticUpdateVector, syntheticWeight } from './he-fixtures.ts';
import { measureNetworkedRounds, type NetworkedComparison } from './he-networked.ts';
import { measureCoordinatorChild, type CheckedChildResult, type UploadsOnDisk } from './he-peak-memory.ts';
import { renderHeSection } from './he-report.ts';
import { compareRounds } from './he-round.ts';
import { median, progress, round1, round3, timed } from './he-stats.ts';
import { writeUploadFile } from './he-upload-files.ts';

const ISSUE_PARAMS = 1_000_000;
/** Distinct encrypted uploads; the coordinator children reuse them round-robin over their sites. */
const DISTINCT_UPLOADS = 5;
const AGGREGATE_SITES = 10;
const MEMORY_SITES = [10, 50] as const;
/** Child runs per site count (alternating 10, 50, 10, 50, ...). */
const MEMORY_REPETITIONS = 3;
const ROUND_SITES = 10;
const ROUND_REPETITIONS = 3;
const MASKING_SITES = [3, 10, 50] as const;
const MASKING_REPETITIONS = 5;

const root = fileURLToPath(new URL('../..', import.meta.url));
const argv = process.argv.slice(2);
/** `--params N` is for quick checks of the script: it prints the figures and writes nothing. */
const paramsFlag = argv.indexOf('--params');
const PARAMS = paramsFlag >= 0 ? Number(argv[paramsFlag + 1]) : ISSUE_PARAMS;
if (!Number.isInteger(PARAMS) || PARAMS < 1) throw new TypeError(`--params: expected a positive integer, got ${argv[paramsFlag + 1]}`);
const started = performance.now();
const loadAtStart = loadavg()[0] as number;
const work = mkdtempSync(join(tmpdir(), 'cohort-bench-he-'));

try {
  progress(`generating a consortium key; run parameters for ${PARAMS.toLocaleString('en-US')} values + weight`);
  // One descriptor serves every site count here: maxSummands only bounds the sum, the
  // ciphertexts (and so every cost measured) depend on the key's N, q and t alone.
  const largestWeight = syntheticWeight(Math.max(ROUND_SITES, DISTINCT_UPLOADS) - 1);
  const codec = await prepareBfvCodec(PARAMS, Math.max(...MEMORY_SITES, ROUND_SITES), largestWeight);
  try {
    progress(`encrypting ${DISTINCT_UPLOADS} distinct site updates`);
    const enc = encryptUploads(codec.encoder, PARAMS, DISTINCT_UPLOADS, (i, t) => progress(`  site update ${i + 1}: ${round1(t.ms)} ms`));
    const wireBytesPerSite = median(enc.uploads.map(uploadBytes));
    const float32Bytes = 4 * PARAMS;

    const descriptorPath = join(work, 'descriptor.json');
    writeFileSync(descriptorPath, JSON.stringify(codec.descriptor));
    const onDisk: UploadsOnDisk = {
      descriptorPath,
      uploadPaths: enc.uploads.map((chunks, i) => {
        const path = join(work, `upload-${i}.bin`);
        writeUploadFile(path, chunks);
        return path;
      }),
      vectors: enc.vectors,
    };

    progress(`adder alone: ${AGGREGATE_SITES} sites, 3 repetitions`);
    const adderOnly = await measureAdderOnly(codec.descriptor, enc.uploads, AGGREGATE_SITES, 3);
    const decode = timed(() => codec.encoder.decode(adderOnly.aggregate));
    enc.uploads.length = 0; // the children read them from disk from here on

    const children: Record<number, CheckedChildResult[]> = { 10: [], 50: [] };
    for (let r = 0; r < MEMORY_REPETITIONS; r++) {
      for (const sites of MEMORY_SITES) {
        progress(`coordinator child ${r + 1}/${MEMORY_REPETITIONS}: ${sites} sites`);
        const c = await measureCoordinatorChild(onDisk, sites, join(work, `child-${sites}-${r}`), codec.encoder);
        progress(`  commit ${c.commitMs} ms, maxRSS ${c.maxRssMb} MiB (after setup ${c.rssAfterSetupMb} MiB), sum error ${c.maxAbsErrorOfSum.toExponential(2)}`);
        children[sites]?.push(c);
        rmSync(join(work, `child-${sites}-${r}`), { recursive: true, force: true });
      }
    }
    const ten = children[10] as CheckedChildResult[];
    const fifty = children[50] as CheckedChildResult[];
    const peak10 = median(ten.map((c) => c.maxRssMb));
    const peak50 = median(fifty.map((c) => c.maxRssMb));

    progress(`in-process rounds: ${ROUND_SITES} sites, bfv vs plain, ${ROUND_REPETITIONS} repetitions each`);
    const vectors = Array.from({ length: ROUND_SITES }, (_, s) => syntheticUpdateVector(PARAMS, s));
    const plainEncoder = createPlainEncoder(PARAMS + 1);
    const rounds = await compareRounds({ descriptor: codec.descriptor, encoder: codec.encoder }, { descriptor: plainEncoder.descriptor, encoder: plainEncoder }, vectors, ROUND_REPETITIONS, (name, r, t) =>
      progress(`  ${name} round ${r + 1}: ${round1(t.totalMs)} ms (sites ${round1(t.siteEncodeMs)}, coordinator ${round1(t.coordinatorMs)}, decode ${round1(t.decodeMs)})`),
    );

    progress(`pairwise masking: cohorts of ${MASKING_SITES.join(', ')} sites, ${MASKING_REPETITIONS} side-by-side repetitions each`);
    const masking = await measureMasking(codec, PARAMS, MASKING_SITES, MASKING_REPETITIONS, progress);
    const mask = (n: number) => masking.bySites[n] as NonNullable<(typeof masking.bySites)[number]>;

    let networked: NetworkedComparison | { error: string } | undefined;
    if (argv.includes('--networked')) {
      progress('networked rounds over LocalConsortium (bfv vs plain)');
      try {
        networked = await measureNetworkedRounds(join(work, 'networked'), progress);
      } catch (e) {
        networked = { error: (e as Error).message };
        progress(`  networked mode failed: ${(e as Error).message}`);
      }
    }

    const result = {
      wireBytesRatio: round3(wireBytesPerSite / float32Bytes),
      encryptMsPerSite: round1(median(enc.timings.map((t) => t.ms))),
      aggregateMsTenSites: median(ten.map((c) => c.commitMs)),
      aggregatePath: `RunEngine.commitUpdate over UpdateSpool uploads, running sums in the SQLite StateStore, the engine's own BfvChunkAdder; median of ${ten.length} child processes`,
      peakRssRatio50vs10: round3(peak50 / peak10),
      peakRssMbTenSites: peak10,
      peakRssMbFiftySites: peak50,
      peakRssMethod: `process.resourceUsage().maxRSS at the end of one child process per site count (coordinator path as above, aggregate read back), median of ${MEMORY_REPETITIONS}; ${DISTINCT_UPLOADS} distinct encrypted uploads reused round-robin over the sites`,
      encryptedVsPlainRoundRatio: rounds.ratio,
      roundRatioMethod: `in-process round, ${ROUND_SITES} sites one after another: each site encodes its update (bfv: quantize + encrypt), the coordinator spools and commits it (RunEngine + SQLite), one site reads the aggregate, decodes (bfv: decrypts) and divides by the weight; same vectors, median of ${ROUND_REPETITIONS} rounds per codec; no network, no training`,
      maskingEncodeRatio10: mask(10).ratio,
      maskingEncodeRatio3: mask(3).ratio,
      maskingEncodeRatio50: mask(50).ratio,
      unmaskingExtraBytesPerSite: mask(10).extraBytesPerSite.total,
      maskedWireBytesRatio: round3(mask(10).maskedWireBytesPerSite / float32Bytes),
      maskingMethod: `one site's encode + mask + encrypt vs encode + encrypt of the same update with the same encoder, alternating which runs first, median of ${MASKING_REPETITIONS} each (wall; cpuRatio over user + system CPU); extra bytes: the JSON a site sends (its advertisement, n - 1 sealed shares, its share release, its receipt) and receives (n - 1 advertisements and sealed shares, the coordinator-signed unmask request, n receipts with the aggregate) at 10 sites, all surviving`,
      masking: { ...masking.bySites, unmaskMsTenSites: masking.unmaskMsTenSites, unmaskCheck: masking.unmaskCheck },
      params: PARAMS,
      sites: AGGREGATE_SITES,
      codec: {
        key: 'consortium key (CONSORTIUM_KEY_PARAMETERS), run scale from the spec aggregation defaults',
        maxAbsValue: codec.choice.maxAbsValue,
        precisionBits: codec.request.precisionBits,
        polyModulusDegree: codec.choice.polyModulusDegree,
        coeffModulusBits: codec.choice.coeffModulusBits,
        plainModulusBits: codec.choice.plainModulusBits,
        scale: codec.choice.scale,
        maxSummands: codec.choice.maxSummands,
        maxWeight: codec.choice.maxWeight,
        headroom: codec.choice.headroom,
        ciphertexts: codec.choice.ciphertextCount,
        chunks: codec.choice.chunkCount,
      },
      wireBytesPerSite,
      float32Bytes,
      plainWireBytesPerSite: rounds.plain.wireBytesPerSite,
      aggregateBytesTenSites: ten[0]?.aggregateBytes,
      encryptCpuMsPerSite: round1(median(enc.timings.map((t) => t.cpuMs))),
      encryptMsPerSiteSamples: enc.timings.map((t) => round1(t.ms)),
      decodeMsTenSites: round1(decode.ms),
      adderOnlyMsTenSites: adderOnly.msMedian,
      coordinatorChildren: { tenSites: ten, fiftySites: fifty },
      round: rounds,
      ...(networked === undefined ? {} : { networked }),
      aggregateCpuMsTenSites: median(ten.map((c) => c.commitCpuMs)),
      // Wall times on a shared machine stretch with its load; the CPU times above do not.
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage1mAtStart: round1(loadAtStart), loadAverage1mAtEnd: round1(loadavg()[0] as number) },
      wallSeconds: round1((performance.now() - started) / 1000),
    };

    if (PARAMS === ISSUE_PARAMS) {
      mkdirSync(join(root, 'bench-results'), { recursive: true });
      writeFileSync(join(root, 'bench-results', 'he.json'), `${JSON.stringify(result, null, 2)}\n`);
      updateBenchmarkSection('he', renderHeSection(result));
      progress(`done in ${result.wallSeconds} s: bench-results/he.json and docs/benchmarks.md (he)`);
    } else {
      progress(`done in ${result.wallSeconds} s; --params ${PARAMS} is a check run, nothing written`);
    }
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    codec.encoder.dispose();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
