/**
 * A federated strategy: pure functions, no I/O (after Flower's Strategy). The round
 * engine at the coordinator calls `configureFit`; it never branches on the algorithm.
 * Metrics are not a strategy's: the sites sum them under the encryption (core/evaluation). The server step (`applyAggregate`) runs at every site on
 * the decrypted mean update, with the same deterministic code, so that server
 * optimizers work while the coordinator never sees the aggregate in the clear.
 */

/** Settings the sites' local trainer receives for one round. */
export interface FitConfig {
  readonly round: number;
  /** FedProx proximal coefficient mu; 0 disables the proximal term. */
  readonly proximalMu: number;
}

/** Server-optimizer state carried from round to round (moments etc.), as flat arrays. */
export type ServerState = Readonly<Record<string, Float32Array>>;

export interface ServerStepResult {
  readonly weights: Float32Array;
  readonly state: ServerState;
}

/** One site's own evaluation of the new global model on its held-out split (sent only when its policy allows). */
export interface SiteEvaluation {
  readonly site: string;
  readonly numExamples: number;
  readonly loss: number;
  readonly accuracy: number;
  /** NaN when the held-out split has a single class. */
  readonly auc: number;
}

export interface Strategy {
  readonly name: string;
  configureFit(round: number): FitConfig;
  initialState(weights: Float32Array): ServerState;
  /**
   * Server step from the global weights x_t and the weighted mean update
   * Delta_t = sum_k n_k (x_k - x_t) / sum_k n_k. Must be deterministic: every site runs it.
   */
  applyAggregate(weights: Float32Array, meanDelta: Float32Array, state: ServerState, round: number): ServerStepResult;
}
