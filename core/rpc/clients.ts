/** gRPC clients for the coordinator's services, authenticated with a participant's kit. */
import * as grpc from '@grpc/grpc-js';
import type { Kit } from '../pki/kit.ts';
import { loadCohortProtos } from '../../protos/load.ts';
import type { SiteServiceClient } from '../../protos/gen/cohort/v1/SiteService.ts';
import type { AdminServiceClient } from '../../protos/gen/cohort/v1/AdminService.ts';
import type { RegistryServiceClient } from '../../protos/gen/cohort/v1/RegistryService.ts';
import type { AuditServiceClient } from '../../protos/gen/cohort/v1/AuditService.ts';
import { clientChannelOptions, clientCredentials } from '../tls/credentials.ts';
import { fromServiceError } from './status-errors.ts';

/** Chunks stay at or under 1 MiB; 16 MiB leaves room for a whole status message. Both sides use it. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * The longest a site agent waits between reconnect attempts. The coordinator's grace for a
 * disconnected site must exceed it, or a coordinator restart fails every site's round.
 */
export const SITE_MAX_RECONNECT_BACKOFF_MS = 5_000;

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

export function siteClient(kit: Kit, address = kit.coordinatorAddress): SiteServiceClient {
  const { site } = loadCohortProtos();
  return new site.cohort.v1.SiteService(address, clientCredentials(kit, address), { ...CHANNEL_OPTIONS, ...clientChannelOptions(kit, address) });
}

export function adminClient(kit: Kit, address = kit.coordinatorAddress): AdminServiceClient {
  const { admin } = loadCohortProtos();
  return new admin.cohort.v1.AdminService(address, clientCredentials(kit, address), { ...CHANNEL_OPTIONS, ...clientChannelOptions(kit, address) });
}

export function registryClient(kit: Kit, address = kit.coordinatorAddress): RegistryServiceClient {
  const { registry } = loadCohortProtos();
  return new registry.cohort.v1.RegistryService(address, clientCredentials(kit, address), { ...CHANNEL_OPTIONS, ...clientChannelOptions(kit, address) });
}

export function auditClient(kit: Kit, address = kit.coordinatorAddress): AuditServiceClient {
  const { audit } = loadCohortProtos();
  return new audit.cohort.v1.AuditService(address, clientCredentials(kit, address), { ...CHANNEL_OPTIONS, ...clientChannelOptions(kit, address) });
}

/** Promisifies a unary call (with a deadline) and turns failures into CohortErrors. */
export function unary<Res>(invoke: (options: grpc.CallOptions, cb: grpc.requestCallback<Res>) => unknown, timeoutMs = 30_000): Promise<Res> {
  return new Promise((resolve, reject) => {
    invoke({ deadline: Date.now() + timeoutMs }, (err, res) => {
      if (err) reject(fromServiceError(err));
      else resolve(res as Res);
    });
  });
}
