/**
 * CohortError <-> gRPC status. Servers send the stable code in the `cohort-error-code`
 * trailer and as the message prefix; clients turn it back into a CohortError, so a user
 * sees the same code whichever side refused.
 */
import * as grpc from '@grpc/grpc-js';
import { allErrorDefinitions, CohortError, GeneralErrors, TransportErrors, type ErrorDefinition } from '../errors/index.ts';

const CODE_KEY = 'cohort-error-code';

export function toServiceError(e: unknown): Partial<grpc.StatusObject> & { code: grpc.status } {
  const err = e instanceof CohortError ? e : new CohortError(GeneralErrors.INTERNAL, e instanceof Error ? e.message : String(e), { cause: e });
  const metadata = new grpc.Metadata();
  metadata.set(CODE_KEY, err.code);
  return { code: err.grpc, details: `${err.code}: ${err.message}`, metadata };
}

let byCode: Map<string, ErrorDefinition> | undefined;

/** Rebuilds a CohortError from a failed call; transport failures keep their gRPC status. */
export function fromServiceError(e: grpc.ServiceError): CohortError {
  byCode ??= new Map(allErrorDefinitions().map((d) => [d.code, d]));
  const code = e.metadata?.get(CODE_KEY)[0];
  const def = typeof code === 'string' ? byCode.get(code) : undefined;
  if (def) return new CohortError(def, e.details.replace(`${def.code}: `, ''), { cause: e });
  return new CohortError(
    { ...TransportErrors.TRANSPORT, grpc: e.code },
    `${grpc.status[e.code] ?? e.code}: ${e.details}`,
    { cause: e, details: { grpcStatus: e.code } },
  );
}
