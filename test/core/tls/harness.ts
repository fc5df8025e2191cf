/**
 * A real grpc-js server on 127.0.0.1:0 with Cohort's server credentials, serving the
 * standard health service and a `WhoAmI` method that answers with `peerIdentity`.
 */
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type PeerCertificate } from 'node:tls';
import { isCohortError } from '../../../core/errors/index.ts';
import type { Kit } from '../../../core/pki/kit.ts';
import { peerIdentity, type CohortServerCredentials } from '../../../core/tls/credentials.ts';

const identityBytes = (b: Buffer): Buffer => b;

/** A hand-written service with raw-bytes messages: no proto needed for one test method. */
const whoAmIService: grpc.ServiceDefinition = {
  whoAmI: {
    path: '/cohort.test.WhoAmI/WhoAmI',
    requestStream: false,
    responseStream: false,
    requestSerialize: identityBytes,
    requestDeserialize: identityBytes,
    responseSerialize: identityBytes,
    responseDeserialize: identityBytes,
  },
};

const WhoAmIClient = grpc.makeGenericClientConstructor(whoAmIService, 'WhoAmI');
const healthPackage = grpc.loadPackageDefinition(loadSync(healthProtoPath)) as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};

export interface TestServer {
  port: number;
  stop(): Promise<void>;
}

/** Starts the server; `WhoAmI` returns the caller's identity as JSON or the error's gRPC status. */
export async function startServer(credentials: CohortServerCredentials): Promise<TestServer> {
  const server = new grpc.Server();
  new HealthImplementation({ '': 'SERVING' }).addToServer(server);
  server.addService(whoAmIService, {
    whoAmI: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      try {
        callback(null, Buffer.from(JSON.stringify(peerIdentity(call, credentials))));
      } catch (e) {
        callback(isCohortError(e) ? { code: e.grpc, details: `${e.code}: ${e.message}` } : (e as Error), null);
      }
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}

/**
 * Channel options: a private subchannel pool, so that no test reuses another's connection, and
 * a DNS server name (the test certificates carry localhost), since SNI may not carry the IP dialled.
 */
const PRIVATE_CHANNEL = { 'grpc.use_local_subchannel_pool': 1, 'grpc.ssl_target_name_override': 'localhost' };

/** One health check; resolves to the gRPC status code (0 = OK). */
export function healthCheck(port: number, credentials: grpc.ChannelCredentials): Promise<grpc.status> {
  const client = new healthPackage.grpc.health.v1.Health(`127.0.0.1:${port}`, credentials, PRIVATE_CHANNEL);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (x: Buffer) => x,
      (x: Buffer) => x,
      Buffer.alloc(0),
      { deadline: Date.now() + 20_000 },
      (err) => {
        client.close();
        resolve(err ? err.code : grpc.status.OK);
      },
    );
  });
}

/** A client for WhoAmI that stays open between calls (to test calls on an existing connection). */
export function whoAmIClient(port: number, credentials: grpc.ChannelCredentials): {
  call(): Promise<{ code: grpc.status; body?: unknown; details?: string }>;
  close(): void;
} {
  const client = new WhoAmIClient(`127.0.0.1:${port}`, credentials, PRIVATE_CHANNEL);
  return {
    call: () =>
      new Promise((resolve) => {
        client.makeUnaryRequest(
          whoAmIService.whoAmI?.path ?? '',
          identityBytes,
          identityBytes,
          Buffer.alloc(0),
          { deadline: Date.now() + 20_000 },
          (err, res?: Buffer) => {
            if (err) resolve({ code: err.code, details: err.details });
            else resolve({ code: grpc.status.OK, body: JSON.parse(res?.toString() ?? 'null') });
          },
        );
      }),
    close: () => client.close(),
  };
}

/** Client credentials of `kit` that offer TLS 1.0 and 1.1 only (below the server's floor). */
export function tls11Credentials(kit: Kit): grpc.ChannelCredentials {
  return grpc.credentials.createFromSecureContext(
    createSecureContext({ ca: kit.caPem, cert: kit.certPem, key: kit.keyPem, minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }),
  );
}

/** Client credentials from arbitrary PEMs (a CA, someone's key and certificate), for the negative cases. */
export function mixedCredentials(trust: Kit, identity: Kit): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(Buffer.from(trust.caPem), Buffer.from(identity.keyPem), Buffer.from(identity.certPem));
}

/** The fields of a TLS peer certificate that the server identity check reads. */
export function peerCertificate(pem: string): PeerCertificate {
  const x = new X509Certificate(pem);
  return { subject: { CN: x.subject.split('\n').find((l) => l.startsWith('CN='))?.slice(3) }, subjectaltname: x.subjectAltName, raw: x.raw } as unknown as PeerCertificate;
}
