/**
 * The RDP accountant: composes Poisson-subsampled Gaussian events (DP-SGD steps,
 * DP-FedAvg rounds) over a fixed set of Renyi orders and converts the total to
 * (epsilon, delta). RDP adds under composition, over steps and over mechanisms,
 * so the state is one running sum per order.
 */
import { deltaFromRdp, epsilonFromRdp, type DeltaAtOrder, type EpsilonAtOrder } from './conversion.ts';
import { DEFAULT_RDP_ORDERS } from './orders.ts';
import { rdpOfSubsampledGaussian, type FractionalSeries } from './subsampled-gaussian.ts';
import { checkDelta, checkNoiseMultiplier, checkOrders, checkSamplingRate, checkSteps } from './validate.ts';

/** `steps` repetitions of the Gaussian mechanism with noise multiplier `sigma` on a Poisson sample of rate `q`. */
export interface SubsampledGaussianEvent {
  /** Sampling rate in [0, 1]; 1 is the plain Gaussian mechanism. */
  readonly q: number;
  /** Noise standard deviation over L2 sensitivity, >= 0. */
  readonly sigma: number;
  /** Number of repetitions, a non-negative integer. */
  readonly steps: number;
}

/** Options shared by the accountant and the one-shot helpers. */
export interface AccountantOptions {
  /** RDP orders to track, each > 1. Default: dp_accounting's DEFAULT_RDP_ORDERS. */
  readonly orders?: readonly number[];
  /** Fractional-order series; default `absolute` as dp_accounting. */
  readonly fractionalSeries?: FractionalSeries;
}

function checkEvent(event: SubsampledGaussianEvent): void {
  checkSamplingRate(event.q, 'q');
  checkNoiseMultiplier(event.sigma, 'sigma');
  checkSteps(event.steps, 'steps');
}

/**
 * RDP of `event` at each order: steps * RDP of one step. An event of 0 steps, or
 * one whose single step costs nothing (q = 0), contributes exactly 0, never
 * 0 * Infinity.
 */
export function computeRdp(event: SubsampledGaussianEvent, options: AccountantOptions = {}): number[] {
  checkEvent(event);
  const orders = checkOrders(options.orders ?? DEFAULT_RDP_ORDERS);
  const series = options.fractionalSeries ?? 'absolute';
  return orders.map((order) => {
    if (event.steps === 0) return 0;
    const perStep = rdpOfSubsampledGaussian(event.q, event.sigma, order, series);
    return perStep === 0 ? 0 : perStep * event.steps;
  });
}

/** Privacy accountant over Renyi orders. Mutable: compose() adds to the running totals. */
export class RdpAccountant {
  readonly #orders: readonly number[];
  readonly #series: FractionalSeries;
  readonly #rdp: number[];

  constructor(options: AccountantOptions = {}) {
    this.#orders = Object.freeze([...checkOrders(options.orders ?? DEFAULT_RDP_ORDERS)]);
    this.#series = options.fractionalSeries ?? 'absolute';
    this.#rdp = this.#orders.map(() => 0);
  }

  /** The orders tracked. */
  get orders(): readonly number[] {
    return this.#orders;
  }

  /** A copy of the total RDP at each order. */
  get rdp(): number[] {
    return [...this.#rdp];
  }

  /** Adds an event's RDP to the totals; returns this for chaining. Validates before changing anything. */
  compose(event: SubsampledGaussianEvent): this {
    const add = computeRdp(event, { orders: this.#orders, fractionalSeries: this.#series });
    add.forEach((r, i) => {
      if (r !== 0) this.#rdp[i] = this.#rdp[i]! + r;
    });
    return this;
  }

  /** Smallest epsilon at `delta` over the tracked orders, and the order attaining it. */
  getEpsilon(delta: number): EpsilonAtOrder {
    return epsilonFromRdp(this.#orders, this.#rdp, delta);
  }

  /** Smallest delta at `epsilon` over the tracked orders, and the order attaining it. */
  getDelta(epsilon: number): DeltaAtOrder {
    return deltaFromRdp(this.#orders, this.#rdp, epsilon);
  }
}

/** One-shot: epsilon (and best order) of `steps` subsampled Gaussian steps at `delta`. */
export function computeEpsilon(
  params: SubsampledGaussianEvent & { readonly delta: number },
  options: AccountantOptions = {},
): EpsilonAtOrder {
  checkDelta(params.delta);
  return new RdpAccountant(options).compose(params).getEpsilon(params.delta);
}
