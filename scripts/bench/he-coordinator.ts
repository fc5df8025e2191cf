/**
 * The coordinator's real aggregation path, driven in-process for `bench:he`: a SQLite
 * StateStore, a RunEngine with one RUNNING run whose round 1 is collecting, sites whose
 * uploads land in an UpdateSpool (as coordinator/server/site-service.ts does) and are
 * folded into the per-chunk running sums by RunEngine.commitUpdate with the engine's own adder.
 */
import { join } from 'node:path';
import { RunEngine } from '../../coordinator/engine/run-engine.ts';
import { UpdateSpool } from '../../coordinator/server/spool.ts';
import { StateStore } from '../../coordinator/state/store.ts';
import { loadSeal } from '../../core/secure-agg/seal-library.ts';
import type { CodecDescriptor } from '../../core/update-codec/index.ts';
import { parseSpec } from '../../models/validate-spec.ts';
import { timed, type Timing } from './he-stats.ts';

/** A coordinator state directory with one run collecting round 1 from `sites` sites. */
export class CoordinatorHarness {
  private constructor(
    readonly engine: RunEngine,
    readonly store: StateStore,
    readonly runId: string,
    readonly sites: readonly string[],
    private readonly dir: string,
  ) {}

  /** Creates the store under `dir` (which must be empty or absent) and starts the run. */
  static async open(dir: string, descriptor: CodecDescriptor, siteCount: number): Promise<CoordinatorHarness> {
    if (descriptor.kind === 'bfv') await loadSeal();
    const store = new StateStore(join(dir, 'state.sqlite'));
    const engine = new RunEngine(store, { siteGraceMs: 3_600_000, recruitTimeoutMs: 3_600_000 });
    const sites = Array.from({ length: siteCount }, (_, i) => `site-${String(i + 1).padStart(2, '0')}`);
    for (const site of sites) {
      engine.registerSite(site, 'bench', 'cpu');
      engine.presence.connected(site);
    }
    const spec = parseSpec({
      name: 'bench-he',
      dataset: 'heart',
      features: [{ name: 'age', type: 'numeric' }],
      label: { name: 'disease', type: 'binary' },
      model: { family: 'logistic-regression' },
      training: { epochs: 1 },
      rounds: 1,
      minSites: siteCount,
      roundTimeoutSeconds: 86_400,
      // The commit path of uploads alone: masking's own costs (including the coordinator's unmasking) are measured in he-masking.ts.
      masking: false,
    });
    const run = engine.submitRun({ spec, codec: descriptor, submittedBy: 'bench' });
    for (const site of sites) engine.respondToRun(site, run.run_id, true, { reasonCode: '', reason: '', numExamples: 1000, fingerprint: 'bench' });
    const state = store.getRun(run.run_id)?.state;
    if (state !== 'RUNNING') throw new Error(`bench run is ${state ?? 'missing'}, expected RUNNING`);
    return new CoordinatorHarness(engine, store, run.run_id, sites, dir);
  }

  /** Receives one site's stream into a spool file, as the upload RPC does. */
  receive(chunks: Iterable<Uint8Array>): UpdateSpool {
    const spool = new UpdateSpool(join(this.dir, 'spool'));
    for (const chunk of chunks) spool.append(chunk);
    return spool;
  }

  /** Commits a received upload into the running sums (the aggregation step) and drops the spool. */
  commit(site: string, spool: UpdateSpool): Timing {
    try {
      return timed(() => this.engine.commitUpdate(site, this.runId, 1, spool.source(0.5)));
    } finally {
      spool.discard();
    }
  }

  /** The round's summed chunks as the coordinator streams them to the sites. */
  *aggregate(): Generator<Uint8Array> {
    const agg = this.engine.aggregateOf(this.runId, 1);
    if (agg.contributors !== this.sites.length) throw new Error(`aggregate has ${agg.contributors} contributors, expected ${this.sites.length}`);
    yield* agg.chunks();
  }

  /** Frees the adder's WebAssembly objects (the run never ends, so the engine would not) and closes the store. */
  close(): void {
    const run = this.store.getRun(this.runId);
    if (run) this.engine.adderOf(run).dispose();
    this.store.close();
  }
}
