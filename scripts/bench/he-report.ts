/** The `he` section of docs/benchmarks.md, from the figures `bench:he` measured. */
import { median } from './he-stats.ts';
import type { RoundComparison } from './he-round.ts';
import type { NetworkedComparison } from './he-networked.ts';
import type { MaskingFigures } from './he-masking.ts';

/** The fields of the bench result the section shows. */
export interface HeReportInput {
  readonly params: number;
  readonly wireBytesRatio: number;
  readonly wireBytesPerSite: number;
  readonly float32Bytes: number;
  readonly plainWireBytesPerSite: number;
  readonly encryptMsPerSite: number;
  readonly encryptMsPerSiteSamples: readonly number[];
  readonly encryptCpuMsPerSite: number;
  readonly aggregateCpuMsTenSites: number;
  readonly aggregateMsTenSites: number;
  readonly adderOnlyMsTenSites: number;
  readonly decodeMsTenSites: number;
  readonly peakRssRatio50vs10: number;
  readonly peakRssMbTenSites: number;
  readonly peakRssMbFiftySites: number;
  readonly coordinatorChildren: { readonly tenSites: readonly { rssAfterSetupMb: number }[] };
  readonly encryptedVsPlainRoundRatio: number;
  readonly round: RoundComparison;
  readonly codec: {
    readonly polyModulusDegree: number;
    readonly coeffModulusBits: readonly number[];
    readonly plainModulusBits: number;
    readonly maxSummands: number;
    readonly ciphertexts: number;
    readonly chunks: number;
    readonly headroom: { readonly valueBits: number; readonly noiseBits: number };
  };
  readonly maskingEncodeRatio10: number;
  readonly maskingEncodeRatio3: number;
  readonly maskingEncodeRatio50: number;
  readonly unmaskingExtraBytesPerSite: number;
  readonly maskedWireBytesRatio: number;
  readonly masking: Readonly<Record<number, MaskingFigures>> & { readonly unmaskMsTenSites: number; readonly unmaskCheck: string };
  readonly networked?: NetworkedComparison | { readonly error: string };
  readonly machine: { readonly cpus: number; readonly node: string; readonly loadAverage1mAtStart: number; readonly loadAverage1mAtEnd: number };
  readonly wallSeconds: number;
}

const int = (x: number): string => Math.round(x).toLocaleString('en-US');

