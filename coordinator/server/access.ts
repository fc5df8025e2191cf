/**
 * Who may call what. The caller's identity and role come from its verified client
 * certificate (core/tls/peer-identity.ts), never from a message field; every handler
 * names the roles it admits.
 */
import { CohortError, RunErrors } from '../../core/errors/index.ts';
import type { Identity } from '../../core/pki/identity.ts';
import type { Role } from '../../core/pki/roles.ts';
import { peerIdentity, type CallWithAuthContext, type RevocationGuard } from '../../core/tls/credentials.ts';

export function authorize(call: CallWithAuthContext, allowed: readonly Role[], guard: RevocationGuard): Identity {
  const identity = peerIdentity(call, guard);
  if (!allowed.includes(identity.role)) {
    throw new CohortError(RunErrors.PERMISSION_DENIED, `role "${identity.role}" may not call this RPC (allowed: ${allowed.join(', ')})`, {
      details: { role: identity.role, allowed },
    });
  }
  return identity;
}
