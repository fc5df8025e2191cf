import { status as GrpcStatus } from '@grpc/grpc-js';

/** One entry of the error registry: the stable code, when it happens, how to fix it. */
export interface ErrorDefinition {
  /** Stable code, `COHORT_E_<AREA>_<WHAT>`. */
  readonly code: string;
  /** The gRPC status this error maps to on the wire. Never UNKNOWN. */
  readonly grpc: GrpcStatus;
  /** One sentence: what went wrong. */
  readonly meaning: string;
  /** One sentence: what the user should do. */
  readonly fix: string;
}

/** Declares a family of error definitions; keys are the short names used in code. */
export function defineErrors<const T extends Record<string, Omit<ErrorDefinition, 'code'> & { code: `COHORT_E_${string}` }>>(
  defs: T,
): { readonly [K in keyof T]: ErrorDefinition } {
  return Object.freeze(defs);
}

/**
 * The only error type a user of Cohort should ever see. It carries a stable code,
 * a message naming the field or file at fault, structured details, and a cause.
 * Details must never contain PHI: name columns and rows, never values.
 */
export class CohortError extends Error {
  readonly code: string;
  readonly grpc: GrpcStatus;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(def: ErrorDefinition, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CohortError';
    this.code = def.code;
    this.grpc = def.grpc;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  toJSON(): { code: string; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isCohortError(e: unknown, def?: ErrorDefinition): e is CohortError {
  return e instanceof CohortError && (def === undefined || e.code === def.code);
}
