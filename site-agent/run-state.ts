/**
 * A site's durable view of one run: the global weights after the last aggregate it
 * applied and the strategy's server state. Encrypted at rest (core/crypto/at-rest.ts),
 * because weights trained on patient data are PHI-derived until released.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readSealedFile, writeSealedFile } from '../core/crypto/at-rest.ts';
import type { ServerState } from '../core/strategies/index.ts';

export interface RunGlobalState {
  /** The last round whose aggregate was applied; 0 = the initial weights. */
  readonly round: number;
  readonly weights: Float32Array;
  readonly serverState: ServerState;
}

function toBase64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function fromBase64(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

/** The codec a site accepted a run with: plaintext, or BFV under one key. */
export type AcceptedCodec = { readonly kind: 'plain' } | { readonly kind: 'bfv'; readonly keyId: string };

/**
 * What a site accepted a run with, sealed in its run state: the spec (its JSON and SHA-256, the
 * coordinator's spec_sha256), the codec, and the run's masking parameters where it has them.
 * After an agent restart the site works from this, never from whatever a task says.
 */
export interface AcceptedRun {
  readonly specSha256: string;
  readonly specJson: string;
  readonly codec: AcceptedCodec;
  /** The pairwise-masking parameters of the offer (issue 9), when the run has them. */
  readonly masking?: unknown;
  /** SHA-256 of the run's final codec descriptor (canonical JSON), sealed on its first use (run-worker.ts encoderFor). */
  readonly codecSha256?: string;
}

export class RunStateStore {
  constructor(
    private readonly dataDir: string,
    private readonly key: Buffer,
  ) {}

  private path(runId: string): string {
    return join(this.dataDir, 'runs', runId, 'global.state');
  }

  load(runId: string): RunGlobalState | undefined {
    const p = this.path(runId);
    if (!existsSync(p)) return undefined;
    const json = JSON.parse(readSealedFile(p, this.key, `run:${runId}`).toString('utf8')) as { round: number; weights: string; serverState: Record<string, string> };
    return {
      round: json.round,
      weights: fromBase64(json.weights),
      serverState: Object.fromEntries(Object.entries(json.serverState).map(([k, v]) => [k, fromBase64(v)])),
    };
  }

  /** Records the codec the site accepted the run with: later tasks must use the same. */
  saveAcceptedCodec(runId: string, codec: AcceptedCodec): void {
    mkdirSync(join(this.dataDir, 'runs', runId), { recursive: true, mode: 0o700 });
    writeSealedFile(join(this.dataDir, 'runs', runId, 'codec.state'), this.key, Buffer.from(JSON.stringify(codec)), `run-codec:${runId}`);
  }

  /** The codec the site accepted the run with: from its accepted run, or (a run accepted before those were kept) its codec record. */
  acceptedCodec(runId: string): AcceptedCodec | undefined {
    const accepted = this.acceptedRun(runId);
    if (accepted) return accepted.codec;
    const p = join(this.dataDir, 'runs', runId, 'codec.state');
    return existsSync(p) ? (JSON.parse(readSealedFile(p, this.key, `run-codec:${runId}`).toString('utf8')) as AcceptedCodec) : undefined;
  }

  /** Records what the site accepted the run with (site-agent/run-binding.ts): every later task must name the same. */
  saveAcceptedRun(runId: string, accepted: AcceptedRun): void {
    mkdirSync(join(this.dataDir, 'runs', runId), { recursive: true, mode: 0o700 });
    writeSealedFile(join(this.dataDir, 'runs', runId, 'accepted.state'), this.key, Buffer.from(JSON.stringify(accepted)), `run-accepted:${runId}`);
  }

  acceptedRun(runId: string): AcceptedRun | undefined {
    const p = join(this.dataDir, 'runs', runId, 'accepted.state');
    return existsSync(p) ? (JSON.parse(readSealedFile(p, this.key, `run-accepted:${runId}`).toString('utf8')) as AcceptedRun) : undefined;
  }

  /** The consortium's mean test row, decrypted from a summed evaluation: the global explanations' baseline (core/evaluation/global-explanations.ts). */
  saveGlobalMean(runId: string, mean: Float64Array): void {
    mkdirSync(join(this.dataDir, 'runs', runId), { recursive: true, mode: 0o700 });
    writeSealedFile(join(this.dataDir, 'runs', runId, 'global-mean.state'), this.key, Buffer.from(JSON.stringify(Array.from(mean))), `run-global-mean:${runId}`);
  }

  loadGlobalMean(runId: string): Float64Array | undefined {
    const p = join(this.dataDir, 'runs', runId, 'global-mean.state');
    return existsSync(p) ? Float64Array.from(JSON.parse(readSealedFile(p, this.key, `run-global-mean:${runId}`).toString('utf8')) as number[]) : undefined;
  }

  /** A masked round's secrets and progress at this site (site-agent/masking.ts), sealed like the rest. */
  loadMaskRound(runId: string, round: number): string | undefined {
    const p = join(this.dataDir, 'runs', runId, `mask-${round}.state`);
    return existsSync(p) ? readSealedFile(p, this.key, `run-mask:${runId}:${round}`).toString('utf8') : undefined;
  }

  /** Written before anything it records leaves the site (writeSealedFile replaces the file atomically). */
  saveMaskRound(runId: string, round: number, json: string): void {
    mkdirSync(join(this.dataDir, 'runs', runId), { recursive: true, mode: 0o700 });
    writeSealedFile(join(this.dataDir, 'runs', runId, `mask-${round}.state`), this.key, Buffer.from(json), `run-mask:${runId}:${round}`);
  }

  save(runId: string, state: RunGlobalState): void {
    mkdirSync(join(this.dataDir, 'runs', runId), { recursive: true, mode: 0o700 });
    const json = JSON.stringify({
      round: state.round,
      weights: toBase64(state.weights),
      serverState: Object.fromEntries(Object.entries(state.serverState).map(([k, v]) => [k, toBase64(v)])),
    });
    writeSealedFile(this.path(runId), this.key, Buffer.from(json), `run:${runId}`);
  }
}
