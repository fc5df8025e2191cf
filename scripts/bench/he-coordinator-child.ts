/**
 * One coordinator aggregating one round, in its own process, for the peak-memory figure
 * of `bench:he`: `node --import tsx scripts/bench/he-coordinator-child.ts <config.json>`.
 *
 * The parent writes the run's public codec descriptor and a few pre-encrypted uploads to
 * disk; this process opens a fresh coordinator state (CoordinatorHarness), streams site i
 * the upload i mod uploads.length (chunk by chunk into the spool, then commitUpdate), reads
 * the aggregate back as the coordinator streams it to the sites (writing it to disk for the
 * parent to decrypt and check), and prints one JSON line with its timings and
 * process.resourceUsage().maxRSS at the end. It never sees a key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CodecDescriptor } from '../../core/update-codec/index.ts';
import { CoordinatorHarness } from './he-coordinator.ts';
import { readUploadFile, writeUploadFile } from './he-upload-files.ts';
import { median, round1, timed } from './he-stats.ts';

/** What the parent passes, as a JSON file. */
export interface CoordinatorChildConfig {
  /** Empty directory for the coordinator's state and spool. */
  readonly workDir: string;
  readonly descriptorPath: string;
  readonly uploadPaths: readonly string[];
  readonly sites: number;
  /** Where to write the aggregate (upload-file format). */
  readonly aggregatePath: string;
}

/** What the child prints. */
export interface CoordinatorChildResult {
  readonly sites: number;
  readonly distinctUploads: number;
  /** Spooling every site's stream to disk, ms (not part of the aggregation time). */
  readonly receiveMs: number;
  /** Sum over sites of RunEngine.commitUpdate, ms: the aggregation. */
  readonly commitMs: number;
  readonly commitCpuMs: number;
  readonly commitMsPerSiteMedian: number;
  /** Reading the summed chunks back from the store, ms. */
  readonly aggregateReadMs: number;
  readonly aggregateBytes: number;
  /** RSS once the state, run and adder were set up, before any upload, MiB. */
  readonly rssAfterSetupMb: number;
  /** process.resourceUsage().maxRSS at the end, MiB. */
  readonly maxRssMb: number;
}

const MIB = 1024 * 1024;

async function main(configPath: string): Promise<CoordinatorChildResult> {
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as CoordinatorChildConfig;
  const descriptor = JSON.parse(readFileSync(config.descriptorPath, 'utf8')) as CodecDescriptor;
  const harness = await CoordinatorHarness.open(join(config.workDir, 'coordinator'), descriptor, config.sites);
  try {
    const rssAfterSetupMb = process.memoryUsage().rss / MIB;
    let receiveMs = 0;
    let commitMs = 0;
    let commitCpuMs = 0;
    const perSite: number[] = [];
    harness.sites.forEach((site, i) => {
      const upload = config.uploadPaths[i % config.uploadPaths.length] as string;
      const received = timed(() => harness.receive(readUploadFile(upload)));
      receiveMs += received.ms;
      const committed = harness.commit(site, received.value);
      commitMs += committed.ms;
      commitCpuMs += committed.cpuMs;
      perSite.push(committed.ms);
    });
    const read = timed(() => writeUploadFile(config.aggregatePath, harness.aggregate()));
    return {
      sites: config.sites,
      distinctUploads: config.uploadPaths.length,
      receiveMs: round1(receiveMs),
      commitMs: round1(commitMs),
      commitCpuMs: round1(commitCpuMs),
      commitMsPerSiteMedian: round1(median(perSite)),
      aggregateReadMs: round1(read.ms),
      aggregateBytes: read.value,
      rssAfterSetupMb: round1(rssAfterSetupMb),
      // resourceUsage().maxRSS is in KiB.
      maxRssMb: round1(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    harness.close();
  }
}

const configPath = process.argv[2];
if (configPath === undefined) {
  process.stderr.write('usage: he-coordinator-child.ts <config.json>\n');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(await main(configPath))}\n`);
