/**
 * Loads the .proto files at run time with the same options the type generator used, and
 * returns the typed service definitions (types in protos/gen, produced by `npm run protos:gen`).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { ProtoGrpcType as AdminProto } from './gen/admin.ts';
import type { ProtoGrpcType as AuditProto } from './gen/audit.ts';
import type { ProtoGrpcType as RegistryProto } from './gen/registry.ts';
import type { ProtoGrpcType as SiteProto } from './gen/site.ts';

export const PROTO_DIR = fileURLToPath(new URL('.', import.meta.url));
export const PROTO_FILES = ['cohort/v1/site.proto', 'cohort/v1/admin.proto', 'cohort/v1/registry.proto', 'cohort/v1/audit.proto'] as const;

export const LOADER_OPTIONS: protoLoader.Options = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

interface CohortProtos {
  packageDefinition: protoLoader.PackageDefinition;
  site: SiteProto;
  admin: AdminProto;
  registry: RegistryProto;
  audit: AuditProto;
}

let cached: CohortProtos | undefined;

export function loadCohortProtos(): CohortProtos {
  if (cached) return cached;
  const packageDefinition = protoLoader.loadSync([...PROTO_FILES], LOADER_OPTIONS);
  const loaded = grpc.loadPackageDefinition(packageDefinition);
  cached = { packageDefinition, site: loaded as unknown as SiteProto, admin: loaded as unknown as AdminProto, registry: loaded as unknown as RegistryProto, audit: loaded as unknown as AuditProto };
  return cached;
}

