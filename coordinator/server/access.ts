/**
 * Who may call what. The caller's identity and role come from its verified client
 * certificate (core/tls/peer-identity.ts), never from a message field; every handler
 * names the roles it admits.
 */
import { CohortError, RunErrors, isCohortError } from '../../core/errors/index.ts';
import type { Identity } from '../../core/pki/identity.ts';
import type { Role } from '../../core/pki/roles.ts';
import { peerIdentity, type CallWithAuthContext, type RevocationGuard } from '../../core/tls/credentials.ts';

/** Who a refused call came from, as far as its certificate told; null when it presented none that parsed. */
export type RefusedCaller = { readonly name: string; readonly role?: string; readonly serial?: string } | null;

/** Hears every authorization decision of one server (the audit log's source of refused calls). */
export interface AuthorizationObserver {
  allowed(identity: Identity, rpc: string): void;
  refused(caller: RefusedCaller, rpc: string, error: CohortError): void;
}

// Keyed by the server's guard, so that two coordinators in one process keep separate observers.
const observers = new WeakMap<RevocationGuard, AuthorizationObserver>();

/** Sends the authorization decisions of the server guarded by `guard` to `observer`; returns the detach function. */
export function observeAuthorization(guard: RevocationGuard, observer: AuthorizationObserver): () => void {
  observers.set(guard, observer);
  return () => {
    if (observers.get(guard) === observer) observers.delete(guard);
  };
}

function rpcOf(call: CallWithAuthContext): string {
  const getPath = (call as { getPath?: () => string }).getPath;
  return typeof getPath === 'function' ? getPath.call(call) : '(unknown)';
}

function callerOf(e: CohortError): RefusedCaller {
  const { name, role, serial } = e.details as { name?: unknown; role?: unknown; serial?: unknown };
  if (typeof name !== 'string') return null;
  return { name, ...(typeof role === 'string' ? { role } : {}), ...(typeof serial === 'string' ? { serial } : {}) };
}

export function authorize(call: CallWithAuthContext, allowed: readonly Role[], guard: RevocationGuard): Identity {
  const observer = observers.get(guard);
  let identity: Identity;
  try {
    identity = peerIdentity(call, guard);
  } catch (e) {
    if (observer && isCohortError(e)) observer.refused(callerOf(e), rpcOf(call), e);
    throw e;
  }
  if (!allowed.includes(identity.role)) {
    const err = new CohortError(RunErrors.PERMISSION_DENIED, `role "${identity.role}" may not call this RPC (allowed: ${allowed.join(', ')})`, {
      details: { role: identity.role, allowed },
    });
    observer?.refused({ name: identity.name, role: identity.role, serial: identity.serial }, rpcOf(call), err);
    throw err;
  }
  observer?.allowed(identity, rpcOf(call));
  return identity;
}
