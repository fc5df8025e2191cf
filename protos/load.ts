/**
 * Loads the .proto files at run time with the same options the type generator used, and
 * returns the typed service definitions (types in protos/gen, produced by `npm run protos:gen`).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { ProtoGrpcType as AdminProto } from './gen/admin.ts';
import type { ProtoGrpcType as SiteProto } from './gen/site.ts';

export const PROTO_DIR = fileURLToPath(new URL('.', import.meta.url));
export const PROTO_FILES = ['cohort/v1/site.proto', 'cohort/v1/admin.proto'] as const;

export const LOADER_OPTIONS: protoLoader.Options = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

let cached: { packageDefinition: protoLoader.PackageDefinition; site: SiteProto; admin: AdminProto } | undefined;

export function loadCohortProtos(): { packageDefinition: protoLoader.PackageDefinition; site: SiteProto; admin: AdminProto } {
  if (cached) return cached;
  const packageDefinition = protoLoader.loadSync([...PROTO_FILES], LOADER_OPTIONS);
  const loaded = grpc.loadPackageDefinition(packageDefinition);
  cached = { packageDefinition, site: loaded as unknown as SiteProto, admin: loaded as unknown as AdminProto };
  return cached;
}