/** Markdown for the section body (the markers are added by updateBenchmarkSection). */
export function renderHeSection(r: HeReportInput): string {
  const c = r.codec;
  const rb = r.round.bfv;
  const rp = r.round.plain;
  const setup = median(r.coordinatorChildren.tenSites.map((c) => c.rssAfterSetupMb));
  const lines = [
    `Command: \`npm run bench:he\` (\`npm run -s bench:he -- --json\` prints the same figures as one JSON object on stdout; raw output in \`bench-results/he.json\`).`,
    `One run, ${int(r.params)}-parameter update, ${r.machine.cpus} CPUs, Node ${r.machine.node}, ${r.wallSeconds} s in all; load average ${r.machine.loadAverage1mAtStart} at the start, ${r.machine.loadAverage1mAtEnd} at the end`,
    '(wall times stretch with the load on a shared machine; the CPU times given beside them do not).',
    `BFV under the consortium key: N = ${c.polyModulusDegree}, q = ${c.coeffModulusBits.join('+')} bits, t = ${c.plainModulusBits} bits, up to ${c.maxSummands} summands, the spec's default aggregation bounds`,
    `(headroom ${c.headroom.valueBits} value bits, ${c.headroom.noiseBits} noise bits); ${c.ciphertexts} ciphertexts in ${c.chunks} chunks per update.`,
    '',
    '| figure | JSON name | value | how |',
    '| --- | --- | --- | --- |',
    `| bytes on the wire per site / float32 bytes | \`wireBytesRatio\` | **${r.wireBytesRatio}** | ${int(r.wireBytesPerSite)} B of encoded chunks / ${int(r.float32Bytes)} B (the plain codec sends ${int(r.plainWireBytesPerSite)} B, float64) |`,
    `| encode + encrypt per site | \`encryptMsPerSite\` | **${r.encryptMsPerSite} ms** | ${r.encryptCpuMsPerSite} ms CPU; median of ${r.encryptMsPerSiteSamples.length} distinct updates (${r.encryptMsPerSiteSamples.join(', ')} ms) |`,
    `| coordinator aggregation, 10 sites | \`aggregateMsTenSites\` | **${r.aggregateMsTenSites} ms** | ${r.aggregateCpuMsTenSites} ms CPU; RunEngine.commitUpdate of 10 spooled uploads into the SQLite running sums with BfvChunkAdder, in a child process; the adder alone takes ${r.adderOnlyMsTenSites} ms; one site decrypts the sum in ${r.decodeMsTenSites} ms |`,
    `| coordinator peak RSS, 50 / 10 sites | \`peakRssRatio50vs10\` | **${r.peakRssRatio50vs10}** | maxRSS ${r.peakRssMbFiftySites} MiB with 50 sites, ${r.peakRssMbTenSites} MiB with 10 (${setup} MiB after loading SEAL and opening the state, before any upload); one child per site count, 5 encrypted uploads reused round-robin |`,
    `| encrypted / plaintext round | \`encryptedVsPlainRoundRatio\` | **${r.encryptedVsPlainRoundRatio}** | in-process round of ${r.round.sites} sites, same vectors: bfv ${rb.totalMsMedian} ms (sites ${rb.siteEncodeMsMedian}, coordinator ${rb.coordinatorMsMedian}, decode ${rb.decodeMsMedian}) vs plain ${rp.totalMsMedian} ms (sites ${rp.siteEncodeMsMedian}, coordinator ${rp.coordinatorMsMedian}, decode ${rp.decodeMsMedian}); with sites encoding in parallel (slowest site counted once) the ratio is ${r.round.parallelSitesRatio} |`,
  ];
  const m = (k: number): MaskingFigures => r.masking[k] as MaskingFigures;
  const maskRow = (k: number, name: string): string =>
    `| pairwise masking, ${k}-site cohort: encode + mask + encrypt / encode + encrypt | \`${name}\` | **${r[name as 'maskingEncodeRatio10']}** | ${m(k).maskedEncryptMsMedian} ms vs ${m(k).encryptMsMedian} ms, same update and encoder, alternating, median of ${m(k).encryptMsSamples.length}; over CPU time ${m(k).cpuRatio}; the site's key and share exchange takes ${m(k).siteSetupMs} ms more, once per round |`;
  lines.push(
    maskRow(3, 'maskingEncodeRatio3'),
    maskRow(10, 'maskingEncodeRatio10'),
    maskRow(50, 'maskingEncodeRatio50'),
    `| masking and unmasking messages per site, 10 sites | \`unmaskingExtraBytesPerSite\` | **${int(r.unmaskingExtraBytesPerSite)} B** | sent ${int(m(10).extraBytesPerSite.sent)} B, received ${int(m(10).extraBytesPerSite.received)} B (3 sites: ${int(m(3).extraBytesPerSite.total)} B, 50 sites: ${int(m(50).extraBytesPerSite.total)} B), beside ${int(m(10).maskedWireBytesPerSite)} B of masked chunks (\`maskedWireBytesRatio\` ${r.maskedWireBytesRatio}: masks do not change the ciphertext size); the coordinator rebuilds 10 self-mask seeds and unmasks the 10-site sum in ${r.masking.unmaskMsTenSites} ms (${r.masking.unmaskCheck}) |`,
  );
  const n = r.networked;
  if (n !== undefined) {
    lines.push('');
    if ('error' in n) lines.push(`Networked mode (\`-- --networked\`) did not complete: ${n.error}`);
    else {
      const codec = (x: NetworkedComparison['plain']): string => ('error' in x ? `did not complete (${x.error})` : `median round ${x.roundMsMedian} ms`);
      lines.push(
        `Networked (\`-- --networked\`, LocalConsortium, ${n.sites} site processes, ${n.params.toLocaleString('en-US')}-parameter MLP, ${n.rounds} rounds, ` +
          `round time includes local training): plain ${codec(n.plain)}; bfv ${codec(n.bfv)}; ratio ${n.ratio ?? 'n/a'}.`,
      );
    }
  }
  return lines.join('\n');
}
