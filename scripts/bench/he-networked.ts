/**
 * `bench:he -- --networked`: rounds timed over real processes. A LocalConsortium (coordinator
 * and site agents as separate processes over mTLS gRPC on 127.0.0.1) trains an MLP of about
 * one million parameters on the synthetic hospitals, once with the plain codec and once
 * with bfv; a round's time is its closedAtMs - openedAtMs in the run status, so it includes
 * local training and evaluation at the sites, unlike the in-process round ratio.
 *
 * Before the bfv run the key holder (the consortium's first site) runs the key ceremony, as
 * `cohort site key-ceremony` does, until every other site holds a sealed copy. If any step of
 * the encrypted path is refused, the comparison reports that refusal instead of a time.
 *
 * `npx tsx scripts/bench/he-networked.ts [sites] [rounds]` runs it alone and prints the JSON.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LocalConsortium } from '../../cli/demo/local-consortium.ts';
import { submitRun, watchRun } from '../../cli/commands/run.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { parameterCount } from '../../models/weight-layout.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { median, round1, round3 } from './he-stats.ts';

const MLP_SPEC = fileURLToPath(new URL('../../models/examples/heart-mlp.yaml', import.meta.url));
/** The heart-mlp features (13 inputs) -> 1024 -> 961 -> 1: 1,000,323 parameters. */
const HIDDEN = [1024, 961];

export interface NetworkedCodecResult {
  readonly runId: string;
  readonly state: string;
  readonly roundMs: readonly number[];
  readonly roundMsMedian: number;
}

export interface NetworkedComparison {
  readonly sites: number;
  readonly params: number;
  readonly rounds: number;
  readonly plain: NetworkedCodecResult | { readonly error: string };
  readonly bfv: NetworkedCodecResult | { readonly error: string };
  /** bfv / plain median round time; null unless both runs completed. */
  readonly ratio: number | null;
}

async function timedRun(consortium: LocalConsortium, specPath: string, codec: string): Promise<NetworkedCodecResult | { error: string }> {
  const alice = consortium.kit('alice');
  const address = `127.0.0.1:${consortium.port}`;
  try {
    const { runId } = await submitRun(alice, specPath, codec, address);
    const final = await watchRun(alice, runId, () => undefined, address);
    const roundMs = final.roundStatus.filter((r) => r.state === 'CLOSED').map((r) => Number(r.closedAtMs) - Number(r.openedAtMs));
    if (final.state !== 'COMPLETED') return { error: `run ${runId} ended ${final.state}: ${final.error ?? ''}`.trim() };
    return { runId, state: final.state, roundMs, roundMsMedian: round1(median(roundMs)) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Starts a consortium under `workdir`, times a plain and a bfv run, stops every process. */
export async function measureNetworkedRounds(workdir: string, progress: (m: string) => void, sites = 3, rounds = 2): Promise<NetworkedComparison> {
  const base = loadSpecFile(MLP_SPEC);
  // A larger batch than the example's keeps local training (in both runs alike) from swamping the codec's share of a round.
  const spec: ModelSpec = {
    ...base,
    model: { family: 'mlp', hidden: HIDDEN, activation: 'relu', dropout: 0 },
    training: { ...base.training, batchSize: 64 },
    rounds,
    minSites: sites,
    testFraction: 0.3,
  };
  const params = parameterCount(spec);
  const consortium = await LocalConsortium.create({ workdir, sites, allowPlaintext: true });
  try {
    consortium.startCoordinator();
    for (const s of consortium.siteNames) consortium.initSite(s);
    for (const s of consortium.siteNames) consortium.startSite(s);
    await consortium.waitForSites(sites);
    const specPath = join(workdir, 'spec.json');
    writeFileSync(specPath, JSON.stringify(spec));
    progress(`  ${sites} sites connected; plain run of a ${params.toLocaleString('en-US')}-parameter MLP, ${rounds} rounds`);
    const plain = await timedRun(consortium, specPath, 'plain');
    progress(`  plain: ${JSON.stringify(plain)}`);
    progress('  key ceremony, then the bfv run');
    let bfv: NetworkedCodecResult | { error: string };
    try {
      // Every connected site has published its exchange key (an agent opens its task stream only after).
      const ceremony = await consortium.keyCeremony();
      if (ceremony.refused.length > 0 || ceremony.sealedFor.length !== sites - 1) throw new Error(`key ceremony sealed to ${ceremony.sealedFor.join(', ')}, refused ${JSON.stringify(ceremony.refused)}`);
      progress(`  key ceremony: key ${ceremony.keyId.slice(0, 8)}... sealed to ${ceremony.sealedFor.length} sites`);
      bfv = await timedRun(consortium, specPath, 'bfv');
    } catch (e) {
      bfv = { error: (e as Error).message };
    }
    progress(`  bfv: ${JSON.stringify(bfv)}`);
    const ratio = 'roundMsMedian' in plain && 'roundMsMedian' in bfv ? round3(bfv.roundMsMedian / plain.roundMsMedian) : null;
    return { sites, params, rounds, plain, bfv, ratio };
  } finally {
    await consortium.stopAll();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-networked-'));
  try {
    const [sites, rounds] = [Number(process.argv[2] ?? 3), Number(process.argv[3] ?? 2)];
    const result = await measureNetworkedRounds(dir, (m) => process.stderr.write(`${m}\n`), sites, rounds);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
